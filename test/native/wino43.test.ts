/**
 * Winograd F(4×4,3×3) (native/fast/wino43.c) on a network made for it: two 3×3 layers of 64
 * channels on a 22×19 map (neither side a multiple of the 4×4 tile), the first reading oneDNN's
 * NHWC output and writing NCHW for a route (logistic, applied after the kernel), the second
 * reading that route's NCHW (transposed first) with leaky ReLU fused. Raw outputs within 1e-4 of
 * reference numerics, the same bytes for 1, 2 and 8 threads (8: more than Darknet's workspace
 * holds U's per-thread corners for, so the pass runs in the thread's own scratch) and in a batch
 * of 2, and the kernel really ran (DARKNET_NODE_PROFILE names each layer's kernel). fast.test.ts and
 * system/fast-yolov3.test.ts hold it to reference detections in yolov3-tiny and yolov3.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import { capabilities, parseCfg, validateCfg, writeRandomWeights } from '../../lib/index.js';
import { CACHE, ROOT } from '../helpers/fixtures.js';
import { run } from '../helpers/proc.js';

const CFG = `[net]
batch=1
width=22
height=19
channels=3

[convolutional]
batch_normalize=1
filters=64
size=3
stride=1
pad=1
activation=leaky

[convolutional]
batch_normalize=1
filters=64
size=3
stride=1
pad=1
activation=logistic

[route]
layers=-1

[convolutional]
batch_normalize=1
filters=64
size=3
stride=1
pad=1
activation=leaky

[convolutional]
filters=64
size=1
stride=1
pad=1
activation=leaky

[convolutional]
filters=18
size=1
stride=1
pad=1
activation=linear

[yolo]
mask=0,1,2
anchors=10,13, 16,30, 33,23
classes=1
num=3
jitter=.3
ignore_thresh=.7
truth_thresh=1
random=0
`;

const avx512 = /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
const dir = join(CACHE, 'wino43');
const cfg = join(dir, 'wino43.cfg');
const weights = join(dir, 'wino43.weights');

function input(images: number, seed: number): Float32Array {
  const x = new Float32Array(images * 3 * 22 * 19);
  let s = seed;
  for (let i = 0; i < x.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    x[i] = s / 2147483648;
  }
  return x;
}

const raw = async (d: Detector, x: Float32Array) => (await d.forward(x)).map((o) => Float32Array.from(o.data));

describe('Winograd F(4,3)', () => {
  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(cfg, CFG);
    await writeRandomWeights(validateCfg(parseCfg(CFG)), weights, { seed: 3 });
  });

  it.runIf(avx512 && capabilities().dnnl)('runs both 3×3 layers of 64 channels (DARKNET_NODE_PROFILE)', async () => {
    const script = `const { Detector } = await import(${JSON.stringify(join(ROOT, 'dist', 'index.js'))});
      const d = await Detector.load({ cfg: ${JSON.stringify(cfg)}, weights: ${JSON.stringify(weights)}, cache: false });
      await d.forward(new Float32Array(3 * 22 * 19)); d.dispose();`;
    const r = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, DARKNET_NODE_PROFILE: '1' } });
    expect(r.status, r.stderr).toBe(0);
    const kernels = [...r.stderr.matchAll(/^\s*(\d+) convolutional\s+(\S+)/gm)].map((m) => `${m[1]}:${m[2]}`);
    expect(kernels).toEqual(['0:onednn', '1:winograd4x4', '3:winograd4x4', '4:onednn', '5:onednn']);
  });

  it('within 1e-4 of reference numerics, the same bytes for 1, 2 and 8 threads and in a batch of 2', async () => {
    const ref = await Detector.load({ cfg, weights, numerics: 'reference', cache: false });
    const one = await Detector.load({ cfg, weights, threads: 1, cache: false });
    const two = await Detector.load({ cfg, weights, threads: 2, cache: false });
    const eight = await Detector.load({ cfg, weights, threads: 8, cache: false });
    const pair = await Detector.load({ cfg, weights, batch: 2, cache: false });
    try {
      const [a, b] = [input(1, 7), input(1, 11)];
      const r = await raw(ref, a), f1 = await raw(one, a), f2 = await raw(two, a);
      let max = 0;
      for (let h = 0; h < r.length; h++) for (let i = 0; i < r[h]!.length; i++) max = Math.max(max, Math.abs(r[h]![i]! - f1[h]![i]!));
      expect(max).toBeLessThan(1e-4);
      expect(max).toBeGreaterThan(0); // not Darknet's kernels
      expect(f2).toEqual(f1);
      expect(await raw(eight, a)).toEqual(f1);
      const both = new Float32Array(a.length * 2);
      both.set(a);
      both.set(b, a.length);
      const batched = await raw(pair, both), fb = await raw(one, b);
      for (let h = 0; h < batched.length; h++) {
        const n = f1[h]!.length;
        expect(batched[h]!.subarray(0, n)).toEqual(f1[h]);
        expect(batched[h]!.subarray(n)).toEqual(fb[h]);
      }
    } finally {
      for (const d of [ref, one, two, eight, pair]) d.dispose();
    }
  });
});
