import type { NativeBoxes } from './native.js';

export interface Box {
  /** left edge in pixels of the input image (top-left origin), clipped to the image */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Detection {
  /** the class with the highest probability */
  classId: number;
  className: string;
  /** probability of `classId`: objectness × class probability, as Darknet reports it */
  confidence: number;
  objectness: number;
  /** every class's probability (0 where ≤ thresh or suppressed by NMS, as in Darknet) */
  classProbs: Float32Array;
  box: Box;
  /** Darknet's own box: centre and size relative to the image (unclipped) */
  relative: { cx: number; cy: number; w: number; h: number };
  /**
   * Position in Darknet's detection list after NMS — the order `darknet detector valid` writes
   * results in (results are sorted by confidence instead). Not enumerable, not in toJSON().
   */
  readonly darknetIndex: number;
  /** The JSON the CLI prints (`darknet-node detect --json`): everything but `classProbs`. */
  toJSON(): DetectionJSON;
}

export interface DetectionJSON {
  classId: number;
  className: string;
  confidence: number;
  objectness: number;
  box: Box;
  relative: { cx: number; cy: number; w: number; h: number };
}

/** Detection objects share this prototype: `toJSON` stays off the enumerable fields. */
const DETECTION_PROTO = {
  toJSON(this: Detection): DetectionJSON {
    const { classId, className, confidence, objectness, box, relative } = this;
    return { classId, className, confidence, objectness, box: { ...box }, relative: { ...relative } };
  },
};

const clip = (v: number, max: number) => Math.min(Math.max(v, 0), max);

/**
 * Darknet's detection rows → Detection objects. Like `draw_detections`, a row is kept when some
 * class probability exceeds `thresh`; sorted by confidence, highest first.
 */
export function toDetections(boxes: NativeBoxes, width: number, height: number, thresh: number, names: readonly string[]): Detection[] {
  const { data, count, classes } = boxes;
  const stride = 5 + classes;
  const out: Detection[] = [];
  for (let i = 0; i < count; i++) {
    const row = data.subarray(i * stride, (i + 1) * stride);
    let best = -1;
    let conf = 0;
    for (let j = 0; j < classes; j++) {
      const p = row[5 + j]!;
      if (p > thresh && p > conf) { conf = p; best = j; }
    }
    if (best < 0) continue;
    const [cx, cy, w, h] = [row[0]!, row[1]!, row[2]!, row[3]!];
    const x0 = clip((cx - w / 2) * width, width), x1 = clip((cx + w / 2) * width, width);
    const y0 = clip((cy - h / 2) * height, height), y1 = clip((cy + h / 2) * height, height);
    const d = Object.defineProperty(Object.create(DETECTION_PROTO) as Detection, 'darknetIndex', { value: i, enumerable: false });
    out.push(Object.assign(d, {
      classId: best,
      className: names[best] ?? `class${best}`,
      confidence: conf,
      objectness: row[4]!,
      classProbs: row.slice(5),
      box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 },
      relative: { cx, cy, w, h },
    }));
  }
  return out.sort((a, b) => b.confidence - a.confidence);
}

/**
 * The same detection with its box and relative box replaced (boxes found on a scaled copy of an
 * image, mapped back to the image): prototype, darknetIndex and the other fields kept.
 */
export function withBox(d: Detection, box: Box, relative: Detection['relative']): Detection {
  const copy = Object.defineProperty(Object.create(DETECTION_PROTO) as Detection, 'darknetIndex', { value: d.darknetIndex, enumerable: false });
  return Object.assign(copy, { ...d, box, relative });
}
