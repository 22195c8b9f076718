/**
 * Detector evaluation end to end, as `darknet detector valid` and pycocotools do it together:
 * read a dataset (a COCO annotations file, a Darknet .data file or an image list with YOLO
 * labels), run a detector over its images, produce the results file Darknet writes, and score
 * it (COCO metrics and Darknet's mAP@0.50). `darknet-node eval` is this plus printing.
 */
import { dirname, join } from 'node:path';
import { dataEntry, labelPathFor, readDataFile, readImageList } from '../data-file.js';
import type { Detector } from '../detector.js';
import { readTextFile } from '../files.js';
import * as is from '../is.js';
import { unit } from '../options.js';
import type { GroundTruth, ImageId, Prediction } from './coco.js';
import { darknetCategory, darknetCocoEntries, darknetImageId, formatDarknetResults, type CocoResultEntry } from './darknet-results.js';
import { evaluateCoco, type CocoEvaluation } from './evaluate-coco.js';
import { fromCocoAnnotations, fromCocoResults, fromDarknetLabels, type CocoDataset } from './formats.js';
import { darknetMap } from './voc.js';

/** annotation and results files reach hundreds of MB (instances_train2017.json: 470 MB) */
const MAX_JSON_BYTES = 500 << 20;

export interface EvalImage {
  id: ImageId;
  path: string;
}

export interface DetectionDataset {
  images: EvalImage[];
  groundTruth: GroundTruth[];
  /** the COCO dataset, when read from an annotations file (its categories and names) */
  coco?: CocoDataset;
}

export interface DetectionDatasetOptions {
  /** image folder of a COCO annotations file (its file_name entries are relative to it; default: the file's folder) */
  images?: string;
  /** maps a label file's class index to the category id results carry (default: the index) */
  category?: (classIndex: number) => number;
  /** told when the image ids cannot come from the file names (they are numbered by position instead) */
  onWarning?: (message: string) => void;
}

async function readJsonFile(file: string, what: string): Promise<unknown> {
  const text = await readTextFile(file, what, MAX_JSON_BYTES);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw is.badInput(`not JSON: ${(e as Error).message}`, { file, cause: e });
  }
}

/** The images and ground truth of an evaluation set: a COCO annotations file (.json), a .data file (its valid= list) or an image list. */
export async function readDetectionDataset(data: string, o: DetectionDatasetOptions = {}): Promise<DetectionDataset> {
  is.path('data', data, 'a file path');
  const category = o.category ?? ((c: number) => c);
  if (data.endsWith('.json')) {
    const coco = fromCocoAnnotations(await readJsonFile(data, 'annotations'), data);
    const dir = o.images ?? dirname(data);
    return { images: [...coco.images].map(([id, im]) => ({ id, path: join(dir, im.fileName) })), groundTruth: coco.groundTruth, coco };
  }
  const list = data.endsWith('.data') ? dataEntry(await readDataFile(data), 'valid', data) : data;
  const paths = await readImageList(list);
  // image ids as `darknet detector valid` derives them from file names, so that its results and
  // ours name the same images; names without unique numbers fall back to list positions
  let ids: ImageId[] = paths.map(darknetImageId);
  if (new Set(ids).size !== ids.length) {
    o.onWarning?.('the file names do not carry unique numbers (Darknet takes the number after the last "_"): images are numbered by their position in the list');
    ids = paths.map((_, i) => i);
  }
  const sharp = (await import('sharp')).default;
  const groundTruth: GroundTruth[] = [];
  for (const [i, p] of paths.entries()) {
    const { width = 0, height = 0 } = await sharp(p).metadata();
    const label = labelPathFor(p);
    groundTruth.push(...fromDarknetLabels(await readTextFile(label, 'label', MAX_JSON_BYTES), width, height, ids[i]!, label).map((g) => ({ ...g, categoryId: category(g.categoryId) })));
  }
  return { images: paths.map((path, i) => ({ id: ids[i]!, path })), groundTruth };
}

export interface DetectorEvalOptions extends Omit<DetectionDatasetOptions, 'category'> {
  /** detection threshold (default 0.005, as `darknet detector valid`) */
  thresh?: number;
  /** NMS IoU threshold (default 0.45) */
  nms?: number;
  /** called after each image */
  onProgress?: (done: number, total: number) => void;
  /** stops between images (rejects with its reason) */
  signal?: AbortSignal;
}

export interface DetectorEvaluation {
  /** the results, as `darknet detector valid` writes them to coco_results.json */
  entries: CocoResultEntry[];
  /** `entries` as Darknet formats the file (write it as results.json) */
  resultsJson: string;
  coco: CocoEvaluation;
  /** Darknet's all-point mAP@0.50 (-1: no ground truth) */
  map50: number;
  images: number;
}

/**
 * Runs `detector` over a dataset (see readDetectionDataset) and scores what it finds. An
 * 80-class network's classes are reported under COCO's category ids, as `detector valid` does.
 */
export async function evaluateDetector(detector: Detector, data: string, o: DetectorEvalOptions = {}): Promise<DetectorEvaluation> {
  is.object(o);
  const thresh = unit('thresh', o.thresh ?? 0.005);
  const nms = unit('nms', o.nms ?? 0.45);
  const onProgress = is.fn<NonNullable<DetectorEvalOptions['onProgress']>>('onProgress', o.onProgress);
  const signal = is.signal(o.signal);
  const category = darknetCategory(detector.shape.classes);
  const { images, groundTruth, coco } = await readDetectionDataset(data, { ...o, category });
  const sharp = (await import('sharp')).default;
  const entries: CocoResultEntry[] = [];
  for (const [i, im] of images.entries()) {
    signal?.throwIfAborted();
    const dets = await detector.detect(im.path, { thresh, nms });
    const { width = 0, height = 0 } = await sharp(im.path).metadata();
    entries.push(...darknetCocoEntries(dets, im.id, width, height, category));
    onProgress?.(i + 1, images.length);
  }
  const preds: Prediction[] = entries.map((e) => ({ imageId: e.image_id, categoryId: e.category_id, bbox: e.bbox, score: e.score }));
  // an image list has no category table: the model's class names, under the ids results carry
  const truth = coco ?? {
    groundTruth, imageIds: images.map((i) => i.id), categoryIds: [...new Set(groundTruth.map((g) => g.categoryId))],
    categoryNames: new Map(detector.names.map((n, c) => [category(c), n] as const)),
  };
  const r = await evaluateCoco(truth, preds.map((p) => ({ image_id: p.imageId, category_id: p.categoryId, bbox: p.bbox, score: p.score })));
  return { entries, resultsJson: formatDarknetResults(entries), coco: r, map50: darknetMap(groundTruth, preds).map, images: images.length };
}

/** Scores an existing results file against a COCO annotations file: COCO metrics and Darknet's mAP@0.50. */
export async function scoreResults(annotations: string, results: string): Promise<{ coco: CocoEvaluation; map50: number }> {
  const dataset = fromCocoAnnotations(await readJsonFile(annotations, 'annotations'), annotations);
  const coco = await evaluateCoco(dataset, results);
  const preds = fromCocoResults(await readJsonFile(results, 'results'), results);
  return { coco, map50: darknetMap(dataset.groundTruth, preds).map };
}
