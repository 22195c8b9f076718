/**
 * Labelled boxes drawn into raw pixels here (Darknet's glyphs, no system font, no SVG), then
 * encoded by sharp: the same bytes on every machine for the same input.
 */
import type { Detection } from '../detections.js';
import { DarknetError } from '../errors.js';
import { toPixels, type ImageInput, type Pixels } from '../input.js';
import { fillRect, strokeRect, type Canvas } from './canvas.js';
import { classColor, textColorOn } from './colors.js';
import { drawText, textWidth } from './font.js';

/** A box to draw, with its label and colour. */
export interface LabelledBox {
  box: { x: number; y: number; width: number; height: number };
  label: string;
  color: readonly [number, number, number];
}

export interface DrawOptions {
  /** box outline width in pixels (default: the image's shorter side / 200, at least 2) */
  lineWidth?: number;
  /** label text height in pixels (default: the shorter side × 0.04, at least 14) */
  fontSize?: number;
}

export interface AnnotateOptions extends DrawOptions {
  /** output encoding (default 'png') */
  format?: 'png' | 'jpeg';
  /** JPEG quality (default 90) */
  quality?: number;
  /** the label of a detection (default: "<class name> <confidence>%") */
  label?: (d: Detection) => string;
}

const positiveInt = (name: string, v: unknown, max: number): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) throw new DarknetError('BAD_INPUT', `${name} must be an integer in [1, ${max}], got ${String(v)}`);
  return v;
};

/** Line width and text size scaled to the image, or as given. */
export function drawSizes(width: number, height: number, o: DrawOptions = {}): { lineWidth: number; fontSize: number } {
  const side = Math.min(width, height);
  return {
    lineWidth: o.lineWidth === undefined ? Math.max(2, Math.round(side / 200)) : positiveInt('lineWidth', o.lineWidth, 256),
    fontSize: o.fontSize === undefined ? Math.max(14, Math.round(side * 0.04)) : positiveInt('fontSize', o.fontSize, 1024),
  };
}

/**
 * Draws boxes with filled label tabs (class colour, black or white text, whichever contrasts
 * more) into `canvas` (RGB), in place. The tab sits above the box, or inside it at the top edge
 * of the image; it is shifted left to stay in the image.
 */
export function drawBoxes(canvas: Canvas, boxes: readonly LabelledBox[], o: DrawOptions = {}): void {
  const { lineWidth, fontSize } = drawSizes(canvas.width, canvas.height, o);
  const pad = Math.max(2, Math.round(fontSize / 6));
  for (const { box, color } of boxes) strokeRect(canvas, Math.round(box.x), Math.round(box.y), Math.round(box.width), Math.round(box.height), lineWidth, color);
  // labels after every outline: a neighbour's outline never crosses a label
  for (const { box, label, color } of boxes) {
    const w = textWidth(label, fontSize) + 2 * pad;
    const h = fontSize + pad;
    const bx = Math.round(box.x) - Math.floor(lineWidth / 2);
    const x = Math.max(0, Math.min(bx, canvas.width - w));
    const above = Math.round(box.y) - Math.floor(lineWidth / 2) - h;
    const y = above >= 0 ? above : Math.max(0, Math.round(box.y));
    fillRect(canvas, x, y, x + w, y + h, color);
    drawText(canvas, label, x + pad, y + Math.round(pad / 2), fontSize, textColorOn(color));
  }
}

/** RGB pixels of any input detect() takes (grey and RGBA raw frames converted). */
async function rgbCanvas(image: ImageInput): Promise<Canvas> {
  return rgbCopy(await toPixels(image));
}

/** A copy of checked pixels as an RGB canvas to draw on (grey and RGBA converted). */
export function rgbCopy(px: Pixels): Canvas {
  if (px.channels === 3) return { data: new Uint8Array(px.data), width: px.width, height: px.height };
  const data = new Uint8Array(px.width * px.height * 3);
  for (let i = 0, j = 0; i < data.length; i += 3, j += px.channels) {
    data[i] = px.data[j]!;
    data[i + 1] = px.data[px.channels === 1 ? j : j + 1]!;
    data[i + 2] = px.data[px.channels === 1 ? j : j + 2]!;
  }
  return { data, width: px.width, height: px.height };
}

/**
 * Draws the detections on the image and encodes it (PNG by default). Takes every input detect()
 * takes: a path, encoded bytes, raw pixels `{ data, width, height, channels }`, sharp's raw
 * output or a sharp instance. The image is drawn as stored (no EXIF rotation), as detect() saw it.
 */
export async function annotate(image: ImageInput, detections: readonly Detection[], options: AnnotateOptions | 'png' | 'jpeg' = {}): Promise<Uint8Array> {
  const o: AnnotateOptions = typeof options === 'string' ? { format: options } : options;
  if (typeof o !== 'object' || o === null) throw new DarknetError('BAD_INPUT', 'annotate options must be an object');
  if (!Array.isArray(detections)) throw new DarknetError('BAD_INPUT', 'annotate needs an array of detections');
  const format = o.format ?? 'png';
  if (format !== 'png' && format !== 'jpeg') throw new DarknetError('BAD_INPUT', `format must be 'png' or 'jpeg', got ${String(format)}`);
  const quality = o.quality === undefined ? 90 : positiveInt('quality', o.quality, 100);
  const label = o.label ?? ((d: Detection) => `${d.className} ${(d.confidence * 100).toFixed(0)}%`);
  const canvas = await rgbCanvas(image);
  drawBoxes(canvas, detections.map((d) => ({ box: d.box, label: label(d), color: classColor(d.classId) })), o);
  const sharp = (await import('sharp')).default;
  const out = sharp(canvas.data, { raw: { width: canvas.width, height: canvas.height, channels: 3 } });
  return format === 'jpeg' ? out.jpeg({ quality }).toBuffer() : out.png().toBuffer();
}
