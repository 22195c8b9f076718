/**
 * Bounding-box evaluation as pycocotools' COCOeval (iouType 'bbox') computes it — evaluate,
 * accumulate and summarize, operation for operation, so the numbers are the same doubles: image
 * ids sorted as np.unique sorts them (ties between images are broken in that order), `ignore`
 * taken from `iscrowd` as `_prepare` does, IoU thresholds from numpy's linspace, means by numpy's
 * pairwise summation. Tested against pycocotools itself (test/system/coco-oracle.test.ts).
 *
 * One deliberate difference: pycocotools records a match by the ground truth's annotation `id`
 * and reads id 0 as "unmatched", so a correct detection of an annotation with id 0 counts as a
 * false positive there. Here a match is a match whatever the id (COCO's own ids start at 1, so
 * real annotation files are unaffected).
 */
import { badInput } from '../is.js';

export type ImageId = number | string;

/** [x, y, width, height] in pixels, top-left origin (COCO's bbox). */
export type BBox = [number, number, number, number];

export interface GroundTruth {
  imageId: ImageId;
  categoryId: number;
  bbox: BBox;
  /** COCO annotations carry their (segmentation) area; defaults to width × height */
  area?: number;
  /** crowd regions: matched by any number of detections, never counted as missed */
  iscrowd?: boolean;
  /**
   * Read from annotation files for completeness only: COCOeval overwrites `ignore` with `iscrowd`
   * before evaluating, and so does this evaluation.
   */
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

export interface CategoryStats {
  categoryId: number;
  /** the 12 statistics restricted to this category (-1 where it has no ground truth) */
  stats: CocoStats;
}

export interface CocoResult {
  /** COCOeval.stats, in its order as named fields */
  stats: CocoStats;
  /** precision[t][r][k][a][m] as COCOeval.eval['precision'] (-1 where a category has no ground truth) */
  precision: number[][][][][];
  /** recall[t][k][a][m] as COCOeval.eval['recall'] */
  recall: number[][][][];
  /** scores[t][r][k][a][m] as COCOeval.eval['scores']: the score at which each recall point is reached */
  scores: number[][][][][];
  /** the evaluated categories, sorted (index k of the arrays) */
  categories: number[];
  /** the evaluated images, in the order COCOeval sorts them */
  imageIds: ImageId[];
  /** per-category statistics, in the order of `categories` */
  perCategory: CategoryStats[];
}

/**
 * np.linspace(.5, .95, 10) as numpy computes it: i × ((.95 − .5) / 9) + .5, the last one .95.
 * (.95 − .5 is not .45 in doubles; the thresholds .85 and .9 depend on it.)
 */
export const IOU_THRESHOLDS: readonly number[] = Object.freeze(Array.from({ length: 10 }, (_, i) => (i === 9 ? 0.95 : i * ((0.95 - 0.5) / 9) + 0.5)));
/** np.linspace(0, 1, 101): i × 0.01, the last one 1. */
export const RECALL_THRESHOLDS: readonly number[] = Object.freeze(Array.from({ length: 101 }, (_, i) => (i === 100 ? 1 : i * 0.01)));
export const MAX_DETS: readonly [1, 10, 100] = Object.freeze([1, 10, 100] as const);
/** all, small (≤ 32²), medium (32²–96²), large (≥ 96²); both ends inclusive, as COCOeval tests them */
export const AREA_RANGES: ReadonlyArray<readonly [number, number]> = Object.freeze(
  ([[0, 1e5 ** 2], [0, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e5 ** 2]] as const).map((r) => Object.freeze([...r] as [number, number])),
);
const AREA_LABELS = ['all', 'small', 'medium', 'large'] as const;

/** maskUtils.iou for boxes (bbIou in maskApi.c): a crowd region's union is the detection's area. */
function iou(d: BBox, g: BBox, crowd: boolean): number {
  const w = Math.min(d[2] + d[0], g[2] + g[0]) - Math.max(d[0], g[0]);
  if (w <= 0) return 0;
  const h = Math.min(d[3] + d[1], g[3] + g[1]) - Math.max(d[1], g[1]);
  if (h <= 0) return 0;
  const i = w * h;
  const da = d[2] * d[3];
  return i / (crowd ? da : da + g[2] * g[3] - i);
}

/** numpy's argsort(kind='mergesort'): indices in stable ascending order of key. */
function stableOrder(n: number, key: (i: number) => number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  return idx.sort((a, b) => key(a) - key(b) || a - b);
}

/** numpy's pairwise summation (what np.mean adds with), so means agree to the last bit. */
function pairwiseSum(a: readonly number[], lo: number, n: number): number {
  if (n < 8) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[lo + i]!;
    return s;
  }
  if (n <= 128) {
    const r = a.slice(lo, lo + 8);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j]! += a[lo + i + j]!;
    let s = ((r[0]! + r[1]!) + (r[2]! + r[3]!)) + ((r[4]! + r[5]!) + (r[6]! + r[7]!));
    for (; i < n; i++) s += a[lo + i]!;
    return s;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, lo, n2) + pairwiseSum(a, lo + n2, n - n2);
}

/** np.mean(s[s > -1]), or -1 when nothing qualifies (COCOeval's _summarize). */
function meanValid(xs: number[]): number {
  const v = xs.filter((x) => x > -1);
  return v.length ? pairwiseSum(v, 0, v.length) / v.length : -1;
}

/** Python's ordering of ids: numbers numerically, strings by code point. */
function compareIds(a: ImageId, b: ImageId): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a), y = String(b);
  const cx = [...x], cy = [...y];
  for (let i = 0; i < Math.min(cx.length, cy.length); i++) {
    const d = cx[i]!.codePointAt(0)! - cy[i]!.codePointAt(0)!;
    if (d) return d;
  }
  return cx.length - cy.length;
}

interface ImgEval {
  dtScores: number[];
  /** [t][d]: matched a ground truth */
  dtMatched: boolean[][];
  /** [t][d] */
  dtIgnore: boolean[][];
  /** ground truths that count (not ignored) */
  gtCount: number;
}

/** COCOeval.evaluateImg for one image, category and area range. */
function evaluateImg(gts: readonly GroundTruth[], dts: readonly Prediction[], ious: number[][], aRng: readonly [number, number], maxDet: number): ImgEval | null {
  if (!gts.length && !dts.length) return null;
  // _prepare: ignore = iscrowd
  const gtIgnoreRaw = gts.map((g) => {
    const area = g.area ?? g.bbox[2] * g.bbox[3];
    return Boolean(g.iscrowd) || area < aRng[0] || area > aRng[1];
  });
  const gtOrder = stableOrder(gts.length, (i) => Number(gtIgnoreRaw[i]));
  const gtIg = gtOrder.map((i) => gtIgnoreRaw[i]!);
  const crowd = gtOrder.map((i) => Boolean(gts[i]!.iscrowd));
  const D = Math.min(dts.length, maxDet); // dts arrive sorted by score and cut to maxDets[-1]
  const T = IOU_THRESHOLDS.length;
  const gtm: boolean[][] = Array.from({ length: T }, () => new Array(gts.length).fill(false));
  const dtm: boolean[][] = Array.from({ length: T }, () => new Array(D).fill(false));
  const dtIg: boolean[][] = Array.from({ length: T }, () => new Array(D).fill(false));
  if (gts.length && D) {
    IOU_THRESHOLDS.forEach((t, ti) => {
      for (let di = 0; di < D; di++) {
        let best = Math.min(t, 1 - 1e-10);
        let m = -1;
        for (let gi = 0; gi < gtOrder.length; gi++) {
          if (gtm[ti]![gi] && !crowd[gi]) continue; // already matched, not a crowd
          if (m > -1 && !gtIg[m] && gtIg[gi]) break; // matched a real one; only ignored ones remain
          const v = ious[di]![gtOrder[gi]!]!;
          if (v < best) continue;
          best = v;
          m = gi;
        }
        if (m === -1) continue;
        dtIg[ti]![di] = gtIg[m]!;
        dtm[ti]![di] = true;
        gtm[ti]![m] = true;
      }
    });
  }
  // unmatched detections outside the area range are ignored
  for (let di = 0; di < D; di++) {
    const area = dts[di]!.bbox[2] * dts[di]!.bbox[3];
    if (area < aRng[0] || area > aRng[1]) for (let ti = 0; ti < T; ti++) if (!dtm[ti]![di]) dtIg[ti]![di] = true;
  }
  return { dtScores: dts.slice(0, D).map((x) => x.score), dtMatched: dtm, dtIgnore: dtIg, gtCount: gtIg.filter((x) => !x).length };
}

export interface CocoEvalOptions {
  /**
   * The images to evaluate (COCOeval's params.imgIds), including those without annotations
   * (detections there are false positives). Default: every image of the dataset when one is
   * given, else the images that have ground truth.
   */
  imageIds?: readonly ImageId[];
  /**
   * Categories to evaluate (params.catIds). Default: the dataset's categories when one is given,
   * else those with ground truth.
   */
  categoryIds?: readonly number[];
}

/** What cocoEvaluate needs of a COCO dataset (as fromCocoAnnotations returns it). */
export interface CocoGroundTruth {
  groundTruth: readonly GroundTruth[];
  /** every image of the annotation file, annotated or not */
  imageIds: readonly ImageId[];
  /** the file's categories */
  categoryIds: readonly number[];
}

const idKey = (id: ImageId) => `${typeof id}:${id}`;
const key = (imageId: ImageId, cat: number) => `${idKey(imageId)}\u0000${cat}`;

function uniqueSorted<T extends ImageId>(ids: Iterable<T>): T[] {
  const m = new Map<string, T>();
  for (const id of ids) m.set(idKey(id), id);
  return [...m.values()].sort(compareIds);
}

/**
 * COCOeval for boxes. `groundTruth` is a dataset ({ groundTruth, imageIds, categoryIds }, e.g.
 * from fromCocoAnnotations) — then the defaults are COCOeval's: every image and category of the
 * annotations — or a bare array of ground truths (defaults: the images and categories it holds).
 * A prediction on an image outside the dataset is an error, as in COCO.loadRes.
 */
export function cocoEvaluate(groundTruth: readonly GroundTruth[] | CocoGroundTruth, predictions: readonly Prediction[], opts: CocoEvalOptions = {}): CocoResult {
  const ds: CocoGroundTruth = Array.isArray(groundTruth)
    ? { groundTruth, imageIds: opts.imageIds ?? groundTruth.map((g) => g.imageId), categoryIds: opts.categoryIds ?? groundTruth.map((g) => g.categoryId) }
    : (groundTruth as CocoGroundTruth);
  const gtList = ds.groundTruth;
  const kinds = new Set([...ds.imageIds, ...gtList.map((g) => g.imageId), ...(opts.imageIds ?? [])].map((i) => typeof i));
  if (kinds.size > 1) throw badInput('image ids must be all numbers or all strings (COCO sorts them, and the two do not compare)');
  const known = new Set([...ds.imageIds, ...(opts.imageIds ?? [])].map(idKey));
  const unknown = predictions.filter((p) => !known.has(idKey(p.imageId)));
  if (unknown.length) {
    const ids = [...new Set(unknown.map((p) => JSON.stringify(p.imageId)))];
    throw badInput(`${unknown.length} prediction(s) on image(s) not in the ground truth's images (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''}); COCO refuses such results too`);
  }
  const images = uniqueSorted(opts.imageIds ?? ds.imageIds);
  const categories = [...new Set(opts.categoryIds ?? ds.categoryIds)].sort((a, b) => a - b);
  const imageSet = new Set(images.map(idKey));
  const catSet = new Set(categories);
  const gtBy = new Map<string, GroundTruth[]>();
  const dtBy = new Map<string, Prediction[]>();
  const push = <T extends GroundTruth | Prediction>(m: Map<string, T[]>, x: T) => {
    if (!imageSet.has(idKey(x.imageId)) || !catSet.has(x.categoryId)) return;
    const k = key(x.imageId, x.categoryId);
    const l = m.get(k);
    if (l) l.push(x);
    else m.set(k, [x]);
  };
  for (const g of gtList) push(gtBy, g);
  for (const p of predictions) push(dtBy, p);
  const maxDetAll = MAX_DETS[MAX_DETS.length - 1]!;
  // computeIoU: detections sorted by score (stable) and cut to the largest maxDets
  for (const [k, l] of dtBy) {
    const order = stableOrder(l.length, (i) => -l[i]!.score);
    dtBy.set(k, order.slice(0, maxDetAll).map((i) => l[i]!));
  }
  const iouCache = new Map<string, number[][]>();
  const iousFor = (k: string) => {
    let v = iouCache.get(k);
    if (!v) {
      const g = gtBy.get(k) ?? [];
      v = (dtBy.get(k) ?? []).map((d) => g.map((gg) => iou(d.bbox, gg.bbox, Boolean(gg.iscrowd))));
      iouCache.set(k, v);
    }
    return v;
  };

  const T = IOU_THRESHOLDS.length, R = RECALL_THRESHOLDS.length, K = categories.length, A = AREA_RANGES.length, M = MAX_DETS.length;
  const grid5 = () => Array.from({ length: T }, () => Array.from({ length: R }, () => Array.from({ length: K }, () => Array.from({ length: A }, () => new Array<number>(M).fill(-1)))));
  const precision = grid5();
  const scoresAt = grid5();
  const recall = Array.from({ length: T }, () => Array.from({ length: K }, () => Array.from({ length: A }, () => new Array<number>(M).fill(-1))));

  categories.forEach((cat, k) => {
    AREA_RANGES.forEach((aRng, a) => {
      const evals = images
        .map((img) => {
          const kk = key(img, cat);
          return evaluateImg(gtBy.get(kk) ?? [], dtBy.get(kk) ?? [], iousFor(kk), aRng, maxDetAll);
        })
        .filter((e): e is ImgEval => e !== null);
      MAX_DETS.forEach((maxDet, m) => {
        if (!evals.length) return;
        const scores: number[] = [];
        const matched: boolean[][] = IOU_THRESHOLDS.map(() => []);
        const ignored: boolean[][] = IOU_THRESHOLDS.map(() => []);
        for (const e of evals) {
          const n = Math.min(maxDet, e.dtScores.length);
          for (let i = 0; i < n; i++) scores.push(e.dtScores[i]!);
          for (let t = 0; t < T; t++) {
            for (let i = 0; i < n; i++) {
              matched[t]!.push(e.dtMatched[t]![i]!);
              ignored[t]!.push(e.dtIgnore[t]![i]!);
            }
          }
        }
        const npig = evals.reduce((s, e) => s + e.gtCount, 0);
        if (npig === 0) return;
        const order = stableOrder(scores.length, (i) => -scores[i]!);
        const sorted = order.map((i) => scores[i]!);
        for (let t = 0; t < T; t++) {
          // cumsum over every detection; ignored ones add to neither count
          let tp = 0;
          let fp = 0;
          const nd = order.length;
          const rc = new Array<number>(nd);
          const pr = new Array<number>(nd);
          order.forEach((i, j) => {
            if (!ignored[t]![i]) {
              if (matched[t]![i]) tp++;
              else fp++;
            }
            rc[j] = tp / npig;
            pr[j] = tp / (fp + tp + Number.EPSILON);
          });
          recall[t]![k]![a]![m] = nd ? rc[nd - 1]! : 0;
          for (let i = nd - 1; i > 0; i--) if (pr[i]! > pr[i - 1]!) pr[i - 1] = pr[i]!;
          let pi = 0;
          for (let ri = 0; ri < R; ri++) {
            while (pi < nd && rc[pi]! < RECALL_THRESHOLDS[ri]!) pi++; // searchsorted(rc, r, side='left')
            precision[t]![ri]![k]![a]![m] = pi < nd ? pr[pi]! : 0;
            scoresAt[t]![ri]![k]![a]![m] = pi < nd ? sorted[pi]! : 0;
          }
        }
      });
    });
  });

  const summarize = (ks: readonly number[]): CocoStats => {
    // _summarize: s[t?][:, k, a, m] flattened in C order (t, r, k), then the mean of s > -1
    const ap = (a: number, m: number, t?: number) => {
      const v: number[] = [];
      precision.forEach((pt, ti) => { if (t === undefined || ti === t) for (const pr of pt) for (const k of ks) v.push(pr[k]![a]![m]!); });
      return meanValid(v);
    };
    const ar = (a: number, m: number) => {
      const v: number[] = [];
      for (const rt of recall) for (const k of ks) v.push(rt[k]![a]![m]!);
      return meanValid(v);
    };
    const at = (x: number) => IOU_THRESHOLDS.indexOf(x); // np.where(iouThr == p.iouThrs)
    return {
      AP: ap(0, 2), AP50: ap(0, 2, at(0.5)), AP75: ap(0, 2, at(0.75)), APsmall: ap(1, 2), APmedium: ap(2, 2), APlarge: ap(3, 2),
      AR1: ar(0, 0), AR10: ar(0, 1), AR100: ar(0, 2), ARsmall: ar(1, 2), ARmedium: ar(2, 2), ARlarge: ar(3, 2),
    };
  };
  const all = categories.map((_, k) => k);
  return {
    stats: summarize(all),
    precision, recall, scores: scoresAt, categories, imageIds: images,
    perCategory: categories.map((categoryId, k) => ({ categoryId, stats: summarize([k]) })),
  };
}

const SUMMARY: ReadonlyArray<readonly [keyof CocoStats, 0 | 1, number | undefined, (typeof AREA_LABELS)[number], number]> = [
  ['AP', 1, undefined, 'all', 100], ['AP50', 1, 0.5, 'all', 100], ['AP75', 1, 0.75, 'all', 100],
  ['APsmall', 1, undefined, 'small', 100], ['APmedium', 1, undefined, 'medium', 100], ['APlarge', 1, undefined, 'large', 100],
  ['AR1', 0, undefined, 'all', 1], ['AR10', 0, undefined, 'all', 10], ['AR100', 0, undefined, 'all', 100],
  ['ARsmall', 0, undefined, 'small', 100], ['ARmedium', 0, undefined, 'medium', 100], ['ARlarge', 0, undefined, 'large', 100],
];

/**
 * Python's '{:0.3f}': like toFixed(3), except that an exact tie (only the doubles odd/16 are
 * one at three decimals) rounds to even where toFixed rounds up (0.5625 → 0.562, not 0.563).
 */
function pyFixed3(x: number): string {
  const s = x.toFixed(3);
  const m = x * 16; // exact: a power-of-two scaling
  if (!Number.isInteger(m) || m % 2 === 0) return s;
  const last = Number(s[s.length - 1]);
  if (last % 2 === 0) return s;
  return (Math.trunc(x * 1000) / 1000).toFixed(3); // the neighbour toward zero, whose digit is even
}

/** The 12 lines COCOeval.summarize() prints, character for character. */
export function formatCocoSummary(stats: CocoStats): string {
  return SUMMARY.map(([name, isAp, thr, area, maxDets]) => {
    const title = (isAp ? 'Average Precision' : 'Average Recall').padEnd(18);
    const iouStr = (thr === undefined ? '0.50:0.95' : thr.toFixed(2)).padEnd(9);
    return ` ${title} ${isAp ? '(AP)' : '(AR)'} @[ IoU=${iouStr} | area=${area.padStart(6)} | maxDets=${String(maxDets).padStart(3)} ] = ${pyFixed3(stats[name])}`;
  }).join('\n');
}
