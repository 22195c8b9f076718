/**
 * Parity with the reference: Debian's libdarknet.so (same upstream commit) runs
 * `darknet detector test`'s pipeline through test/reference/harness.c on the same cfg, weights
 * and pixels; the addon in reference numerics (Darknet's own kernels) must match its raw YOLO
 * outputs and its boxes/probabilities after NMS within 1e-4.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import type { Detection } from '../../lib/detections.js';
import { ensureModel, pngPath, readRaw, type ModelName, type SampleImage } from './fixtures.js';
import { runReference, type RefImage } from './reference.js';

export const TOL = 1e-4;

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** One-to-one match of reference rows to addon detections by relative box. */
function compareDetections(ref: RefImage, got: Detection[]): { worst: number } {
  expect(got.length).toBe(ref.detections.length);
  const used = new Set<number>();
  let worst = 0;
  for (const r of ref.detections) {
    let best = -1;
    let bestD = Infinity;
    got.forEach((g, i) => {
      if (used.has(i)) return;
      const d = Math.max(Math.abs(g.relative.cx - r.cx), Math.abs(g.relative.cy - r.cy), Math.abs(g.relative.w - r.w), Math.abs(g.relative.h - r.h));
      if (d < bestD) { bestD = d; best = i; }
    });
    expect(best).toBeGreaterThanOrEqual(0);
    used.add(best);
    const g = got[best]!;
    worst = Math.max(worst, bestD, Math.abs(g.objectness - r.objectness));
    r.probs.forEach((p, k) => { worst = Math.max(worst, Math.abs(g.classProbs[k]! - p)); });
  }
  expect(worst).toBeLessThan(TOL);
  return { worst };
}

/** The addon in reference numerics against libdarknet.so on `images`. */
export function parityWithLibdarknet(name: ModelName, thresh: number, images: readonly SampleImage[], { png = true } = {}): void {
describe(`${name} at 416 matches libdarknet.so`, () => {
  let det: Detector;
  let ref: RefImage[];
  let fx: Awaited<ReturnType<typeof ensureModel>>;

  beforeAll(async () => {
    fx = await ensureModel(name);
    ref = await runReference(fx.cfg, fx.weights, images, thresh);
    det = await Detector.load({ cfg: fx.cfg, weights: fx.weights, numerics: 'reference' });
  });
  afterAll(() => det?.dispose());

  it.each(images.map((img, i) => [img, i] as const))('%s: raw YOLO outputs and boxes after NMS within 1e-4', async (img, i) => {
    const r = ref[i]!;
    const dets = await det.detect(readRaw(img), { thresh });
    expect(r.detections.length).toBeGreaterThan(0); // thresholds low enough to compare something
    const { worst } = compareDetections(r, dets);
    const outs = await det.outputs();
    expect(outs.map((o) => o.layer)).toEqual([...r.outputs.keys()].sort((a, b) => a - b));
    let worstOut = 0;
    for (const o of outs) worstOut = Math.max(worstOut, maxAbsDiff(o.data, r.outputs.get(o.layer)!));
    expect(worstOut).toBeLessThan(TOL);
    console.log(`${name} ${img}: ${dets.length} detections, max |Δ| boxes/probs ${worst.toExponential(2)}, raw outputs ${worstOut.toExponential(2)}`);
  });

  it.runIf(png)('decodes a PNG path to the same pixels, hence the same detections', async () => {
    const fromRaw = await det.detect(readRaw('dog'), { thresh });
    const fromPng = await det.detect(pngPath('dog'), { thresh });
    expect(fromPng).toEqual(fromRaw);
  });
});
}
