import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import type { Detection } from '../../lib/detections.js';
import { ensureModel, readRaw, type ModelName, type SampleImage } from './fixtures.js';

export function iou(a: Detection['relative'], b: Detection['relative']): number {
  const ix = Math.max(0, Math.min(a.cx + a.w / 2, b.cx + b.w / 2) - Math.max(a.cx - a.w / 2, b.cx - b.w / 2));
  const iy = Math.max(0, Math.min(a.cy + a.h / 2, b.cy + b.h / 2) - Math.max(a.cy - a.h / 2, b.cy - b.h / 2));
  const inter = ix * iy;
  return inter / (a.w * a.h + b.w * b.h - inter);
}

export const EDGE = 1e-3;

/**
 * The same detection set: every detection of one side matched one-to-one by a box of the other
 * with IoU ≥ 0.99, the same classes above the threshold and probabilities within 1e-3. With random-init
 * weights thousands of boxes sit near the threshold, so a probability within 1e-3 of it may be
 * kept on one side and zeroed on the other: such entries, and detections whose confidence is
 * that close to the threshold, are allowed to differ (and counted). So are boxes that NMS kept on
 * one side and suppressed on the other because two overlapping boxes of the same class scored
 * within 1e-3 of each other (their order in NMS's sort flipped).
 */
export function sameDetections(ref: Detection[], fast: Detection[], thresh = 0.5): { minIou: number; maxDp: number; edge: number } {
  const used = new Set<number>();
  let minIou = 1;
  let maxDp = 0;
  let edge = 0;
  const nearEdge = (p: number) => p <= thresh + EDGE;
  // d was suppressed on the other side by a box of the same class scoring as much (within EDGE)
  const nmsTie = (d: Detection, other: Detection[]) =>
    other.some((o) => iou(o.relative, d.relative) >= 0.44 && o.classProbs[d.classId]! >= d.confidence - EDGE);
  const explained = (d: Detection, other: Detection[]) => nearEdge(d.confidence) || nmsTie(d, other);
  for (const r of ref) {
    let best = -1;
    let bestIou = -1;
    fast.forEach((f, i) => {
      if (used.has(i)) return;
      const v = iou(r.relative, f.relative);
      if (v > bestIou) { bestIou = v; best = i; }
    });
    if (best < 0 || bestIou < 0.99) {
      expect(explained(r, fast), `no fast box for ${r.className} at ${JSON.stringify(r.relative)} (confidence ${r.confidence})`).toBe(true);
      edge++;
      continue;
    }
    used.add(best);
    const f = fast[best]!;
    minIou = Math.min(minIou, bestIou);
    maxDp = Math.max(maxDp, Math.abs(f.objectness - r.objectness));
    r.classProbs.forEach((p, k) => {
      const q = f.classProbs[k]!;
      if ((p === 0) !== (q === 0)) {
        expect(nearEdge(p + q), `class ${k}: ${p} vs ${q}`).toBe(true); // zeroed on one side by the threshold
        edge++;
      } else {
        maxDp = Math.max(maxDp, Math.abs(q - p));
      }
    });
  }
  fast.forEach((f, i) => {
    if (used.has(i)) return;
    expect(explained(f, ref), `fast detection of class ${f.className} (confidence ${f.confidence}) has no reference match`).toBe(true);
    edge++;
  });
  expect(minIou).toBeGreaterThanOrEqual(0.99);
  expect(maxDp).toBeLessThanOrEqual(EDGE);
  expect(edge).toBeLessThanOrEqual(Math.max(2, ref.length * 0.005));
  return { minIou, maxDp, edge };
}

/** Fast numerics detect what reference numerics do on `images`, and their raw outputs do move. */
export function fastMatchesReference(name: ModelName, thresh: number, images: readonly SampleImage[]): void {
  describe(`${name}: fast vs reference numerics`, () => {
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

    it.each(images)('%s: same classes, IoU ≥ 0.99, probabilities within 1e-3', async (img) => {
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
}
