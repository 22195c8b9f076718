/**
 * Bounding-box evaluation exactly as pycocotools' COCOeval computes it (evaluateImg, accumulate,
 * summarize): 10 IoU thresholds .50:.05:.95, 101 recall thresholds, maxDets 1/10/100, area
 * ranges all/small (< 32²)/medium (< 96²)/large, crowd and ignore handling, greedy matching by
 * score. Pure TypeScript, no native code.
 */

export type ImageId = number | string;

/** [x, y, width, height] in pixels, top-left origin (COCO's bbox). */
export type BBox = [number, number, number, number];

export interface GroundTruth {
  imageId: ImageId;
  categoryId: number;
  bbox: BBox;
  /** COCO annotations carry their (segmentation) area; defaults to width × height */
  area?: number;
  iscrowd?: boolean;
  ignore?: boolean;
}

export interface Prediction {
  imageId: ImageId;
  categoryId: number;
  bbox: BBox;
  score: number;
}

export interface CocoStats {
  /** AP@[.50:.95], all areas, 100 detections */
  AP: number;
  AP50: number;
  AP75: number;
  APsmall: number;
  APmedium: number;
  APlarge: number;
  AR1: number;
  AR10: number;
  AR100: number;
  ARsmall: number;
  ARmedium: number;
  ARlarge: number;
}

export interface CocoResult {
  stats: CocoStats;
  /** precision[t][r][k][a][m] as COCOeval.eval['precision'] (-1 where a category has no ground truth) */
  precision: number[][][][][];
  recall: number[][][][];
  categories: number[];
}

/** np.linspace(.5, .95, 10) and np.linspace(0, 1, 101), computed as numpy does (start + i × step). */
export const IOU_THRESHOLDS = Array.from({ length: 10 }, (_, i) => (i === 9 ? 0.95 : 0.5 + i * (0.45 / 9)));
export const RECALL_THRESHOLDS = Array.from({ length: 101 }, (_, i) => (i === 100 ? 1 : i * 0.01));
export const MAX_DETS = [1, 10, 100] as const;
export const AREA_RANGES: ReadonlyArray<readonly [number, number]> = [[0, 1e10], [0, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e10]];

function iou(d: BBox, g: BBox, crowd: boolean): number {
  const iw = Math.min(d[0] + d[2], g[0] + g[2]) - Math.max(d[0], g[0]);
  if (iw <= 0) return 0;
  const ih = Math.min(d[1] + d[3], g[1] + g[3]) - Math.max(d[1], g[1]);
  if (ih <= 0) return 0;
  const inter = iw * ih;
  // maskUtils.iou: for a crowd ground truth the union is the detection's own area
  const union = crowd ? d[2] * d[3] : d[2] * d[3] + g[2] * g[3] - inter;
  return union > 0 ? inter / union : 0;
}

/** numpy's argsort(kind='mergesort'): a stable sort of indices by key. */
function stableOrder<T>(xs: T[], key: (x: T) => number): number[] {
  return xs.map((x, i) => [key(x), i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i);
}

interface ImgEval {
  dtScores: number[];
  dtMatched: boolean[][]; // [t][d]
  dtIgnore: boolean[][]; // [t][d]
  gtIgnoreCount: number; // ground truths that count (not ignored)
}

function evaluateImg(gts: GroundTruth[], dts: Prediction[], aRng: readonly [number, number], maxDet: number): ImgEval | null {
  if (!gts.length && !dts.length) return null;
  const gtIgnoreRaw = gts.map((g) => {
    const area = g.area ?? g.bbox[2] * g.bbox[3];
    return Boolean(g.ignore || g.iscrowd) || area < aRng[0] || area > aRng[1];
  });
  const gtOrder = gts.map((_, i) => i).sort((a, b) => Number(gtIgnoreRaw[a]) - Number(gtIgnoreRaw[b]) || a - b);
  const g = gtOrder.map((i) => gts[i]!);
  const gtIg = gtOrder.map((i) => gtIgnoreRaw[i]!);
  const dtOrder = stableOrder(dts, (d) => -d.score).slice(0, maxDet);
  const d = dtOrder.map((i) => dts[i]!);
  const T = IOU_THRESHOLDS.length;
  const gtm: number[][] = Array.from({ length: T }, () => new Array(g.length).fill(0));
  const dtm: number[][] = Array.from({ length: T }, () => new Array(d.length).fill(0));
  const dtIg: boolean[][] = Array.from({ length: T }, () => new Array(d.length).fill(false));
  const ious = d.map((dd) => g.map((gg) => iou(dd.bbox, gg.bbox, Boolean(gg.iscrowd))));
  IOU_THRESHOLDS.forEach((t, ti) => {
    d.forEach((_, di) => {
      let best = Math.min(t, 1 - 1e-10);
      let m = -1;
      for (let gi = 0; gi < g.length; gi++) {
        if (gtm[ti]![gi]! > 0 && !g[gi]!.iscrowd) continue; // already matched, not a crowd
        if (m > -1 && !gtIg[m] && gtIg[gi]) break; // matched a real gt; only ignored ones remain
        if (ious[di]![gi]! < best) continue;
        best = ious[di]![gi]!;
        m = gi;
      }
      if (m === -1) return;
      dtIg[ti]![di] = gtIg[m]!;
      dtm[ti]![di] = 1 + m;
      gtm[ti]![m] = 1 + di;
    });
  });
  // unmatched detections outside the area range are ignored
  d.forEach((dd, di) => {
    const area = dd.bbox[2] * dd.bbox[3];
    if (area < aRng[0] || area > aRng[1]) for (let ti = 0; ti < T; ti++) if (!dtm[ti]![di]) dtIg[ti]![di] = true;
  });
  return {
    dtScores: d.map((x) => x.score),
    dtMatched: dtm.map((row) => row.map((v) => v > 0)),
    dtIgnore: dtIg,
    gtIgnoreCount: gtIg.filter((x) => !x).length,
  };
}

function key(imageId: ImageId, cat: number): string {
  return `${typeof imageId}:${imageId}\u0000${cat}`;
}

export interface CocoEvalOptions {
  /**
   * Every evaluated image, including those without annotations (detections there are false
   * positives). COCOeval uses all images of the annotation file; default: the images that have
   * ground truth.
   */
  imageIds?: readonly ImageId[];
  /** Categories to evaluate; default: those with ground truth (others would be -1 anyway). */
  categoryIds?: readonly number[];
}

export function cocoEvaluate(groundTruth: readonly GroundTruth[], predictions: readonly Prediction[], opts: CocoEvalOptions = {}): CocoResult {
  const categories = [...(opts.categoryIds ?? new Set(groundTruth.map((g) => g.categoryId)))].sort((a, b) => a - b);
  const images = [...new Set<ImageId>(opts.imageIds ?? groundTruth.map((g) => g.imageId))];
  const imageSet = new Set(images.map((i) => `${typeof i}:${i}`));
  const gtBy = new Map<string, GroundTruth[]>();
  const dtBy = new Map<string, Prediction[]>();
  for (const g of groundTruth) (gtBy.get(key(g.imageId, g.categoryId)) ?? gtBy.set(key(g.imageId, g.categoryId), []).get(key(g.imageId, g.categoryId))!).push(g);
  for (const p of predictions) {
    // COCOeval.loadRes refuses results for images absent from the ground truth; ignore them here
    if (!imageSet.has(`${typeof p.imageId}:${p.imageId}`)) continue;
    (dtBy.get(key(p.imageId, p.categoryId)) ?? dtBy.set(key(p.imageId, p.categoryId), []).get(key(p.imageId, p.categoryId))!).push(p);
  }
  const T = IOU_THRESHOLDS.length, R = RECALL_THRESHOLDS.length, K = categories.length, A = AREA_RANGES.length, M = MAX_DETS.length;
  const precision = Array.from({ length: T }, () => Array.from({ length: R }, () => Array.from({ length: K }, () => Array.from({ length: A }, () => new Array(M).fill(-1)))));
  const recall = Array.from({ length: T }, () => Array.from({ length: K }, () => Array.from({ length: A }, () => new Array(M).fill(-1))));
  const maxDetAll = MAX_DETS[MAX_DETS.length - 1]!;

  categories.forEach((cat, k) => {
    AREA_RANGES.forEach((aRng, a) => {
      const evals = images
        .map((img) => evaluateImg(gtBy.get(key(img, cat)) ?? [], dtBy.get(key(img, cat)) ?? [], aRng, maxDetAll))
        .filter((e): e is ImgEval => e !== null);
      MAX_DETS.forEach((maxDet, m) => {
        if (!evals.length) return;
        const scores: number[] = [];
        const matched: boolean[][] = IOU_THRESHOLDS.map(() => []);
        const ignored: boolean[][] = IOU_THRESHOLDS.map(() => []);
        for (const e of evals) {
          const n = Math.min(maxDet, e.dtScores.length);
          scores.push(...e.dtScores.slice(0, n));
          IOU_THRESHOLDS.forEach((_, t) => {
            matched[t]!.push(...e.dtMatched[t]!.slice(0, n));
            ignored[t]!.push(...e.dtIgnore[t]!.slice(0, n));
          });
        }
        const npig = evals.reduce((s, e) => s + e.gtIgnoreCount, 0);
        if (npig === 0) return;
        const order = stableOrder(scores, (s) => -s);
        IOU_THRESHOLDS.forEach((_, t) => {
          let tp = 0;
          let fp = 0;
          const rc: number[] = [];
          const pr: number[] = [];
          for (const i of order) {
            if (ignored[t]![i]) continue;
            if (matched[t]![i]) tp++;
            else fp++;
            rc.push(tp / npig);
            pr.push(tp / (fp + tp + Number.EPSILON));
          }
          const nd = rc.length;
          recall[t]![k]![a]![m] = nd ? rc[nd - 1]! : 0;
          for (let i = nd - 1; i > 0; i--) if (pr[i]! > pr[i - 1]!) pr[i - 1] = pr[i]!;
          let pi = 0;
          RECALL_THRESHOLDS.forEach((r, ri) => {
            while (pi < nd && rc[pi]! < r) pi++; // searchsorted(rc, r, side='left')
            precision[t]![ri]![k]![a]![m] = pi < nd ? pr[pi]! : 0;
          });
        });
      });
    });
  });

  const mean = (xs: number[]) => {
    const v = xs.filter((x) => x > -1);
    return v.length ? v.reduce((s, x) => s + x, 0) / v.length : -1;
  };
  const ap = (a: number, m: number, t?: number) =>
    mean(precision.flatMap((pt, ti) => (t === undefined || ti === t ? pt.flatMap((pr) => pr.map((pk) => pk[a]![m]!)) : [])));
  const ar = (a: number, m: number) => mean(recall.flatMap((rt) => rt.map((rk) => rk[a]![m]!)));
  const stats: CocoStats = {
    AP: ap(0, 2), AP50: ap(0, 2, 0), AP75: ap(0, 2, 5), APsmall: ap(1, 2), APmedium: ap(2, 2), APlarge: ap(3, 2),
    AR1: ar(0, 0), AR10: ar(0, 1), AR100: ar(0, 2), ARsmall: ar(1, 2), ARmedium: ar(2, 2), ARlarge: ar(3, 2),
  };
  return { stats, precision, recall, categories };
}
