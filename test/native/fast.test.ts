/**
 * Fast numerics (the default on the CPU) against reference numerics (Darknet's own kernels, which
 * parity.test.ts holds to libdarknet.so): the same detections on the parity panel (tiny here,
 * yolov3 in system/fast-yolov3.test.ts). Batch detection against one-at-a-time, DetectorPool, and
 * the threads option.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import { capabilities } from '../../lib/index.js';
import { DetectorPool } from '../../lib/pool.js';
import { ensureModel, pngPath, readRaw, type ModelName } from '../helpers/fixtures.js';
import { batchEqualsSingle } from '../helpers/batch.js';
import { fastMatchesReference } from '../helpers/same-detections.js';

const IMAGES = ['dog', 'eagle', 'giraffe', 'horses'] as const;

fastMatchesReference('tiny', 0.5, IMAGES); // yolov3: system/fast-yolov3.test.ts

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

batchEqualsSingle('fast'); // reference numerics: system/fast-yolov3.test.ts

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
    for (const [i, img] of IMAGES.entries()) expect(got[i]).toEqual(await single.detect(readRaw(img))); // same bytes for any thread count
    expect(pool.busy).toBe(0);
  });

  it('detectBatch spreads images over the copies and keeps input order', async () => {
    const inputs = [...IMAGES, ...IMAGES].map((n) => readRaw(n));
    const got = await pool.detectBatch(inputs);
    expect(got).toHaveLength(8);
    for (const [i, im] of inputs.entries()) expect(got[i]).toEqual(await single.detect(im));
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
