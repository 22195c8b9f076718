/**
 * detectStream on real decoded video: the crossing-shapes clip (rendered by the shapes dataset's
 * renderer, encoded H.264 by ffmpeg) through the bundled shapes model and the tracker, scored
 * against the clip's ground truth with the package's CLEAR-MOT and IDF1; sampling, frames,
 * batching, and iterables of images as the source.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Detector } from '../../lib/detector.js';
import { DetectorPool } from '../../lib/pool.js';
import type { RawImage } from '../../lib/input.js';
import { evaluateMot, type MotFrame } from '../../lib/eval/mot.js';
import { SHAPES_MODEL } from '../../lib/models.js';
import { iou } from '../../lib/track/tracker.js';
import { renderShapesClip } from '../../lib/video/synthetic.js';
import { gone, makeClip, motFrame, type Clip } from '../helpers/video.js';

let clip: Clip;
let det: Detector;
beforeAll(async () => {
  clip = await makeClip();
  det = await Detector.load(SHAPES_MODEL);
});
afterAll(() => det?.dispose());

describe('detectStream on a video file', () => {
  it('tracks the crossing shapes: MOTA ≥ 0.90 and IDF1 ≥ 0.90 against the known trajectories', async () => {
    const frames: MotFrame[] = [];
    const stream = det.detectStream(clip.file);
    const indices: number[] = [];
    for await (const r of stream) {
      indices.push(r.index);
      expect(r.timestamp).toBeCloseTo(r.index / clip.spec.fps, 6);
      expect(r.frame).toBeUndefined();
      frames.push(motFrame(clip.truth[r.index]!, r.tracks));
    }
    expect(indices).toEqual(clip.truth.map((_, i) => i));
    expect(stream.stats).toEqual({ decoded: 100, dropped: 0, processed: 100 });
    expect(stream.info).toMatchObject({ width: 192, height: 144, fps: 25 });
    const s = evaluateMot(frames);
    console.log(`crossing clip, shapes model + tracker: MOTA ${s.mota.toFixed(3)}, IDF1 ${s.idf1.toFixed(3)}, MOTP ${s.motp.toFixed(3)}, ` +
      `${s.misses} misses, ${s.falsePositives} false positives, ${s.idSwitches} id switches of ${s.objects} objects`);
    expect(s.mota).toBeGreaterThanOrEqual(0.9);
    expect(s.idf1).toBeGreaterThanOrEqual(0.9);
    // the circles cross each other, the triangle passes over the square: identities survive
    expect(s.idSwitches).toBe(0);
    expect(s.mostlyTracked).toBe(5);
  });

  it('frames: true gives each frame as decoded (the clip through H.264), the network letterboxing it', async () => {
    const rendered = [...renderShapesClip(clip.spec)];
    const frames: MotFrame[] = [];
    for await (const r of det.detectStream(clip.file, { frames: true })) {
      const f = r.frame!;
      expect([f.width, f.height, f.channels, f.data.length]).toEqual([192, 144, 3, 192 * 144 * 3]);
      const ref = rendered[r.index]!.pixels;
      let diff = 0;
      for (let i = 0; i < ref.length; i++) diff += Math.abs(ref[i]! - f.data[i]!);
      expect(diff / ref.length).toBeLessThan(8); // lossy, but the same picture
      frames.push(motFrame(clip.truth[r.index]!, r.tracks));
    }
    expect(frames).toHaveLength(100);
    expect(evaluateMot(frames).mota).toBeGreaterThanOrEqual(0.9);
  });

  it('samples every n-th frame or to a frame rate, stops at maxFrames; times follow the stream', async () => {
    const every = [];
    for await (const r of det.detectStream(clip.file, { every: 3, track: false })) {
      every.push(r);
      expect(r.tracks).toEqual([]);
    }
    expect(every.map((r) => r.index)).toEqual(Array.from({ length: 34 }, (_, i) => i));
    every.forEach((r, i) => expect(r.timestamp).toBeCloseTo((3 * i) / 25, 6));
    // the detections are those of the frames kept: frame 3k of the clip
    const hit = every.filter((r, i) => clip.truth[3 * i]!.every((g) => r.detections.some((d) => d.classId === g.classId && iou(d.box, g.box) >= 0.5)));
    expect(hit.length).toBeGreaterThanOrEqual(30);

    const fps = [];
    for await (const r of det.detectStream(clip.file, { fps: 5 })) fps.push(r.timestamp);
    expect(fps).toHaveLength(20);
    fps.forEach((t, i) => expect(t).toBeCloseTo(i / 5, 6));

    const stream = det.detectStream(clip.file, { maxFrames: 7 });
    let n = 0;
    let pid: number | undefined;
    for await (const r of stream) { n++; pid ??= stream.pid; void r; }
    expect(n).toBe(7);
    expect(pid).toBeGreaterThan(0);
    expect(gone(pid!)).toBe(true);
  });

  it('batches through detectBatch on a batch network: the same results as frame by frame', async () => {
    const b4 = await Detector.load({ ...SHAPES_MODEL, batch: 4 });
    try {
      const spy = vi.spyOn(b4, 'detectBatch');
      const one: unknown[] = [];
      const four: unknown[] = [];
      for await (const r of det.detectStream(clip.file, { maxFrames: 30 })) one.push({ d: r.detections.map((d) => d.toJSON()), t: r.tracks.map((t) => [t.id, t.state, t.box]) });
      for await (const r of b4.detectStream(clip.file, { maxFrames: 30 })) four.push({ d: r.detections.map((d) => d.toJSON()), t: r.tracks.map((t) => [t.id, t.state, t.box]) });
      expect(four).toEqual(one);
      expect(spy.mock.calls.map((c) => c[0].length)).toEqual([4, 4, 4, 4, 4, 4, 4, 2]);
    } finally {
      b4.dispose();
    }
  });

  it('on a DetectorPool: consecutive frames on the copies at once, the same results', async () => {
    const pool = await DetectorPool.load({ ...SHAPES_MODEL, instances: 2 });
    try {
      const spy = vi.spyOn(pool.detectors[1]!, 'detectBatch');
      const one: unknown[] = [];
      const two: unknown[] = [];
      for await (const r of det.detectStream(clip.file, { maxFrames: 21 })) one.push({ i: r.index, d: r.detections.map((d) => d.toJSON()), t: r.tracks.map((t) => [t.id, t.state, t.box]) });
      for await (const r of pool.detectStream(clip.file, { maxFrames: 21 })) two.push({ i: r.index, d: r.detections.map((d) => d.toJSON()), t: r.tracks.map((t) => [t.id, t.state, t.box]) });
      expect(two).toEqual(one);
      expect(spy.mock.calls.length).toBeGreaterThanOrEqual(5); // the second copy did its share
    } finally {
      pool.dispose();
    }
    expect(() => pool.detectStream(clip.file)).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
  });

  it('letterbox: false has ffmpeg stretch the frame to the network, boxes mapped back', async () => {
    let good = 0, total = 0;
    for await (const r of det.detectStream(clip.file, { letterbox: false, every: 10 })) {
      for (const g of clip.truth[r.index * 10]!) {
        total++;
        if (r.detections.some((d) => d.classId === g.classId && iou(d.box, g.box) >= 0.5)) good++;
      }
    }
    expect(total).toBe(50);
    expect(good / total).toBeGreaterThanOrEqual(0.8);
  });
});

describe('detectStream on an iterable of images', () => {
  it('tracks raw frames from an async generator (what detect() accepts); every n-th kept', async () => {
    async function* frames(): AsyncGenerator<RawImage> {
      for (const f of renderShapesClip(clip.spec)) yield { data: f.pixels, width: 192, height: 144, channels: 3 };
    }
    const mot: MotFrame[] = [];
    const seen: number[] = [];
    for await (const r of det.detectStream(frames(), { every: 2, frames: true })) {
      seen.push(r.index);
      expect(r.frame!.width).toBe(192);
      mot.push(motFrame(clip.truth[r.index * 2]!, r.tracks));
    }
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const s = evaluateMot(mot);
    expect(s.mota).toBeGreaterThanOrEqual(0.9);
    expect(s.idf1).toBeGreaterThanOrEqual(0.9);
  });

  it('accepts a plain iterable of encoded images; an image that fails names its frame', async () => {
    const png = await import('node:fs').then((fs) => fs.readFileSync(SHAPES_MODEL.sample));
    const out = [];
    for await (const r of det.detectStream([png, png, png])) out.push(r);
    expect(out.map((r) => r.detections.length)).toEqual([4, 4, 4]);
    expect(out[2]!.tracks.filter((t) => t.state === 'confirmed').map((t) => t.id)).toEqual([1, 2, 3, 4]);
    const bad = det.detectStream([png, new Uint8Array([1, 2, 3])]);
    await expect((async () => { for await (const r of bad) void r; })()).rejects.toMatchObject({ code: 'IMAGE_DECODE', message: expect.stringContaining('frame 1') });
  });
});
