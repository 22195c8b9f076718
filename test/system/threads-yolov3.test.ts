/** yolov3 gives the same bytes for threads 1–4 in both OpenBLAS environments (see native/threads.test.ts). */
import { describe, it } from 'vitest';
import { ensureModel, pngPath } from '../helpers/fixtures.js';
import { digestsInChild, ENVIRONMENTS, expectThreadInvariant } from '../helpers/threads.js';

describe.each(ENVIRONMENTS)('threads 1–3 give the same bytes with %s', (label, env) => {
  it('yolov3: raw outputs and detections', async () => {
    // every layer shape of yolov3 on one image, with counts that split rows and tiles differently
    const threads = [1, 2, 3];
    const r = await digestsInChild(env(), [{ ...(await ensureModel('yolov3')), name: 'yolov3' }], { images: [pngPath('dog')], threads });
    console.log(`${label}: ${r.blas ?? 'no BLAS'} → ${JSON.stringify(r.models)}`);
    expectThreadInvariant(r, env(), ['yolov3'], threads);
  });
});
