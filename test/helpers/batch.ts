import { describe, expect, it } from 'vitest';
import { Detector, type Numerics } from '../../lib/detector.js';
import type { Detection } from '../../lib/detections.js';
import { ensureModel, readRaw } from './fixtures.js';

/** detectBatch on a batch-4 yolov3-tiny equals detect() one image at a time, for these counts. */
export function batchEqualsSingle(numerics: Numerics, counts: readonly number[] = [1, 2, 3, 4, 6]): void {
  describe(`detectBatch (${numerics} numerics)`, () => {
    it(`batch 4 with ${counts.join(', ')} images (2: Darknet's flip-averaging size) equals one-at-a-time`, async () => {
      const fx = await ensureModel('tiny');
      const single = await Detector.load({ cfg: fx.cfg, weights: fx.weights, numerics });
      const batched = await Detector.load({ cfg: fx.cfg, weights: fx.weights, numerics, batch: 4 });
      try {
        const all = ['dog', 'eagle', 'giraffe', 'horses', 'person', 'dog'].map((n) => readRaw(n as 'dog'));
        const expected: Detection[][] = [];
        for (const im of all) expected.push(await single.detect(im, { thresh: 0.3 }));
        expect(expected.some((e) => e.length > 0)).toBe(true);
        for (const n of counts) {
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
}
