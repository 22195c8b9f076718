/**
 * Same bytes for any thread count (fast numerics, the default), on machines that force
 * OpenBLAS's Haswell kernels (OPENBLAS_CORETYPE=Haswell, OPENBLAS_L2_SIZE=512) and on machines
 * that let it pick. OpenBLAS reads those variables once, when the addon loads, so each
 * environment runs in its own process: raw outputs and detections digested per thread count.
 */
import { describe, it } from 'vitest';
import { ensureModel, pngPath } from '../helpers/fixtures.js';
import { digestsInChild, ENVIRONMENTS, expectThreadInvariant, SHAPES } from '../helpers/threads.js';

describe.each(ENVIRONMENTS)('threads give the same bytes with %s', (label, env) => {
  it('shapes model and yolov3-tiny with 1–4 threads on three images', async () => {
    const r = await digestsInChild(env(), [SHAPES, { ...(await ensureModel('tiny')), name: 'tiny' }]);
    console.log(`${label}: ${r.dnnl ?? 'no oneDNN'}, ${r.blas ?? 'no BLAS'} → ${JSON.stringify(r.models)}`);
    expectThreadInvariant(r, env(), ['shapes', 'tiny']);
  });

  it('yolov3 (every layer shape) with 1–3 threads on one image', async () => {
    const threads = [1, 2, 3];
    const r = await digestsInChild(env(), [{ ...(await ensureModel('yolov3')), name: 'yolov3' }], { images: [pngPath('dog')], threads });
    console.log(`${label}: ${r.dnnl ?? 'no oneDNN'}, ${r.blas ?? 'no BLAS'} → ${JSON.stringify(r.models)}`);
    expectThreadInvariant(r, env(), ['yolov3'], threads);
  });
});
