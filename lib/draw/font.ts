/**
 * Text drawn from Darknet's own label glyphs (font-data.ts), scaled by area sampling: the same
 * pixels on every machine, whatever fonts it has (none, in a slim container).
 */
import { GLYPH_BITS, GLYPH_HEIGHT, GLYPH_WIDTHS } from './font-data.js';
import type { Canvas } from './canvas.js';

const bits = new Uint8Array(Buffer.from(GLYPH_BITS, 'base64'));
const offsets: number[] = [];
{
  let o = 0;
  for (const w of GLYPH_WIDTHS) { offsets.push(o); o += w * GLYPH_HEIGHT; }
}
/** characters outside ASCII 32–126 are drawn as '?' */
const glyphIndex = (ch: number) => (ch >= 32 && ch <= 126 ? ch - 32 : 63 - 32);
const ink = (g: number, x: number, y: number) => {
  const i = offsets[g]! + y * GLYPH_WIDTHS[g]! + x;
  return (bits[i >> 3]! >> (7 - (i & 7))) & 1;
};

/** Width in pixels of `text` drawn `size` pixels high. */
export function textWidth(text: string, size: number): number {
  let w = 0;
  for (let i = 0; i < text.length; i++) w += GLYPH_WIDTHS[glyphIndex(text.charCodeAt(i))]!;
  return Math.ceil((w * size) / GLYPH_HEIGHT);
}

const SUB = 4; // 4×4 samples per output pixel

/** Draws `text` with its top-left corner at (x, y), `size` pixels high, blended in `color`; clipped to the canvas. */
export function drawText(c: Canvas, text: string, x: number, y: number, size: number, color: readonly [number, number, number]): void {
  const scale = size / GLYPH_HEIGHT;
  let pen = 0; // in glyph pixels
  const codes = Array.from(text, (ch) => glyphIndex(ch.charCodeAt(0)));
  const total = codes.reduce((a, g) => a + GLYPH_WIDTHS[g]!, 0);
  const outW = Math.ceil(total * scale);
  // glyph-space x → glyph index, for sampling across glyph boundaries
  const at = new Int16Array(total);
  for (const g of codes) { at.fill(g, pen, pen + GLYPH_WIDTHS[g]!); pen += GLYPH_WIDTHS[g]!; }
  const start = new Int32Array(total);
  pen = 0;
  for (const g of codes) { start.fill(pen, pen, pen + GLYPH_WIDTHS[g]!); pen += GLYPH_WIDTHS[g]!; }
  for (let oy = 0; oy < size; oy++) {
    const py = y + oy;
    if (py < 0 || py >= c.height) continue;
    for (let ox = 0; ox < outW; ox++) {
      const px = x + ox;
      if (px < 0 || px >= c.width) continue;
      let hits = 0;
      for (let sy = 0; sy < SUB; sy++) {
        const gy = Math.floor((oy + (sy + 0.5) / SUB) / scale);
        if (gy >= GLYPH_HEIGHT) continue;
        for (let sx = 0; sx < SUB; sx++) {
          const gx = Math.floor((ox + (sx + 0.5) / SUB) / scale);
          if (gx >= total) continue;
          hits += ink(at[gx]!, gx - start[gx]!, gy);
        }
      }
      if (hits) blend(c, px, py, color, hits / (SUB * SUB));
    }
  }
}

function blend(c: Canvas, x: number, y: number, color: readonly [number, number, number], a: number): void {
  const i = (y * c.width + x) * 3;
  for (let k = 0; k < 3; k++) c.data[i + k] = Math.round(c.data[i + k]! * (1 - a) + color[k]! * a);
}
