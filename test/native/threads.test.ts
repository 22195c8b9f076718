/**
 * Same bytes for any thread count (fast numerics, the default): each DetectorPool copy equals a
 * one-thread Detector (fast.test.ts: one thread vs all). Both OpenBLAS environments, in child
 * processes, for the shapes model, yolov3-tiny and yolov3: system/threads-env.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import { DetectorPool } from '../../lib/pool.js';
import { ensureModel } from '../helpers/fixtures.js';
import { IMAGES } from '../helpers/threads.js';

describe('DetectorPool copies', () => {
  it('each copy (2 copies of 2 threads, taking calls at once) detects exactly what a one-thread Detector does', async () => {
    const fx = await ensureModel('tiny');
    const one = await Detector.load({ cfg: fx.cfg, weights: fx.weights, threads: 1 });
    const pool = await DetectorPool.load({ cfg: fx.cfg, weights: fx.weights, instances: 2, threads: 2 });
    try {
      const expected = await Promise.all(IMAGES.map((i) => one.detect(i)));
      const got = await Promise.all(pool.detectors.map((d) => Promise.all(IMAGES.map((i) => d.detect(i)))));
      for (const perCopy of got) expect(perCopy).toEqual(expected);
    } finally {
      one.dispose();
      pool.dispose();
    }
  });
});
