/**
 * Fast numerics (the default on the CPU) against reference numerics (Darknet's own kernels, which
 * parity.test.ts holds to libdarknet.so): the same detections on the parity panel (tiny here,
 * yolov3 in system/fast-yolov3.test.ts). Batch detection against one-at-a-time, DetectorPool, and
 * the threads option.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import type { Detection } from '../../lib/detections.js';
import { capabilities } from '../../lib/index.js';
import { DetectorPool } from '../../lib/pool.js';
import { ensureModel, pngPath, readRaw, type ModelName } from '../helpers/fixtures.js';
import { sameDetections } from '../helpers/same-detections.js';

const IMAGES = ['dog', 'eagle', 'giraffe', 'horses'] as const;

describe.each([['tiny', 0.5]] as Array<[ModelName, number]>)('%s: fast vs reference numerics', (name, thresh) => {
  let fast: Detector;
  let ref: Detector;
  beforeAll(async () => {
    const fx = await ensureModel(name);
    fast = await Detector.load({ cfg: fx.cfg, weights: fx.weights });
    ref = await Detector.load({ cfg: fx.cfg, weights: fx.weights, numerics: 'reference' });
  });
  afterAll(() => {
    fast?.dispose();
    ref?.dispose();
  });

  it('fast is the default on the CPU', () => {
    expect(fast.numerics).toBe('fast');
    expect(ref.numerics).toBe('reference');
  });

  it.each(IMAGES)('%s: same classes, IoU ≥ 0.99, probabilities within 1e-3', async (img) => {
    const r = await ref.detect(readRaw(img), { thresh });
    const f = await fast.detect(readRaw(img), { thresh });
    expect(r.length).toBeGreaterThan(0);
    const { minIou, maxDp, edge } = sameDetections(r, f, thresh);
    // The numbers do move (folding and BLAS reassociate sums): a test that passes because
    // fast mode silently ran the reference kernels would prove nothing.
    const ro = await ref.outputs();
    const fo = await fast.outputs();
    let maxOut = 0;
    ro.forEach((o, i) => o.data.forEach((v, k) => { maxOut = Math.max(maxOut, Math.abs(v - fo[i]!.data[k]!)); }));
    expect(maxOut).toBeGreaterThan(0);
    expect(maxOut).toBeLessThan(1e-2);
    console.log(`${name} ${img}: ${r.length}/${f.length} detections (reference/fast), min IoU ${minIou.toFixed(6)}, max |Δp| ${maxDp.toExponential(2)}, max |Δ raw| ${maxOut.toExponential(2)}, ${edge} differences at the threshold or NMS ties`);
  });
});

describe('options', () => {
  it('fast numerics cannot train, and a bad numerics or threads value is refused', async () => {
    const fx = await ensureModel('tiny');
    await expect(Detector.load({ cfg: fx.cfg, weights: fx.weights, training: true, numerics: 'fast' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(Detector.load({ cfg: fx.cfg, weights: fx.weights, numerics: 'quick' as never })).rejects.toMatchObject({ code: 'BAD_INPUT', message: /numerics/ });
    await expect(Detector.load({ cfg: fx.cfg, weights: fx.weights, threads: -1 })).rejects.toMatchObject({ code: 'BAD_INPUT', message: /threads/ });
    const d = await Detector.load({ cfg: fx.cfg, weights: fx.weights, training: true });
    expect(d.numerics).toBe('reference');
    d.dispose();
  });

  it('capabilities name the BLAS and the default thread count', () => {
    const caps = capabilities();
    expect(caps.defaultThreads).toBeGreaterThanOrEqual(1);
    expect(caps.blas === null || /OpenBLAS/.test(caps.blas)).toBe(true);
  });
});

describe('threads', () => {
  it('one thread and all threads give identical detections; setThreads applies to later calls', async () => {
    const fx = await ensureModel('tiny');
    const d = await Detector.load({ cfg: fx.cfg, weights: fx.weights, threads: 1 });
    try {
      expect(d.threads).toBe(1);
      const one = await d.detect(readRaw('dog'));
      await d.setThreads(0);
      expect(d.threads).toBe(capabilities().defaultThreads);
      const all = await d.detect(readRaw('dog'));
      expect(all).toEqual(one); // byte for byte: the split over threads never moves a sum (threads.test.ts)
      await expect(d.setThreads(1.5)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    } finally {
      d.dispose();
    }
  });
});

describe.each(['fast'] as const)('detectBatch (%s numerics)', (numerics) => {
  it('batch 4 with 1, 2 (Darknet\'s flip-averaging size), 3, 4 and 6 images equals one-at-a-time', async () => {
    const fx = await ensureModel('tiny');
    const single = await Detector.load({ cfg: fx.cfg, weights: fx.weights, numerics });
    const batched = await Detector.load({ cfg: fx.cfg, weights: fx.weights, numerics, batch: 4 });
    try {
      const all = ['dog', 'eagle', 'giraffe', 'horses', 'person', 'dog'].map((n) => readRaw(n as 'dog'));
      const expected: Detection[][] = [];
      for (const im of all) expected.push(await single.detect(im, { thresh: 0.3 }));
      expect(expected.some((e) => e.length > 0)).toBe(true);
      for (const n of [1, 2, 3, 4, 6]) {
        const got = await batched.detectBatch(all.slice(0, n), { thresh: 0.3 });
        expect(got).toHaveLength(n);
        got.forEach((g, i) => expect(g).toEqual(expected[i]));
      }
      // single detect() on a batch-4 network runs one image, not four
      expect(await batched.detect(all[2]!, { thresh: 0.3 })).toEqual(expected[2]);
    } finally {
      single.dispose();
      batched.dispose();
    }
  });
});

describe('detectBatch inputs', () => {
  it('mixes paths, encoded bytes and raw pixels; an empty list gives no results; a bad image names its index', async () => {
    const fx = await ensureModel('tiny');
    const d = await Detector.load({ cfg: fx.cfg, weights: fx.weights, batch: 2 });
    try {
      const png = await readFile(pngPath('eagle'));
      const [a, b, c] = await d.detectBatch([pngPath('dog'), png, readRaw('giraffe')]);
      expect(a).toEqual(await d.detect(pngPath('dog')));
      expect(b).toEqual(await d.detect(png));
      expect(c).toEqual(await d.detect(readRaw('giraffe')));
      expect(await d.detectBatch([])).toEqual([]);
      await expect(d.detectBatch([pngPath('dog'), new Uint8Array([1, 2, 3])])).rejects.toMatchObject({ code: 'IMAGE_DECODE', index: 1, message: expect.stringMatching(/^input 1: /) });
      const many = [...Array.from({ length: 9 }, () => readRaw('dog')), { data: new Uint8Array(5), width: 10, height: 10, channels: 3 as const }];
      await expect(d.detectBatch(many)).rejects.toMatchObject({ code: 'BAD_INPUT', index: 9 });
      await expect(d.detectBatch('dog.png' as never)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    } finally {
      d.dispose();
    }
  });
});

describe('DetectorPool', () => {
  let pool: DetectorPool;
  let single: Detector;
  beforeAll(async () => {
    const fx = await ensureModel('tiny');
    pool = await DetectorPool.load({ cfg: fx.cfg, weights: fx.weights, instances: 2 });
    single = await Detector.load({ cfg: fx.cfg, weights: fx.weights });
  });
  afterAll(() => {
    pool?.dispose();
    single?.dispose();
  });

  it('holds independent copies, one thread each on this machine, and runs them at once', async () => {
    expect(pool.size).toBe(2);
    expect(pool.detectors[0]).not.toBe(pool.detectors[1]);
    for (const d of pool.detectors) expect(d.threads).toBe(Math.max(1, Math.floor(capabilities().defaultThreads / 2)));
    const calls = IMAGES.map((img) => pool.detect(readRaw(img)));
    expect(pool.busy).toBe(2); // both copies took a call synchronously; the rest wait
    const got = await Promise.all(calls);
    for (const [i, img] of IMAGES.entries()) sameDetections(await single.detect(readRaw(img)), got[i]!);
    expect(pool.busy).toBe(0);
  });

  it('detectBatch spreads images over the copies and keeps input order', async () => {
    const inputs = [...IMAGES, ...IMAGES].map((n) => readRaw(n));
    const got = await pool.detectBatch(inputs);
    expect(got).toHaveLength(8);
    for (const [i, im] of inputs.entries()) sameDetections(await single.detect(im), got[i]!);
  });

  it('a failed call frees its copy; dispose rejects what waits', async () => {
    await expect(pool.detect(new Uint8Array([0, 1, 2]))).rejects.toMatchObject({ code: 'IMAGE_DECODE' });
    expect(pool.busy).toBe(0);
    const fx = await ensureModel('tiny');
    const p = await DetectorPool.load({ cfg: fx.cfg, weights: fx.weights, instances: 1 });
    const first = p.detect(readRaw('dog'));
    const waiting = p.detect(readRaw('eagle'));
    p.dispose();
    await expect(waiting).rejects.toMatchObject({ code: 'DISPOSED' });
    await first.catch(() => undefined);
    await expect(p.detect(readRaw('dog'))).rejects.toMatchObject({ code: 'DISPOSED' });
  });

  it('a load failure disposes the copies already loaded and rejects', async () => {
    await expect(DetectorPool.load({ cfg: '/nonexistent.cfg', weights: null, instances: 2 })).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(DetectorPool.load({ cfg: 'x', weights: null, instances: 0 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});
