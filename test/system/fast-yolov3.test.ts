/**
 * The heavy half of native/fast.test.ts: fast against reference numerics on yolov3 (the busiest
 * sample images), batch detection in reference numerics, and the libuv pool during a yolov3 pass.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import { ensureModel, readRaw, type ModelName } from '../helpers/fixtures.js';
import { batchEqualsSingle } from '../helpers/batch.js';
import { fastMatchesReference } from '../helpers/same-detections.js';

fastMatchesReference('yolov3', 0.3, ['horses']); // the busiest sample image; tiny: all four

batchEqualsSingle('reference', [2, 6]); // Darknet's kernels are slow: the two telling counts

describe('threads', () => {
  it('the libuv pool is not starved: file reads complete while a yolov3 pass runs', async () => {
    const fx = await ensureModel('yolov3');
    const d = await Detector.load({ cfg: fx.cfg, weights: fx.weights });
    try {
      let detectDone = 0;
      const started = performance.now();
      const detect = d.detect(readRaw('dog')).then(() => { detectDone = performance.now(); });
      const reads: number[] = [];
      for (let i = 0; i < 20; i++) {
        await readFile(fx.cfg);
        reads.push(performance.now());
      }
      await detect;
      const lastRead = reads[reads.length - 1]! - started;
      console.log(`20 sequential fs reads finished ${lastRead.toFixed(1)} ms after the detect started; the detect took ${(detectDone - started).toFixed(0)} ms`);
      expect(reads[reads.length - 1]!).toBeLessThan(detectDone);
    } finally {
      d.dispose();
    }
  });
});
