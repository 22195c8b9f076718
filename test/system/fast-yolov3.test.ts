/**
 * The heavy half of native/fast.test.ts: fast against reference numerics on yolov3 (the busiest
 * sample images), batch detection in reference numerics, and the libuv pool during a yolov3 pass.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import type { Detection } from '../../lib/detections.js';
import { ensureModel, readRaw, type ModelName } from '../helpers/fixtures.js';
import { sameDetections } from '../helpers/same-detections.js';

describe.each([['yolov3', 0.3]] as Array<[ModelName, number]>)('%s: fast vs reference numerics', (name, thresh) => {
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

  it.each(['dog', 'horses'] as const)('%s: same classes, IoU ≥ 0.99, probabilities within 1e-3', async (img) => {
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

describe.each(['reference'] as const)('detectBatch (%s numerics)', (numerics) => {
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
