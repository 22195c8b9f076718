/**
 * Long-running use: 10,000 detects on one network and 500 load/dispose cycles in one process
 * keep RSS flat, and several detectors used in parallel give the sequential results.
 * A small YOLO network (64×64 input) keeps the soak within CI's time.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCfg, validateCfg } from '../lib/cfg/index.js';
import { Detector } from '../lib/detector.js';
import { writeRandomWeights } from '../lib/random-weights.js';
import { CACHE, ensureModel, readRaw, ROOT } from './helpers/fixtures.js';

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
  it('10,000 detects and 500 load/dispose cycles: RSS growth < 20 MB after warm-up', () => {
    const out = execFileSync(process.execPath, ['--expose-gc', join(ROOT, 'test', 'fixtures', 'soak.mjs'), smallCfg, smallWeights, '10000', '500'], { encoding: 'utf8', timeout: 300_000 });
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
