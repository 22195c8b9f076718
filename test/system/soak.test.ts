/**
 * Long-running use: 10,000 detects on one network and 500 load/dispose cycles in one process
 * keep RSS flat, and several detectors used in parallel give the sequential results; load/
 * detect/dispose cycles of yolov3-tiny keep RSS flat.
 * A small YOLO network (64×64 input) keeps the soak within CI's time.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCfg, validateCfg } from '../../lib/cfg/index.js';
import { Detector } from '../../lib/detector.js';
import { writeRandomWeights } from '../../lib/random-weights.js';
import { CACHE, ensureModel, readRaw, ROOT } from '../helpers/fixtures.js';
import { runOk } from '../helpers/proc.js';

const SMALL_CFG = `[net]
batch=1
width=64
height=64
channels=3
[convolutional]
batch_normalize=1
filters=16
size=3
stride=2
pad=1
activation=leaky
[convolutional]
batch_normalize=1
filters=32
size=3
stride=2
pad=1
activation=leaky
[maxpool]
size=2
stride=2
[convolutional]
filters=24
size=1
stride=1
pad=1
activation=linear
[yolo]
mask=0,1,2
anchors=10,14,23,27,37,58
classes=3
num=3
`;
const smallCfg = join(CACHE, 'small-64.cfg');
const smallWeights = join(CACHE, 'small-64.weights');

beforeAll(async () => {
  writeFileSync(smallCfg, SMALL_CFG);
  await writeRandomWeights(validateCfg(parseCfg(SMALL_CFG)), smallWeights, { seed: 5 });
});

describe('soak', () => {
  it('10,000 detects and 500 load/dispose cycles: RSS growth < 20 MB after warm-up', async () => {
    const out = await runOk(process.execPath, ['--expose-gc', join(ROOT, 'test', 'fixtures', 'soak.mjs'), smallCfg, smallWeights, '10000', '500'], { timeout: 300_000 });
    const { detectCurve, cycleCurve } = JSON.parse(out.trim().split('\n').pop()!) as { detectCurve: number[]; cycleCurve: number[] };
    console.log(`RSS (MB) every 1,000 detects: ${detectCurve.join(' ')}`);
    console.log(`RSS (MB) every 50 load/dispose cycles: ${cycleCurve.join(' ')}`);
    expect(detectCurve).toHaveLength(10);
    expect(cycleCurve).toHaveLength(10);
    expect(detectCurve[9]! - detectCurve[1]!).toBeLessThan(20);
    expect(cycleCurve[9]! - cycleCurve[1]!).toBeLessThan(20);
  });
});

describe('parallel detectors', () => {
  it('4 detectors used at once from Promise.all give the sequential results', async () => {
    const fx = await ensureModel('tiny');
    const dets = await Promise.all([0, 1, 2, 3].map(() => Detector.load({ cfg: fx.cfg, weights: fx.weights })));
    try {
      const images = ['dog', 'eagle', 'giraffe', 'horses'].map(readRaw);
      const sequential = [];
      for (const im of images) sequential.push(await dets[0]!.detect(im, { thresh: 0.3 }));
      const parallel = await Promise.all(images.map((im, i) => dets[i]!.detect(im, { thresh: 0.3 })));
      expect(parallel).toEqual(sequential);
    } finally {
      dets.forEach((d) => d.dispose());
    }
  });
});

describe('memory across load/dispose cycles', () => {
  it('frees what free_network leaks upstream (workspace, yolo masks, counters): flat RSS over 12 cycles', async () => {
    const tiny = await ensureModel('tiny');
    // Each cycle touches the workspace (≈25 MB for yolov3-tiny at 416) with a detect; upstream's
    // free_network would leave it behind every time.
    const script = `
      import { Detector } from ${JSON.stringify(join(ROOT, 'dist', 'index.js'))};
      const raw = { data: new Uint8Array(320 * 240 * 3).fill(128), width: 320, height: 240, channels: 3 };
      const rss = () => process.memoryUsage().rss / 2 ** 20;
      const curve = [];
      for (let i = 0; i < 12; i++) {
        const d = await Detector.load({ cfg: ${JSON.stringify(tiny.cfg)}, weights: ${JSON.stringify(tiny.weights)} });
        await d.detect(raw);
        d.dispose();
        curve.push(Math.round(rss()));
      }
      console.log(JSON.stringify(curve));`;
    const out = await runOk(process.execPath, ['--input-type=module', '-e', script]);
    const curve = JSON.parse(out.trim().split('\n').pop()!) as number[];
    console.log(`RSS (MB) per load/detect/dispose cycle: ${curve.join(' ')}`);
    expect(curve[11]! - curve[3]!).toBeLessThan(60); // upstream leaked ~25 MB a cycle
  });
});
