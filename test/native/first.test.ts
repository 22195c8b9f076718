/**
 * The first-layer kernel (native/fast/first.c: 3×3 on ≤ 3 channels, AVX-512) on a network made
 * for it: 21 × 13 (not a multiple of its 4-pixel steps), 16 filters writing NCHW for a grouped
 * convolution, and a second such layer reading oneDNN's NCHW output and writing
 * NHWC for oneDNN, its logistic applied after the kernel. Raw outputs within 1e-4 of reference
 * numerics, the same bytes for 1 and 2 threads and in a batch of 2, and the kernel really ran.
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
width=21
height=13
channels=3

[convolutional]
batch_normalize=1
filters=16
size=3
stride=1
pad=1
activation=leaky

[convolutional]
batch_normalize=1
filters=32
size=1
stride=1
pad=1
groups=2
activation=leaky

[convolutional]
batch_normalize=1
filters=3
size=1
stride=1
pad=1
activation=linear

[convolutional]
batch_normalize=1
filters=16
size=3
stride=1
pad=1
activation=logistic

[convolutional]
batch_normalize=1
filters=16
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
const dir = join(CACHE, 'first');
const cfg = join(dir, 'first.cfg');
const weights = join(dir, 'first.weights');

function input(images: number, seed: number): Float32Array {
  const x = new Float32Array(images * 3 * 21 * 13);
  let s = seed;
  for (let i = 0; i < x.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    x[i] = s / 2147483648;
  }
  return x;
}

const raw = async (d: Detector, x: Float32Array) => (await d.forward(x)).map((o) => Float32Array.from(o.data));

describe('first-layer kernel', () => {
  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(cfg, CFG);
    await writeRandomWeights(validateCfg(parseCfg(CFG)), weights, { seed: 9 });
  });

  it.runIf(avx512 && capabilities().dnnl)('runs on both 3-channel layers (DARKNET_NODE_PROFILE)', async () => {
    const script = `const { Detector } = await import(${JSON.stringify(join(ROOT, 'dist', 'index.js'))});
      const d = await Detector.load({ cfg: ${JSON.stringify(cfg)}, weights: ${JSON.stringify(weights)}, cache: false });
      await d.forward(new Float32Array(3 * 21 * 13)); d.dispose();`;
    const r = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, DARKNET_NODE_PROFILE: '1' } });
    expect(r.status, r.stderr).toBe(0);
    const convs = [...r.stderr.matchAll(/^\s*(\d+) convolutional\s+(\S+)/gm)].map((m) => `${m[1]}:${m[2]}`);
    expect(convs).toEqual(expect.arrayContaining(['0:first3x3', '2:onednn', '3:first3x3', '4:onednn']));
  });

  it('within 1e-4 of reference numerics, the same bytes for 1 and 2 threads and in a batch of 2', async () => {
    const ref = await Detector.load({ cfg, weights, numerics: 'reference', cache: false });
    const one = await Detector.load({ cfg, weights, threads: 1, cache: false });
    const two = await Detector.load({ cfg, weights, threads: 2, cache: false });
    const pair = await Detector.load({ cfg, weights, batch: 2, cache: false });
    try {
      const [a, b] = [input(1, 7), input(1, 11)];
      const r = await raw(ref, a), f1 = await raw(one, a), f2 = await raw(two, a);
      let max = 0;
      for (let h = 0; h < r.length; h++) for (let i = 0; i < r[h]!.length; i++) max = Math.max(max, Math.abs(r[h]![i]! - f1[h]![i]!));
      expect(max).toBeLessThan(1e-4);
      expect(max).toBeGreaterThan(0); // not Darknet's kernels
      expect(f2).toEqual(f1);
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
      for (const d of [ref, one, two, pair]) d.dispose();
    }
  });
});
