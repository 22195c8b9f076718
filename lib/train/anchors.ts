/**
 * Anchors for a dataset: k-means on box sizes with 1 − IoU as the distance (boxes compared as
 * if they shared a corner), the YOLOv2/v3 recipe. Deterministic for a seed (k-means++ start).
 */

import { mulberry32 } from '../prng.js';

export interface AnchorResult {
  /** [w, h] pairs in network-input pixels, sorted by area (the order a cfg's `anchors=` uses) */
  anchors: Array<[number, number]>;
  /** mean over boxes of the best IoU with an anchor */
  avgIou: number;
  iterations: number;
}

function iouWH(a: readonly [number, number], b: readonly [number, number]): number {
  const inter = Math.min(a[0], b[0]) * Math.min(a[1], b[1]);
  return inter / (a[0] * a[1] + b[0] * b[1] - inter);
}

/** boxes: [w, h] in the units the anchors should have (network pixels for a cfg). */
export function kmeansAnchors(boxes: ReadonlyArray<readonly [number, number]>, k: number, opts: { seed?: number; maxIterations?: number } = {}): AnchorResult {
  if (!Number.isInteger(k) || k < 1) throw new RangeError('k must be a positive integer');
  const pts = boxes.filter((b) => b[0] > 0 && b[1] > 0);
  if (pts.length < k) throw new RangeError(`need at least k = ${k} boxes with positive size, got ${pts.length}`);
  const rand = mulberry32(opts.seed ?? 0);
  // k-means++: each next centre drawn with probability ∝ squared distance to the nearest centre
  const centres: Array<[number, number]> = [[...pts[Math.floor(rand() * pts.length)]!] as [number, number]];
  while (centres.length < k) {
    const d2 = pts.map((p) => Math.min(...centres.map((c) => 1 - iouWH(p, c))) ** 2);
    const total = d2.reduce((s, x) => s + x, 0);
    let r = rand() * total;
    let i = 0;
    while (i < pts.length - 1 && (r -= d2[i]!) > 0) i++;
    centres.push([...pts[i]!] as [number, number]);
  }
  const assign = new Array<number>(pts.length).fill(-1);
  let iterations = 0;
  for (; iterations < (opts.maxIterations ?? 300); iterations++) {
    let changed = false;
    pts.forEach((p, i) => {
      let best = 0;
      let bestD = Infinity;
      centres.forEach((c, j) => {
        const d = 1 - iouWH(p, c);
        if (d < bestD) { bestD = d; best = j; }
      });
      if (assign[i] !== best) { assign[i] = best; changed = true; }
    });
    if (!changed) break;
    centres.forEach((c, j) => {
      const members = pts.filter((_, i) => assign[i] === j);
      if (!members.length) return; // keep an empty cluster's centre
      c[0] = members.reduce((s, m) => s + m[0], 0) / members.length;
      c[1] = members.reduce((s, m) => s + m[1], 0) / members.length;
    });
  }
  const avgIou = pts.reduce((s, p) => s + Math.max(...centres.map((c) => iouWH(p, c))), 0) / pts.length;
  const anchors = centres.map((c) => [Math.round(c[0]), Math.round(c[1])] as [number, number]).sort((a, b) => a[0] * a[1] - b[0] * b[1]);
  return { anchors, avgIou, iterations };
}
