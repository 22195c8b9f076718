/**
 * A synthetic video with known ground truth: the shapes dataset's objects (drawn by its renderer)
 * moving along given paths over a still noisy background, crossing and covering each other, for
 * testing and measuring detection and tracking on real decoded video.
 */
import type { Box } from '../detections.js';
import { mulberry32 } from '../prng.js';
import { drawShape, noisyBackground, SHAPES, type ShapeName } from '../train/synthetic.js';
import { VideoWriter } from './writer.js';

export interface ClipObject {
  id: number;
  shape: ShapeName;
  /** in pixels */
  size: number;
  color: [number, number, number];
  /** waypoints [seconds, centre x, centre y]: straight lines between them; absent outside their times */
  path: Array<[number, number, number]>;
}

export interface ClipSpec {
  width: number;
  height: number;
  fps: number;
  /** seconds */
  duration: number;
  /** background colour, noise amplitude and its seed */
  background: [number, number, number];
  noise: number;
  seed: number;
  /** drawn in this order: later ones cover earlier ones */
  objects: ClipObject[];
}

/** An object in a frame: its full box (covered parts included), clipped to the frame. */
export interface ClipTruth {
  id: number;
  classId: number;
  shape: ShapeName;
  box: Box;
}

export interface ClipFrame {
  pixels: Uint8Array;
  truth: ClipTruth[];
}

function position(path: ClipObject['path'], t: number): [number, number] | null {
  if (!path.length || t < path[0]![0] || t > path[path.length - 1]![0]) return null;
  for (let i = 1; i < path.length; i++) {
    const [t0, x0, y0] = path[i - 1]!;
    const [t1, x1, y1] = path[i]!;
    if (t <= t1) {
      const a = t1 > t0 ? (t - t0) / (t1 - t0) : 1;
      return [x0 + a * (x1 - x0), y0 + a * (y1 - y0)];
    }
  }
  const [, x, y] = path[path.length - 1]!;
  return [x, y];
}

/** The clip's frames, one at a time. */
export function* renderShapesClip(spec: ClipSpec): Generator<ClipFrame> {
  const { width: W, height: H } = spec;
  const background = noisyBackground(mulberry32(spec.seed), W, H, spec.background, spec.noise);
  const frames = Math.round(spec.duration * spec.fps);
  for (let f = 0; f < frames; f++) {
    const t = f / spec.fps;
    const pixels = background.slice();
    const truth: ClipTruth[] = [];
    for (const o of spec.objects) {
      const at = position(o.path, t);
      if (!at) continue;
      const b = drawShape(pixels, W, H, o.shape, at[0], at[1], o.size, o.color);
      if (b) truth.push({ id: o.id, classId: SHAPES.indexOf(o.shape), shape: o.shape, box: { x: b[0], y: b[1], width: b[2], height: b[3] } });
    }
    yield { pixels, truth };
  }
}

/** Renders the clip into a video file with ffmpeg (H.264 MP4 unless outputArgs say otherwise); returns each frame's truth. */
export async function writeShapesClip(file: string, spec: ClipSpec, options: { ffmpegPath?: string; outputArgs?: readonly string[] } = {}): Promise<ClipTruth[][]> {
  const writer = await VideoWriter.open(file, { width: spec.width, height: spec.height, fps: spec.fps, ...options });
  const truth: ClipTruth[][] = [];
  try {
    for (const f of renderShapesClip(spec)) {
      await writer.write(f.pixels);
      truth.push(f.truth);
    }
    await writer.close();
  } catch (e) {
    await writer.abort();
    throw e;
  }
  return truth;
}

/**
 * Five shapes on a width × height canvas (designed at 192 × 144, scaled to the size asked): two
 * circles crossing head-on, the second passing over the first; a triangle passing over a square
 * going the other way; a star travelling down the right edge.
 */
export function crossingClip(o: { width?: number; height?: number; fps?: number; duration?: number } = {}): ClipSpec {
  const width = o.width ?? 192, height = o.height ?? 144, fps = o.fps ?? 25, duration = o.duration ?? 4;
  const sx = width / 192, sy = height / 144, s = Math.min(sx, sy);
  const p = (pts: Array<[number, number, number]>): Array<[number, number, number]> => pts.map(([t, x, y]) => [t * duration, x * sx, y * sy]);
  return {
    width, height, fps, duration, background: [70, 80, 95], noise: 20, seed: 7,
    objects: [
      { id: 1, shape: 'circle', size: Math.round(36 * s), color: [240, 200, 40], path: p([[0, 22, 28], [1, 140, 38]]) },
      { id: 2, shape: 'circle', size: Math.round(36 * s), color: [40, 220, 230], path: p([[0, 140, 62], [1, 22, 52]]) },
      { id: 3, shape: 'square', size: Math.round(34 * s), color: [230, 60, 200], path: p([[0, 22, 98], [1, 140, 94]]) },
      { id: 4, shape: 'triangle', size: Math.round(38 * s), color: [250, 140, 30], path: p([[0, 140, 122], [1, 22, 112]]) },
      { id: 5, shape: 'star', size: Math.round(36 * s), color: [60, 240, 90], path: p([[0, 172, 22], [1, 172, 122]]) },
    ],
  };
}
