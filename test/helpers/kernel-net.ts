/**
 * Small networks built to send every path of one fast kernel (Winograd F(4,3), the first-layer
 * kernel, route/upsample layouts) through a pass, and the two checks each such test makes: which
 * kernel ran on which layer (DARKNET_NODE_PROFILE), and that fast numerics stay within 1e-4 of
 * reference, give the same bytes for every thread count and the same in a batch of 2.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { Detector } from '../../lib/detector.js';
import { parseCfg, validateCfg, writeRandomWeights } from '../../lib/index.js';
import { CACHE, ROOT } from './fixtures.js';
import { run } from './proc.js';

/** Whether this CPU has AVX-512 (the fast kernels' only implementation). */
export const AVX512 = /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));

/** The end of each such network: a 1×1 convolution to 3 anchors × (4 + 1 + 1 class) and a [yolo]. */
export const ONE_CLASS_HEAD = `[convolutional]
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

export interface KernelNet {
  cfg: string;
  weights: string;
  /** floats of one image's input */
  inputs: number;
}

/** Writes `text` and random weights under test/.cache/<name>/ (call in beforeAll). */
export async function makeKernelNet(name: string, text: string, seed: number): Promise<KernelNet> {
  const dir = join(CACHE, name);
  mkdirSync(dir, { recursive: true });
  const cfg = join(dir, `${name}.cfg`), weights = join(dir, `${name}.weights`);
  writeFileSync(cfg, text);
  const shape = validateCfg(parseCfg(text));
  await writeRandomWeights(shape, weights, { seed });
  return { cfg, weights, inputs: shape.width * shape.height * shape.channels };
}

function input(net: KernelNet, images: number, seed: number): Float32Array {
  const x = new Float32Array(images * net.inputs);
  let s = seed;
  for (let i = 0; i < x.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    x[i] = s / 2147483648;
  }
  return x;
}

const raw = async (d: Detector, x: Float32Array) => (await d.forward(x)).map((o) => Float32Array.from(o.data));

/** `index:kernel` of every layer whose type matches `types` (a regular expression's alternatives,
 * e.g. 'route|upsample') in one profiled pass (a child process: the profile prints to stderr),
 * e.g. ['1:winograd4x4'] for 'convolutional'. */
export async function kernelsRun(net: KernelNet, types: string): Promise<string[]> {
  const script = `const { Detector } = await import(${JSON.stringify(join(ROOT, 'dist', 'index.js'))});
    const d = await Detector.load({ cfg: ${JSON.stringify(net.cfg)}, weights: ${JSON.stringify(net.weights)}, cache: false });
    await d.forward(new Float32Array(${net.inputs})); d.dispose();`;
  const r = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, DARKNET_NODE_PROFILE: '1' } });
  expect(r.status, r.stderr).toBe(0);
  return [...r.stderr.matchAll(new RegExp(`^\\s*(\\d+) (?:${types})\\s+(\\S+)`, 'gm'))].map((m) => `${m[1]}:${m[2]}`);
}

/** Fast numerics within 1e-4 of reference (and not equal to it), the same bytes with 1, 2 and
 * each of `moreThreads` threads, and image by image the same in a batch of 2. */
export async function fastHoldsToReference(net: KernelNet, moreThreads: readonly number[] = []): Promise<void> {
  const { cfg, weights } = net;
  const ref = await Detector.load({ cfg, weights, numerics: 'reference', cache: false });
  const one = await Detector.load({ cfg, weights, threads: 1, cache: false });
  const others = await Promise.all([2, ...moreThreads].map((threads) => Detector.load({ cfg, weights, threads, cache: false })));
  const pair = await Detector.load({ cfg, weights, batch: 2, cache: false });
  try {
    const [a, b] = [input(net, 1, 7), input(net, 1, 11)];
    const r = await raw(ref, a), f1 = await raw(one, a);
    let max = 0;
    for (let h = 0; h < r.length; h++) for (let i = 0; i < r[h]!.length; i++) max = Math.max(max, Math.abs(r[h]![i]! - f1[h]![i]!));
    expect(max).toBeLessThan(1e-4);
    expect(max).toBeGreaterThan(0); // not Darknet's kernels
    for (const d of others) expect(await raw(d, a)).toEqual(f1);
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
    for (const d of [ref, one, ...others, pair]) d.dispose();
  }
}
