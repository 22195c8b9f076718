/**
 * The model this package trains and ships (models/shapes, reproduced by scripts/train-shapes.mjs):
 * YOLOv3-style, two [yolo] heads, anchors by k-means, trained with the Trainer on the synthetic
 * shapes set. Evaluated on the held-out split it was never trained on.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import { cocoEvaluate, fromDarknetLabels, type Prediction } from '../../lib/eval/index.js';
import { generateSyntheticDataset } from '../../lib/train/index.js';
import { CACHE, ROOT } from '../helpers/fixtures.js';

const M = join(ROOT, 'models', 'shapes');
const model = { cfg: join(M, 'shapes.cfg'), weights: join(M, 'shapes.weights'), names: join(M, 'shapes.names') };

const iou = (a: number[], b: number[]) => {
  const iw = Math.min(a[0]! + a[2]!, b[0]! + b[2]!) - Math.max(a[0]!, b[0]!);
  const ih = Math.min(a[1]! + a[3]!, b[1]! + b[3]!) - Math.max(a[1]!, b[1]!);
  return iw > 0 && ih > 0 ? (iw * ih) / (a[2]! * a[3]! + b[2]! * b[3]! - iw * ih) : 0;
};

describe('the shipped shapes model', () => {
  it('reaches AP50 ≥ 0.90 on the held-out split (valid-mode settings), and reports AP@[.5:.95]', async () => {
    // the exact split of scripts/train-shapes.mjs (seed 11): only the 200 held-out images are written
    const ds = await generateSyntheticDataset({ dir: join(CACHE, 'shapes-val'), seed: 11, train: 1000, val: 200, width: 96, height: 96, minSize: 12, maxSize: 40, maxShapes: 3, noise: 20, only: 'val' });
    const det = await Detector.load(model);
    const gt = [];
    const preds: Prediction[] = [];
    try {
      for (const [id, im] of ds.images.entries()) {
        gt.push(...fromDarknetLabels(readFileSync(im.labelPath, 'utf8'), im.width, im.height, id));
        for (const d of await det.detect(im.path, { thresh: 0.005 })) {
          d.classProbs.forEach((p, c) => { if (p > 0) preds.push({ imageId: id, categoryId: c, bbox: [d.box.x, d.box.y, d.box.width, d.box.height], score: p }); });
        }
      }
    } finally {
      det.dispose();
    }
    const { stats } = cocoEvaluate(gt, preds, { imageIds: ds.images.map((_, i) => i) });
    console.log(`shapes model on ${ds.images.length} held-out images: AP50 ${stats.AP50.toFixed(3)}, AP@[.5:.95] ${stats.AP.toFixed(3)}, AP75 ${stats.AP75.toFixed(3)}`);
    expect(ds.images).toHaveLength(200);
    expect(stats.AP50).toBeGreaterThanOrEqual(0.9);
  });

  it('finds the four known shapes of the bundled sample image', async () => {
    const det = await Detector.load(model);
    const sample = join(M, 'sample.png');
    const truth = fromDarknetLabels(readFileSync(join(M, 'sample.txt'), 'utf8'), 192, 192, 'sample');
    const found = await det.detect(sample);
    det.dispose();
    expect(found).toHaveLength(truth.length);
    for (const t of truth) {
      const match = found.find((d) => d.classId === t.categoryId && iou([d.box.x, d.box.y, d.box.width, d.box.height], t.bbox) >= 0.5);
      expect(match, `class ${t.categoryId} at ${t.bbox.join(',')}`).toBeDefined();
    }
  });

  it('is the CLI default: `darknet-node detect --out x.png` on a fresh install shows real boxes', () => {
    const out = join(CACHE, 'default-annotated.png');
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'detect', '--out', out], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/using the bundled sample/); // a notice: stderr, stdout keeps the results
    expect(r.stdout).toMatch(/4 detection\(s\)/);
    for (const name of ['star', 'circle', 'cross', 'triangle']) expect(r.stdout).toContain(`${name}:`);
  });
});
