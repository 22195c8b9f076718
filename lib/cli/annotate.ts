import { classColor } from '../draw/colors.js';
import type { LabelledBox } from '../draw/annotate.js';

export { classColor };

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The video command's SVG overlay (track paths with the boxes); still images use lib/draw. An SVG overlay of labelled boxes (and any extra SVG elements), line and font sized to the image. */
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

