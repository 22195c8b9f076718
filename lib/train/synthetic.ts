/**
 * A synthetic detection dataset, deterministic from a seed: PNG images of coloured shapes
 * (circle, square, triangle, cross, star) of varied size, colour and position, possibly
 * overlapping, on noisy backgrounds, with Darknet label files (`images/…` → `labels/….txt`),
 * train/val lists, a .names and a .data file — everything `darknet detector train` reads.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { mulberry32 } from '../prng.js';

export const SHAPES = ['circle', 'square', 'triangle', 'cross', 'star'] as const;
export type ShapeName = (typeof SHAPES)[number];

export interface SyntheticOptions {
  dir: string;
  seed?: number;
  train?: number;
  val?: number;
  width?: number;
  height?: number;
  /** shapes per image (inclusive range) */
  minShapes?: number;
  maxShapes?: number;
  /** shape size in pixels (inclusive range) */
  minSize?: number;
  maxSize?: number;
  /** background noise amplitude (0–255) */
  noise?: number;
  /** write only this split (the other is still drawn, so the images are those of the full run) */
  only?: 'train' | 'val';
}

export interface SyntheticObject {
  classId: number;
  shape: ShapeName;
  /** tight pixel box: left, top, width, height */
  box: [number, number, number, number];
  color: [number, number, number];
}

export interface SyntheticImage {
  path: string;
  labelPath: string;
  split: 'train' | 'val';
  width: number;
  height: number;
  objects: SyntheticObject[];
}

export interface SyntheticDataset {
  dataFile: string;
  namesFile: string;
  trainList: string;
  valList: string;
  backupDir: string;
  images: SyntheticImage[];
}

const STAR: Array<[number, number]> = Array.from({ length: 10 }, (_, i) => {
  const a = -Math.PI / 2 + (i * Math.PI) / 5;
  const r = i % 2 ? 0.45 : 1;
  return [r * Math.cos(a), r * Math.sin(a)];
});

function inPolygon(x: number, y: number, poly: Array<[number, number]>): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Is (u, v), relative to the centre in units of the half-size, inside the shape? */
function inside(shape: ShapeName, u: number, v: number): boolean {
  switch (shape) {
    case 'circle': return u * u + v * v <= 1;
    case 'square': return Math.abs(u) <= 0.85 && Math.abs(v) <= 0.85;
    case 'triangle': return v >= -1 && v <= 1 && Math.abs(u) <= (v + 1) / 2;
    case 'cross': return (Math.abs(u) <= 0.3 && Math.abs(v) <= 1) || (Math.abs(v) <= 0.3 && Math.abs(u) <= 1);
    case 'star': return inPolygon(u, v, STAR);
  }
}

/** Fills an RGB image with a flat colour plus uniform noise of the given amplitude. */
export function noisyBackground(rand: () => number, width: number, height: number, bg: readonly number[], noise: number): Uint8Array {
  const px = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) px[i * 3 + c] = Math.max(0, Math.min(255, Math.round(bg[c]! + (rand() * 2 - 1) * noise)));
  }
  return px;
}

/**
 * Paints a shape of `size` pixels centred at (cx, cy) over an RGB image and returns its tight
 * pixel box (left, top, width, height), clipped to the image, or null when no pixel of it is in
 * the image.
 */
export function drawShape(px: Uint8Array, W: number, H: number, shape: ShapeName, cx: number, cy: number, size: number, color: readonly [number, number, number]): [number, number, number, number] | null {
  const r = size / 2;
  let x0 = W, y0 = H, x1 = -1, y1 = -1;
  for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(H - 1, Math.ceil(cy + r)); y++) {
    for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(W - 1, Math.ceil(cx + r)); x++) {
      if (!inside(shape, (x + 0.5 - cx) / r, (y + 0.5 - cy) / r)) continue;
      px.set(color, (y * W + x) * 3);
      x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
    }
  }
  return x1 >= x0 ? [x0, y0, x1 - x0 + 1, y1 - y0 + 1] : null;
}

export function renderImage(rand: () => number, o: Required<Omit<SyntheticOptions, 'dir' | 'seed' | 'train' | 'val' | 'only'>>): { pixels: Uint8Array; objects: SyntheticObject[] } {
  const { width: W, height: H } = o;
  const bg = [40 + rand() * 80, 40 + rand() * 80, 40 + rand() * 80];
  const px = noisyBackground(rand, W, H, bg, o.noise);
  const n = o.minShapes + Math.floor(rand() * (o.maxShapes - o.minShapes + 1));
  const objects: SyntheticObject[] = [];
  for (let k = 0; k < n; k++) {
    const classId = Math.floor(rand() * SHAPES.length);
    const shape = SHAPES[classId]!;
    const size = o.minSize + Math.floor(rand() * (o.maxSize - o.minSize + 1));
    const r = size / 2;
    const cx = r + rand() * (W - 2 * r);
    const cy = r + rand() * (H - 2 * r);
    // bright, saturated colours: far from the dim background
    const color: [number, number, number] = [0, 1, 2].map(() => 150 + Math.floor(rand() * 106)) as [number, number, number];
    color[Math.floor(rand() * 3)] = Math.floor(rand() * 60);
    const box = drawShape(px, W, H, shape, cx, cy, size, color);
    if (box) objects.push({ classId, shape, box, color });
  }
  return { pixels: px, objects };
}

export async function generateSyntheticDataset(opts: SyntheticOptions): Promise<SyntheticDataset> {
  const o = {
    width: 128, height: 128, minShapes: 1, maxShapes: 4, minSize: 14, maxSize: 48, noise: 24, ...opts,
  };
  const dir = resolve(o.dir);
  const rand = mulberry32(o.seed ?? 1);
  const sharp = (await import('sharp')).default;
  const images: SyntheticImage[] = [];
  for (const split of ['train', 'val'] as const) {
    await mkdir(join(dir, 'images', split), { recursive: true });
    await mkdir(join(dir, 'labels', split), { recursive: true });
    const count = split === 'train' ? (o.train ?? 200) : (o.val ?? 50);
    for (let i = 0; i < count; i++) {
      const name = String(i).padStart(5, '0');
      const { pixels, objects } = renderImage(rand, o);
      if (o.only && o.only !== split) continue;
      const path = join(dir, 'images', split, `${name}.png`);
      const labelPath = join(dir, 'labels', split, `${name}.txt`);
      await sharp(pixels, { raw: { width: o.width, height: o.height, channels: 3 } }).png({ compressionLevel: 6 }).toFile(path);
      const lines = objects.map((ob) => {
        const [x, y, w, h] = ob.box;
        return [ob.classId, (x + w / 2) / o.width, (y + h / 2) / o.height, w / o.width, h / o.height].map((v, j) => (j ? v.toFixed(6) : String(v))).join(' ');
      });
      await writeFile(labelPath, lines.join('\n') + (lines.length ? '\n' : ''));
      images.push({ path, labelPath, split, width: o.width, height: o.height, objects });
    }
  }
  const trainList = join(dir, 'train.txt');
  const valList = join(dir, 'val.txt');
  const namesFile = join(dir, 'shapes.names');
  const backupDir = join(dir, 'backup');
  await mkdir(backupDir, { recursive: true });
  await writeFile(trainList, images.filter((m) => m.split === 'train').map((m) => m.path).join('\n') + '\n');
  await writeFile(valList, images.filter((m) => m.split === 'val').map((m) => m.path).join('\n') + '\n');
  await writeFile(namesFile, SHAPES.join('\n') + '\n');
  const dataFile = join(dir, 'shapes.data');
  await writeFile(dataFile, `classes=${SHAPES.length}\ntrain=${trainList}\nvalid=${valList}\nnames=${namesFile}\nbackup=${backupDir}\n`);
  return { dataFile, namesFile, trainList, valList, backupDir, images };
}
