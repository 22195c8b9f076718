/**
 * Transfer to detection, as the official YOLOv3 recipe starts: the Darknet-53 classifier's
 * backbone cut as darknet53.conv.74 (partialWeights) starts yolov3's training. Random weights of
 * the real size stand for the ImageNet-trained ones; yolov3 trains at 128×128 for speed.
 */
import { join } from 'node:path';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCfg } from '../../lib/cfg/parse.js';
import { serializeCfg } from '../../lib/cfg/serialize.js';
import { canonicalType, setOption } from '../../lib/cfg/types.js';
import { validateCfg } from '../../lib/cfg/validate.js';
import { Classifier } from '../../lib/classifier.js';
import { Detector } from '../../lib/detector.js';
import { partialWeights } from '../../lib/partial.js';
import { generateSyntheticDataset, Trainer, type SyntheticDataset, type TrainProgress } from '../../lib/train/index.js';
import { checkPrefixWeights } from '../../lib/weights.js';
import { ensureClassifier, type ClassifierFixture } from '../helpers/classifiers.js';
import { CACHE, DARKNET_SHARE, pngPath } from '../helpers/fixtures.js';

const dir = join(CACHE, 'transfer');
let fx: ClassifierFixture;
let ds: SyntheticDataset;
const yolo = join(dir, 'yolov3-128.cfg');

beforeAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  fx = await ensureClassifier('darknet53');
  ds = await generateSyntheticDataset({ dir: join(dir, 'data'), seed: 4, train: 8, val: 1, width: 128, height: 128, minSize: 16, maxSize: 48, maxShapes: 2 });
  // yolov3.cfg at 128, one image per iteration, one size (random=1 would train at 320–608); its
  // burn_in (1000) keeps the first iterations' rate near 0, as the recipe starts
  const cfg = parseCfg(readFileSync(join(DARKNET_SHARE, 'cfg', 'yolov3.cfg'), 'utf8'));
  const net = cfg.sections[0]!;
  for (const [k, v] of [['width', 128], ['height', 128], ['batch', 1], ['subdivisions', 1]] as const) setOption(net, k, v);
  for (const s of cfg.sections) if (canonicalType(s.type) === 'yolo') setOption(s, 'random', 0);
  writeFileSync(yolo, serializeCfg(cfg));
});

describe('a classifier\'s backbone starts a detector\'s training', () => {
  it('darknet53 → darknet53.conv.74 (partialWeights) → yolov3 trains from it', async () => {
    // the weights are a classifier's: it classifies
    const c = await Classifier.load({ cfg: fx.cfg, weights: fx.weights });
    expect((await c.classify(pngPath('dog'))).top).toHaveLength(5);
    c.dispose();

    const conv74 = join(dir, 'darknet53.conv.74');
    const cut = await partialWeights({ cfg: fx.cfg, weights: fx.weights, out: conv74, layers: 74 });
    expect(cut.bytes).toBe(162_482_580); // the size of the published darknet53.conv.74

    // layer for layer, yolov3's first 74 layers are Darknet-53's
    const cls = validateCfg(parseCfg(readFileSync(fx.cfg, 'utf8')));
    const det = validateCfg(parseCfg(readFileSync(yolo, 'utf8')));
    const sig = (l: (typeof det.layers)[number]) => [l.type, l.filters, l.size, l.stride, l.weightFloats, l.from];
    expect(det.layers.slice(0, 74).map(sig)).toEqual(cls.layers.slice(0, 74).map(sig));
    expect(await checkPrefixWeights(conv74, det)).toMatchObject({ layers: 74, complete: false });

    const train = async (out: string, initialWeights?: string) => {
      const losses: number[] = [];
      const t = new Trainer();
      t.on('progress', (p: TrainProgress) => losses.push(p.loss));
      const r = await t.train({ cfg: yolo, data: ds.trainList, maxBatches: 3, checkpointEvery: 0, outDir: join(dir, out), seed: 21, ...(initialWeights ? { initialWeights } : {}) });
      return { r, losses };
    };
    const fromBackbone = await train('from-backbone', conv74);
    expect(fromBackbone.r).toMatchObject({ initialLayers: 74, iterations: 3, aborted: false });
    expect(fromBackbone.losses).toHaveLength(3);
    expect(fromBackbone.losses.every((l) => Number.isFinite(l) && l > 0)).toBe(true);
    // the heads after layer 73 are drawn from the same seed either way: what differs is the backbone read
    const scratch = await train('from-scratch');
    expect(scratch.losses[0]).not.toBe(fromBackbone.losses[0]);

    // the result is a complete yolov3: it loads as a detector
    const d = await Detector.load({ cfg: yolo, weights: fromBackbone.r.weights });
    expect(Array.isArray(await d.detect(pngPath('dog'), { thresh: 0.9 }))).toBe(true);
    d.dispose();
  });
});
