import type { Detection } from '../detections.js';

/** A colour per class, stable across runs (Darknet's get_color-like hue walk). */
export function classColor(classId: number): [number, number, number] {
  const h = (classId * 0.61803398875) % 1;
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return Math.round(255 * (1 - Math.max(0, Math.min(1, Math.min(k, 4 - k)))));
  };
  return [f(5), f(3), f(1)];
}

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A box to draw, with its label and colour. */
export interface LabelledBox {
  box: { x: number; y: number; width: number; height: number };
  label: string;
  color: [number, number, number];
}

/** An SVG overlay of labelled boxes (and any extra SVG elements), line and font sized to the image. */
export function boxesSvg(width: number, height: number, boxes: readonly LabelledBox[], extra = ''): string {
  const line = Math.max(2, Math.round(Math.min(width, height) / 200));
  const font = Math.max(10, Math.round(Math.min(width, height) / 40));
  const shapes = boxes.map(({ box, label, color: [r, g, b] }) => {
    const { x, y, width: w, height: h } = box;
    const ty = y > font + 4 ? y - 4 : y + font + 2;
    return `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="rgb(${r},${g},${b})" stroke-width="${line}"/>` +
      `<text x="${x + 2}" y="${ty}" font-family="sans-serif" font-size="${font}" fill="rgb(${r},${g},${b})">${escape(label)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${extra}${shapes.join('')}</svg>`;
}

/**
 * Draws labelled boxes on an image and encodes it (PNG by default, or by the output extension).
 * Uses sharp: an SVG overlay composited onto the decoded image.
 */
export async function annotate(image: string | Uint8Array, detections: readonly Detection[], format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
  const sharp = (await import('sharp')).default;
  const base = sharp(image);
  const { width = 0, height = 0 } = await base.metadata();
  const boxes = detections.map((d) => ({ box: d.box, label: `${d.className} ${(d.confidence * 100).toFixed(0)}%`, color: classColor(d.classId) }));
  const out = base.composite([{ input: Buffer.from(boxesSvg(width, height, boxes)), top: 0, left: 0 }]);
  return format === 'jpeg' ? out.jpeg({ quality: 90 }).toBuffer() : out.png().toBuffer();
}
