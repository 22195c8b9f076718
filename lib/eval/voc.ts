/**
 * Darknet-style mAP@0.5: per class, detections of all images sorted by score; each is a true
 * positive when its best-overlapping ground truth has IoU > 0.5 and is not yet taken, precision made monotone, and the area under the
 * precision/recall curve summed at every recall change (VOC2010+ all-point interpolation, as
 * AlexeyAB's `darknet detector map` reports). Crowd/ignored ground truth is left out.
 */
import type { GroundTruth, ImageId, Prediction } from './coco.js';

export interface MapResult {
  /** mean over classes that have ground truth */
  map: number;
  perClass: Map<number, { ap: number; tp: number; fp: number; gt: number }>;
}

function iou(a: Prediction['bbox'], b: Prediction['bbox']): number {
  const iw = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / (a[2] * a[3] + b[2] * b[3] - inter);
}

export function darknetMap(groundTruth: readonly GroundTruth[], predictions: readonly Prediction[], iouThreshold = 0.5): MapResult {
  const perClass: MapResult['perClass'] = new Map();
  const classes = [...new Set(groundTruth.filter((g) => !g.iscrowd && !g.ignore).map((g) => g.categoryId))].sort((a, b) => a - b);
  for (const cls of classes) {
    const gts = new Map<string, Array<{ box: Prediction['bbox']; used: boolean }>>();
    const id = (i: ImageId) => `${typeof i}:${i}`;
    let ngt = 0;
    for (const g of groundTruth) {
      if (g.categoryId !== cls || g.iscrowd || g.ignore) continue;
      (gts.get(id(g.imageId)) ?? gts.set(id(g.imageId), []).get(id(g.imageId))!).push({ box: g.bbox, used: false });
      ngt++;
    }
    const dets = predictions.filter((p) => p.categoryId === cls).map((p, i) => [p, i] as const)
      .sort((a, b) => b[0].score - a[0].score || a[1] - b[1]).map(([p]) => p);
    let tp = 0;
    let fp = 0;
    const rec: number[] = [];
    const prec: number[] = [];
    for (const d of dets) {
      // the best-overlapping ground truth, used or not: a second hit on it is a false positive
      const cands = gts.get(id(d.imageId)) ?? [];
      let best = -1;
      let bestIou = 0;
      cands.forEach((g, gi) => {
        const o = iou(d.bbox, g.box);
        if (o > bestIou) { bestIou = o; best = gi; }
      });
      if (best >= 0 && bestIou > iouThreshold && !cands[best]!.used) { cands[best]!.used = true; tp++; } else fp++;
      rec.push(tp / ngt);
      prec.push(tp / (tp + fp));
    }
    const mrec = [0, ...rec, 1];
    const mpre = [0, ...prec, 0];
    for (let i = mpre.length - 2; i >= 0; i--) mpre[i] = Math.max(mpre[i]!, mpre[i + 1]!);
    let ap = 0;
    for (let i = 0; i < mrec.length - 1; i++) if (mrec[i + 1] !== mrec[i]) ap += (mrec[i + 1]! - mrec[i]!) * mpre[i + 1]!;
    perClass.set(cls, { ap, tp, fp, gt: ngt });
  }
  const aps = [...perClass.values()].map((c) => c.ap);
  return { map: aps.length ? aps.reduce((s, x) => s + x, 0) / aps.length : 0, perClass };
}
