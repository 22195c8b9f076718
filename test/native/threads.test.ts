/**
 * Same bytes for any thread count (fast numerics, the default): raw outputs and detections of a
 * Detector, of each DetectorPool copy and of one-thread workers equal those of any other thread
 * count, on machines that force OpenBLAS's Haswell kernels (OPENBLAS_CORETYPE=Haswell,
 * OPENBLAS_L2_SIZE=512) and on machines that let it pick. OpenBLAS reads those variables once,
 * when the addon loads, so each environment runs in its own process. yolov3: system/threads-yolov3.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import { DetectorPool } from '../../lib/pool.js';
import { ensureModel } from '../helpers/fixtures.js';
import { digestsInChild, ENVIRONMENTS, expectThreadInvariant, IMAGES, SHAPES } from '../helpers/threads.js';

describe.each(ENVIRONMENTS)('threads 1–4 give the same bytes with %s', (label, env) => {
  it('shapes model and yolov3-tiny: raw outputs and detections', async () => {
    const r = await digestsInChild(env(), [SHAPES, { ...(await ensureModel('tiny')), name: 'tiny' }]);
    console.log(`${label}: ${r.blas ?? 'no BLAS'} → ${JSON.stringify(r.models)}`);
    expectThreadInvariant(r, env(), ['shapes', 'tiny']);
  });
});

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
