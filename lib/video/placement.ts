/**
 * Where a source frame sits inside the network-sized frame ffmpeg delivered (letterboxed: scaled
 * to fit and centred between grey bars, as Darknet does; or stretched), and the detections found
 * on that frame mapped back to the source frame's pixels.
 */
import { withBox, type Detection } from '../detections.js';
import { letterboxSize } from './args.js';

export interface Placement {
  /** the source frame, before scaling */
  sourceWidth: number;
  sourceHeight: number;
  /** the frame detected on (the network input size) */
  frameWidth: number;
  frameHeight: number;
  /** the source's scaled image inside it: offset and size */
  dx: number;
  dy: number;
  width: number;
  height: number;
}

export function placement(sourceWidth: number, sourceHeight: number, frameWidth: number, frameHeight: number, letterbox: boolean): Placement {
  const fit = letterbox ? letterboxSize(sourceWidth, sourceHeight, frameWidth, frameHeight) : { width: frameWidth, height: frameHeight, dx: 0, dy: 0 };
  return { sourceWidth, sourceHeight, frameWidth, frameHeight, ...fit };
}

const clip = (v: number, max: number) => Math.min(Math.max(v, 0), max);

/** Detections on the delivered frame → detections on the source frame (clipped to it, as detect() clips). */
export function toSource(dets: readonly Detection[], p: Placement): Detection[] {
  return dets.map((d) => {
    // from Darknet's unclipped relative box, so that nothing is lost to clipping at the bars
    const { cx, cy, w, h } = d.relative;
    const rcx = (cx * p.frameWidth - p.dx) / p.width;
    const rcy = (cy * p.frameHeight - p.dy) / p.height;
    const rw = (w * p.frameWidth) / p.width;
    const rh = (h * p.frameHeight) / p.height;
    const W = p.sourceWidth, H = p.sourceHeight;
    const x0 = clip((rcx - rw / 2) * W, W), x1 = clip((rcx + rw / 2) * W, W);
    const y0 = clip((rcy - rh / 2) * H, H), y1 = clip((rcy + rh / 2) * H, H);
    return withBox(d, { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, { cx: rcx, cy: rcy, w: rw, h: rh });
  });
}
