/**
 * COCO evaluation from the two files pycocotools reads: an annotations file (instances_*.json)
 * and a results file ([{ image_id, category_id, bbox, score }], what `darknet detector valid`
 * and `darknet-node eval` write). Defaults are COCOeval's: every image and every category of
 * the annotations.
 */
import { DarknetError } from '../errors.js';
import { readTextFile } from '../files.js';
import { cocoEvaluate, formatCocoSummary, type CocoEvalOptions, type CocoResult, type CocoStats } from './coco.js';
import { fromCocoAnnotations, fromCocoResults, type CocoDataset } from './formats.js';
import { badInput } from '../is.js';

/** instances_train2017.json is 470 MB; V8 strings end a little above 512 MiB. */
const MAX_JSON_BYTES = 500 << 20;

export interface CategoryAp {
  categoryId: number;
  name: string;
  /** AP@[.50:.95], AP@.50 and AP@.75 over all areas (-1: no ground truth of this category) */
  AP: number;
  AP50: number;
  AP75: number;
  stats: CocoStats;
}

export interface CocoEvaluation {
  stats: CocoStats;
  /** the 12 lines COCOeval.summarize() prints */
  summary: string;
  /** per-category AP, in category id order */
  perCategory: CategoryAp[];
  /** the full result (precision, recall and scores arrays) */
  result: CocoResult;
  images: number;
  detections: number;
}

async function readJson(source: unknown, what: string): Promise<{ json: unknown; file?: string }> {
  if (typeof source !== 'string') return { json: source };
  const text = await readTextFile(source, what, MAX_JSON_BYTES);
  try {
    return { json: JSON.parse(text), file: source };
  } catch (e) {
    throw badInput(`${what} file is not JSON: ${(e as Error).message}`, { file: source, cause: e });
  }
}

/**
 * Evaluates a results file against an annotations file, as COCOeval(iouType='bbox') would.
 * Each argument is a path or the parsed JSON (annotations may also be a dataset from
 * fromCocoAnnotations). Predictions on images that are not in the annotations are refused.
 */
export async function evaluateCoco(annotations: string | object, results: string | readonly object[], options: CocoEvalOptions = {}): Promise<CocoEvaluation> {
  let ds: CocoDataset;
  if (annotations && typeof annotations === 'object' && 'groundTruth' in annotations) ds = annotations as CocoDataset;
  else {
    const a = await readJson(annotations, 'annotations');
    ds = fromCocoAnnotations(a.json, a.file);
  }
  const r = await readJson(results, 'results');
  const predictions = fromCocoResults(r.json, r.file);
  let result: CocoResult;
  try {
    result = cocoEvaluate(ds, predictions, options);
  } catch (e) {
    if (e instanceof DarknetError && r.file && !e.file) throw new DarknetError(e.code, e.message, { file: r.file, cause: e });
    throw e;
  }
  return {
    stats: result.stats,
    summary: formatCocoSummary(result.stats),
    perCategory: result.perCategory.map(({ categoryId, stats }) => ({
      categoryId, name: ds.categoryNames?.get(categoryId) ?? String(categoryId), AP: stats.AP, AP50: stats.AP50, AP75: stats.AP75, stats,
    })),
    result,
    images: result.imageIds.length,
    detections: predictions.length,
  };
}

/** A per-category AP table (one line per category, as detectron-style tools print). */
export function formatPerCategoryTable(rows: readonly CategoryAp[]): string {
  const w = Math.max(8, ...rows.map((r) => r.name.length));
  const f = (v: number) => (v < 0 ? '   n/a' : (v * 100).toFixed(2).padStart(6));
  return [`${'category'.padEnd(w)}  ${'id'.padStart(4)}      AP    AP50    AP75`, ...rows.map((r) => `${r.name.padEnd(w)}  ${String(r.categoryId).padStart(4)}  ${f(r.AP)}  ${f(r.AP50)}  ${f(r.AP75)}`)].join('\n');
}
