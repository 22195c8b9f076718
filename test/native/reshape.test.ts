/**
 * Fast [route] and [upsample] (native/fast/reshape.c) in every layout they can meet (layout.c):
 * an upsample reading a grouped convolution's NCHW and writing NHWC for oneDNN, one reading NHWC
 * and writing NCHW for a grouped convolution, a route joining an NCHW and an NHWC input into NHWC,
 * another into NCHW (the NHWC-to-NHWC paths run in yolov3-tiny: fast.test.ts). Raw outputs within
 * 1e-4 of reference numerics (the copies themselves are exact: a misplaced channel would be far
 * off), the same bytes for 1 and 2 threads and in a batch of 2, and the fast layers really ran.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import { capabilities, parseCfg, validateCfg, writeRandomWeights } from '../../lib/index.js';
import { CACHE, ROOT } from '../helpers/fixtures.js';
import { run } from '../helpers/proc.js';

const CFG = `[net]
batch=1
width=16
height=12
channels=3

[convolutional]
batch_normalize=1
filters=32
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

[upsample]
stride=2

[convolutional]
batch_normalize=1
filters=32
size=3
stride=2
pad=1
activation=leaky

[route]
layers=0,3

[convolutional]
batch_normalize=1
filters=32
size=1
stride=1
pad=1
activation=leaky

[upsample]
stride=2

[convolutional]
batch_normalize=1
filters=32
size=3
stride=2
pad=1
groups=2
activation=leaky

[route]
layers=7,5

[convolutional]
batch_normalize=1
filters=32
size=1
stride=1
pad=1
groups=2
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

const dir = join(CACHE, 'reshape');
const cfg = join(dir, 'reshape.cfg');
const weights = join(dir, 'reshape.weights');

function input(images: number, seed: number): Float32Array {
  const x = new Float32Array(images * 3 * 16 * 12);
  let s = seed;
  for (let i = 0; i < x.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    x[i] = s / 2147483648;
  }
  return x;
}

const raw = async (d: Detector, x: Float32Array) => (await d.forward(x)).map((o) => Float32Array.from(o.data));

describe('fast route and upsample', () => {
  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(cfg, CFG);
    await writeRandomWeights(validateCfg(parseCfg(CFG)), weights, { seed: 5 });
  });

  it.runIf(capabilities().dnnl)('run as fast layers (DARKNET_NODE_PROFILE)', async () => {
    const script = `const { Detector } = await import(${JSON.stringify(join(ROOT, 'dist', 'index.js'))});
      const d = await Detector.load({ cfg: ${JSON.stringify(cfg)}, weights: ${JSON.stringify(weights)}, cache: false });
      await d.forward(new Float32Array(3 * 16 * 12)); d.dispose();`;
    const r = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, DARKNET_NODE_PROFILE: '1' } });
    expect(r.status, r.stderr).toBe(0);
    const kinds = [...r.stderr.matchAll(/^\s*(\d+) (route|upsample)\s+(\S+)/gm)].map((m) => `${m[1]}:${m[3]}`);
    expect(kinds).toEqual(['2:fast', '4:fast', '6:fast', '8:fast']);
    const convs = [...r.stderr.matchAll(/^\s*(\d+) convolutional\s+(\S+)/gm)].map((m) => `${m[1]}:${m[2]}`);
    expect(convs).toEqual(expect.arrayContaining(['3:onednn', '5:onednn']));
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
