/**
 * COCO results exactly as the pinned Darknet's `darknet detector valid` writes coco_results.json
 * (examples/detector.c validate_detector + print_cocos): image ids from file names, the 80-class
 * → COCO category mapping, boxes in float arithmetic from Darknet's relative boxes (corners
 * clipped to the image), `%f` numbers, Darknet's entry order, its text layout.
 */
import type { Detection } from '../detections.js';
import { COCO_IDS } from './formats.js';
import type { ImageId } from './coco.js';

export interface CocoResultEntry {
  image_id: ImageId;
  category_id: number;
  bbox: [number, number, number, number];
  score: number;
}

/** get_coco_image_id: atoi of what follows the last '_' (else the last '/'). */
export function darknetImageId(path: string): number {
  const cut = path.lastIndexOf('_') >= 0 ? path.lastIndexOf('_') : path.lastIndexOf('/');
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(path.slice(cut + 1));
  if (!m) return 0;
  const v = Number(m[1]);
  // atoi of a number beyond int: undefined in C; glibc's strtol saturates, then the cast to int wraps
  return Number.isSafeInteger(v) && Math.abs(v) < 2 ** 31 ? v : (Math.sign(v) < 0 ? -(2 ** 31) : 2 ** 31 - 1) | 0;
}

/** Darknet's class index → category id: COCO's ids for 80-class networks (print_cocos' coco_ids). */
export function darknetCategory(classes: number): (classIndex: number) => number {
  return classes === 80 ? (c) => COCO_IDS[c]! : (c) => c;
}

const f = Math.fround;

/**
 * The entries print_cocos writes for one image: detections in Darknet's order (darknetIndex),
 * one entry per class with a non-zero probability, in class order.
 */
export function darknetCocoEntries(detections: readonly Detection[], imageId: ImageId, width: number, height: number, category: (c: number) => number): CocoResultEntry[] {
  const out: CocoResultEntry[] = [];
  for (const d of [...detections].sort((a, b) => a.darknetIndex - b.darknetIndex)) {
    // get_network_boxes(…, relative = 0): correct_yolo_boxes multiplies the float box by w and h
    const x = f(d.relative.cx * width), y = f(d.relative.cy * height), w = f(d.relative.w * width), h = f(d.relative.h * height);
    // float xmin = bbox.x - bbox.w/2.  (double arithmetic, stored as float)
    let xmin = f(x - w / 2), xmax = f(x + w / 2), ymin = f(y - h / 2), ymax = f(y + h / 2);
    if (xmin < 0) xmin = 0;
    if (ymin < 0) ymin = 0;
    if (xmax > width) xmax = width;
    if (ymax > height) ymax = height;
    const bbox: [number, number, number, number] = [xmin, ymin, f(xmax - xmin), f(ymax - ymin)];
    d.classProbs.forEach((p, j) => {
      if (p) out.push({ image_id: imageId, category_id: category(j), bbox, score: p });
    });
  }
  return out;
}

/** printf("%.*f"): the exact value of the double rounded half to even (toFixed rounds ties up). */
export function cFixed(x: number, digits: number): string {
  if (Object.is(x, -0)) return `-${(0).toFixed(digits)}`;
  const s = x.toFixed(digits);
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21) return s;
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, Math.abs(x));
  const bits = dv.getBigUint64(0);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  const mant = (bits & ((1n << 52n) - 1n)) | (expBits ? 1n << 52n : 0n);
  const shift = BigInt(1075 - (expBits || 1)); // |x| = mant / 2^shift
  if (shift <= 0n) return s;
  const scaled = mant * 10n ** BigInt(digits);
  const half = 1n << (shift - 1n);
  if ((scaled & ((1n << shift) - 1n)) !== half) return s; // not an exact tie
  let q = scaled >> shift;
  if (q & 1n) q += 1n; // to even
  const t = q.toString().padStart(digits + 1, '0');
  return `${x < 0 ? '-' : ''}${t.slice(0, t.length - digits)}${digits ? `.${t.slice(t.length - digits)}` : ''}`;
}

/** The file's text, as validate_detector writes it ("[\n", entries each ending ",\n", then "\n]\n"). */
export function formatDarknetResults(entries: readonly CocoResultEntry[]): string {
  const line = (e: CocoResultEntry) =>
    `{"image_id":${JSON.stringify(e.image_id)}, "category_id":${e.category_id}, "bbox":[${e.bbox.map((v) => cFixed(v, 6)).join(', ')}], "score":${cFixed(e.score, 6)}}`;
  return `[\n${entries.map(line).join(',\n')}\n]\n`;
}
