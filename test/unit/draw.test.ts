/**
 * Annotations drawn by lib/draw: filled label tabs with contrasting text, sizes scaled to the
 * image, every input detect() takes, the same bytes every time (no system font involved).
 */
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import type { Detection } from '../../lib/detections.js';
import { annotate, classColor, drawSizes, textColorOn, textWidth } from '../../lib/draw/index.js';

const W = 320;
const H = 240;
/** a dark image (as the sample images' night scenes): labels must still read */
const frame = () => ({ data: new Uint8Array(W * H * 3).fill(20), width: W, height: H, channels: 3 as const });
const det = (classId: number, className: string, box: Detection['box']): Detection => ({ classId, className, confidence: 0.87, objectness: 0.9, box, relative: { cx: 0, cy: 0, w: 0, h: 0 }, toJSON() { return this; } }) as unknown as Detection;
const dets = [det(0, 'person', { x: 40, y: 60, width: 100, height: 120 }), det(1, 'bicycle', { x: 180, y: 10, width: 120, height: 200 })];

const decode = async (png: Uint8Array) => sharp(png).raw().toBuffer({ resolveWithObject: true });
const px = (d: Buffer, x: number, y: number) => [d[(y * W + x) * 3]!, d[(y * W + x) * 3 + 1]!, d[(y * W + x) * 3 + 2]!];
const same = (a: number[], b: readonly number[]) => a.every((v, i) => Math.abs(v - b[i]!) <= 1);

describe('annotate', () => {
  it('draws the outline, a filled label tab above the box in the class colour, and text in the contrasting colour', async () => {
    const { data, info } = await decode(await annotate(frame(), dets));
    expect([info.width, info.height, info.channels]).toEqual([W, H, 3]);
    const { fontSize, lineWidth } = drawSizes(W, H);
    expect(lineWidth).toBe(2);
    expect(fontSize).toBe(14);
    const c = classColor(0);
    // the left edge of the first box
    expect(same(px(data, 40, 120), c)).toBe(true);
    // the tab: a row of the area above the box, over the text's width, is mostly class colour
    // and the rest the text colour (nothing of the dark background left)
    const text = textColorOn(c);
    const tabW = textWidth('person 87%', fontSize);
    let bg = 0;
    let fg = 0;
    let other = 0;
    for (let y = 60 - 1 - fontSize; y < 60 - 2; y++) {
      for (let x = 40; x < 40 + tabW; x++) {
        const p = px(data, x, y);
        if (same(p, c)) bg++; else if (same(p, text)) fg++; else if (p.every((v) => v === 20)) other++;
      }
    }
    expect(other).toBe(0);
    expect(bg).toBeGreaterThan(fg);
    expect(fg).toBeGreaterThan(40); // the letters
    // the second box touches the top: its tab goes inside the box
    const c1 = classColor(1);
    expect(same(px(data, 182, 12), c1) || same(px(data, 182, 12), textColorOn(c1))).toBe(true);
  });

  it('contrast: dark text on light colours, light text on dark ones', () => {
    expect(textColorOn([255, 255, 0])).toEqual([0, 0, 0]);
    expect(textColorOn([0, 0, 160])).toEqual([255, 255, 255]);
    expect(textColorOn([200, 0, 0])).toEqual([255, 255, 255]);
  });

  it('line width and text size grow with the image', () => {
    expect(drawSizes(1920, 1080)).toEqual({ lineWidth: 5, fontSize: 43 });
    expect(drawSizes(96, 96)).toEqual({ lineWidth: 2, fontSize: 14 });
    expect(drawSizes(96, 96, { lineWidth: 1, fontSize: 30 })).toEqual({ lineWidth: 1, fontSize: 30 });
    expect(() => drawSizes(96, 96, { lineWidth: 0 })).toThrow(/lineWidth must be an integer/);
  });

  it('takes every input detect() takes: raw frames (1, 3, 4 channels), encoded bytes, a path, a sharp instance, sharp raw output; same bytes each time', async () => {
    const f = frame();
    const png = await sharp(f.data, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer();
    const expected = await annotate(f, dets);
    expect(await annotate(f, dets)).toEqual(expected);
    expect(await annotate(png, dets)).toEqual(expected);
    expect(await annotate(sharp(png), dets)).toEqual(expected);
    expect(await annotate({ data: f.data, info: { width: W, height: H, channels: 3 } }, dets)).toEqual(expected);
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'draw-')), 'f.png');
    writeFileSync(file, png);
    expect(await annotate(file, dets)).toEqual(expected);
    const grey = { data: new Uint8Array(W * H).fill(20), width: W, height: H, channels: 1 as const };
    expect(await annotate(grey, dets)).toEqual(expected);
    const rgba = { data: new Uint8Array(W * H * 4).fill(20), width: W, height: H, channels: 4 as const };
    expect(await annotate(rgba, dets)).toEqual(expected);
    // the input is not drawn on
    expect(f.data.every((v) => v === 20)).toBe(true);
    // JPEG on request
    expect((await sharp(await annotate(f, dets, { format: 'jpeg' })).metadata()).format).toBe('jpeg');
    expect((await sharp(await annotate(f, dets, 'jpeg')).metadata()).format).toBe('jpeg');
  });

  it('refuses what is not an image or not detections with a DarknetError', async () => {
    await expect(annotate({ data: new Uint8Array(5), width: 2, height: 2, channels: 3 }, [])).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(annotate(Buffer.from('not an image'), [])).rejects.toMatchObject({ code: 'IMAGE_DECODE' });
    await expect(annotate(frame(), null as unknown as Detection[])).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(annotate(frame(), [], { format: 'gif' as 'png' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('labels outside ASCII are drawn (as ?), labels wider than the image stay inside it', async () => {
    const long = [det(2, 'a very long class name that does not fit — ü', { x: 300, y: 100, width: 10, height: 10 })];
    const { data } = await decode(await annotate(frame(), long));
    // the tab reaches the left edge: shifted to stay in the image
    const c = classColor(2);
    let inTab = 0;
    for (let x = 0; x < W; x++) if (same(px(data, x, 95), c)) inTab++;
    expect(inTab).toBeGreaterThan(W / 2);
  });
});
