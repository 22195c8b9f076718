/**
 * Ground truth and detections in the formats the evaluation reads: COCO annotation files,
 * COCO-style result files (what `darknet detector valid` writes), and Darknet label files.
 */
import type { BBox, GroundTruth, ImageId, Prediction } from './coco.js';
import { badInput } from '../is.js';

export interface CocoDataset {
  groundTruth: GroundTruth[];
  /** every image of the file, annotated or not */
  imageIds: ImageId[];
  categoryIds: number[];
  /** category id → name, from the file's "categories" */
  categoryNames: Map<number, string>;
  images: Map<ImageId, { fileName: string; width: number; height: number }>;
}

const isBox = (b: unknown): b is BBox => Array.isArray(b) && b.length === 4 && b.every((x) => typeof x === 'number' && Number.isFinite(x));

/** A COCO annotations JSON (instances_*.json), already parsed. */
export function fromCocoAnnotations(json: unknown, file?: string): CocoDataset {
  const fail = (msg: string) => badInput(`COCO annotations: ${msg}`, file ? { file } : {});
  const j = json as { images?: unknown; annotations?: unknown; categories?: unknown };
  if (!j || !Array.isArray(j.images) || !Array.isArray(j.annotations)) throw fail('needs "images" and "annotations" arrays');
  const images = new Map<ImageId, { fileName: string; width: number; height: number }>();
  for (const im of j.images as Array<Record<string, unknown>>) {
    if (typeof im?.id !== 'number' && typeof im?.id !== 'string') throw fail('an image without an id');
    if (images.has(im.id)) throw fail(`image id ${JSON.stringify(im.id)} appears twice`);
    images.set(im.id, { fileName: String(im.file_name ?? ''), width: Number(im.width ?? 0), height: Number(im.height ?? 0) });
  }
  const groundTruth = (j.annotations as Array<Record<string, unknown>>).map((a, i) => {
    if (!isBox(a?.bbox) || typeof a.category_id !== 'number' || !images.has(a.image_id as ImageId)) throw fail(`annotation ${i} needs bbox, category_id and a known image_id`);
    return {
      imageId: a.image_id as ImageId, categoryId: a.category_id, bbox: a.bbox,
      ...(typeof a.area === 'number' ? { area: a.area } : {}),
      ...(a.iscrowd ? { iscrowd: true } : {}),
      ...(a.ignore ? { ignore: true } : {}),
    };
  });
  const categoryNames = new Map<number, string>();
  if (Array.isArray(j.categories)) {
    for (const c of j.categories as Array<Record<string, unknown>>) {
      if (typeof c?.id !== 'number') throw fail('a category without a numeric id');
      categoryNames.set(c.id, typeof c.name === 'string' ? c.name : String(c.id));
    }
  }
  // without "categories" (not a valid COCO file, where COCOeval would evaluate nothing), those
  // of the annotations
  const categoryIds = Array.isArray(j.categories) ? [...categoryNames.keys()] : [...new Set(groundTruth.map((g) => g.categoryId))];
  return { groundTruth, imageIds: [...images.keys()], categoryIds: categoryIds.sort((a, b) => a - b), categoryNames, images };
}

/** A results JSON: [{ image_id, category_id, bbox: [x, y, w, h], score }]. */
export function fromCocoResults(json: unknown, file?: string): Prediction[] {
  if (!Array.isArray(json)) throw badInput('results: expected an array', file ? { file } : {});
  return json.map((r: Record<string, unknown>, i) => {
    if (!isBox(r?.bbox) || typeof r.category_id !== 'number' || typeof r.score !== 'number' || (typeof r.image_id !== 'number' && typeof r.image_id !== 'string')) {
      throw badInput(`results: entry ${i} needs image_id, category_id, bbox and score`, file ? { file } : {});
    }
    return { imageId: r.image_id, categoryId: r.category_id, bbox: r.bbox, score: r.score };
  });
}

/**
 * A Darknet label file (`class cx cy w h` per line, relative to the image) for an image of the
 * given size, as pixel boxes. `file` names the label file in errors (with the line).
 */
export function fromDarknetLabels(text: string, width: number, height: number, imageId: ImageId, file?: string, classes = Infinity): GroundTruth[] {
  const out: GroundTruth[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (!t) return;
    const v = t.split(/\s+/).map(Number);
    const [cls, cx, cy, w, h] = v as [number, number, number, number, number];
    if (v.length !== 5 || v.some((x) => !Number.isFinite(x)) || !Number.isInteger(cls) || cls < 0 || w <= 0 || h <= 0) {
      throw badInput(`malformed label line "${t.slice(0, 60)}" (expected: class cx cy w h)`, { ...(file ? { file } : {}), line: i + 1 });
    }
    if (cls >= classes) throw badInput(`class ${cls} is outside the ${classes} classes`, { ...(file ? { file } : {}), line: i + 1 });
    out.push({ imageId, categoryId: cls, bbox: [(cx - w / 2) * width, (cy - h / 2) * height, w * width, h * height] });
  });
  return out;
}

/** Darknet's class index → COCO category id (examples/detector.c coco_ids), for 80-class models. */
export const COCO_IDS: readonly number[] = Object.freeze([
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32,
  33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61,
  62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90,
]);
