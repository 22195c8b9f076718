/** yolov3 gives the same bytes for threads 1–4 in both OpenBLAS environments (see native/threads.test.ts). */
import { describe, it } from 'vitest';
import { ensureModel } from '../helpers/fixtures.js';
import { digestsInChild, ENVIRONMENTS, expectThreadInvariant } from '../helpers/threads.js';

describe.each(ENVIRONMENTS)('threads 1–4 give the same bytes with %s', (label, env) => {
  it('yolov3: raw outputs and detections', async () => {
    const r = await digestsInChild(env(), [{ ...(await ensureModel('yolov3')), name: 'yolov3' }]);
    console.log(`${label}: ${r.blas ?? 'no BLAS'} → ${JSON.stringify(r.models)}`);
    expectThreadInvariant(r, env(), ['yolov3']);
  });
});
