/**
 * `darknet-node video`: detect and track objects in a video file, URL or camera; write the video
 * annotated (boxes, track ids, trails) through ffmpeg and/or the tracks as JSON lines.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Detector } from '../detector.js';
import { SHAPES_MODEL } from '../models.js';
import type { Track } from '../track/tracker.js';
import type { Detection } from '../detections.js';
import type { StreamFrame } from '../video/stream.js';
import { VideoWriter } from '../video/writer.js';
import { drawBoxes, rgbCopy } from '../draw/annotate.js';
import { strokePolyline } from '../draw/canvas.js';
import { classColor } from '../draw/colors.js';
import { UsageError } from './usage.js';

export const VIDEO_HELP = `usage: darknet-node video <input> --out <annotated.mp4> [--json <tracks.jsonl>] [options]
  <input>: a video file, an http(s)/rtsp/udp URL or a V4L2 device (/dev/video0), read by ffmpeg
  without --cfg/--weights: the bundled shapes model
  --out <file>          the video with boxes, track ids and trails drawn (H.264 MP4)
  --json <file>         one JSON line per frame: index, timestamp, detections, tracks
  --fps <n>             sample the input to n frames per second
  --every <n>           keep every n-th frame
  --latest              live input: drop frames to keep up (the video repeats frames over the gaps)
  --max-frames <n>      stop after n frames
  --thresh <p>          minimum probability (default 0.5)
  --nms <iou>           NMS threshold (default 0.45)
  --byte-track          ByteTrack: weak detections (down to 0.1) continue tracks
  --size <n>            network input size (multiple of 32)
  --names <file>        class names
  --ffmpeg <path>       the ffmpeg program (default: ffmpeg on PATH)`;

/** Trail points kept per track. */
const TRAIL = 30;

function positive(v: string | undefined, name: string, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new UsageError(`--${name} must be a positive ${integer ? 'integer' : 'number'}`);
  return n;
}

function unit(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new UsageError(`--${name} must be a number in [0, 1]`);
  return n;
}

const trackJson = (t: Track<Detection>) => ({
  id: t.id, classId: t.classId, className: t.className, state: t.state, confidence: t.confidence,
  box: t.box, velocity: t.velocity, age: t.age, hits: t.hits, misses: t.misses,
});

/** Draws the confirmed tracks, their ids and their recent paths on a frame. */
async function drawFrame(r: StreamFrame, trails: Map<number, Array<[number, number]>>): Promise<Buffer> {
  const f = r.frame!;
  const live = r.tracks.filter((t) => t.state === 'confirmed');
  for (const t of live) {
    const trail = trails.get(t.id) ?? [];
    trail.push([t.box.x + t.box.width / 2, t.box.y + t.box.height / 2]);
    if (trail.length > TRAIL) trail.shift();
    trails.set(t.id, trail);
  }
  const alive = new Set(r.tracks.map((t) => t.id));
  for (const id of trails.keys()) if (!alive.has(id)) trails.delete(id);
  // drawn into the pixels (Darknet's glyphs, no SVG, no system font): the same on every machine
  const canvas = rgbCopy({ ...f, data: new Uint8Array(f.data.buffer, f.data.byteOffset, f.data.byteLength) });
  for (const t of live) strokePolyline(canvas, trails.get(t.id)!, 2, classColor(t.id));
  drawBoxes(canvas, live.map((t) => ({ box: t.box, label: `#${t.id} ${t.className ?? t.classId} ${(t.confidence * 100).toFixed(0)}%`, color: classColor(t.id) })));
  return Buffer.from(canvas.data.buffer, canvas.data.byteOffset, canvas.data.byteLength);
}

export async function cmdVideo(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      out: { type: 'string' }, json: { type: 'string' }, fps: { type: 'string' }, every: { type: 'string' }, latest: { type: 'boolean' },
      'max-frames': { type: 'string' }, thresh: { type: 'string' }, nms: { type: 'string' }, 'byte-track': { type: 'boolean' },
      cfg: { type: 'string' }, weights: { type: 'string' }, names: { type: 'string' }, size: { type: 'string' }, ffmpeg: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError(VIDEO_HELP);
  const input = positionals[0]!;
  if (!values.out && !values.json) throw new UsageError('nothing to write: give --out <annotated.mp4> and/or --json <tracks.jsonl>');
  for (const o of [values.out, values.json]) if (o && resolve(o) === resolve(input)) throw new UsageError(`${o} is the input: it would be overwritten`);
  if (values.out && values.json && resolve(values.out) === resolve(values.json)) throw new UsageError('--out and --json name the same file');
  if (!values.cfg !== !values.weights) throw new UsageError('--cfg and --weights go together (without both, the bundled shapes model is used)');
  const fps = positive(values.fps, 'fps', false);
  const every = positive(values.every, 'every', true);
  const maxFrames = positive(values['max-frames'], 'max-frames', true);
  const size = positive(values.size, 'size', true);
  const thresh = unit(values.thresh, 'thresh');
  const nms = unit(values.nms, 'nms');

  const model = values.cfg ? { cfg: values.cfg, weights: values.weights!, ...(values.names ? { names: values.names } : {}) } : { cfg: SHAPES_MODEL.cfg, weights: SHAPES_MODEL.weights, names: values.names ?? SHAPES_MODEL.names };
  const det = await Detector.load({ ...model, ...(size ? { width: size, height: size } : {}) });
  const ac = new AbortController();
  // Ctrl-C ends the input; what was written so far is finished into a playable file
  const onSigint = () => ac.abort();
  process.once('SIGINT', onSigint);
  let writer: VideoWriter | undefined;
  let json: WriteStream | undefined;
  const tty = process.stderr.isTTY;
  const t0 = performance.now();
  let frames = 0;
  let lastProgress = 0;
  const ids = new Set<number>();
  try {
    const stream = det.detectStream(input, {
      frames: Boolean(values.out), signal: ac.signal, policy: values.latest ? 'latest' : 'all',
      ...(fps ? { fps } : {}), ...(every ? { every } : {}), ...(maxFrames ? { maxFrames } : {}),
      ...(thresh === undefined ? {} : { thresh }), ...(nms === undefined ? {} : { nms }),
      ...(values['byte-track'] ? { track: { byteTrack: true } } : {}), ...(values.ffmpeg ? { ffmpegPath: values.ffmpeg } : {}),
    });
    if (values.json) {
      json = createWriteStream(values.json);
      await new Promise<void>((ok, fail) => json!.once('open', () => ok()).once('error', fail));
    }
    const trails = new Map<number, Array<[number, number]>>();
    let previous: { index: number; image: Buffer } | undefined;
    try {
      for await (const r of stream) {
        frames++;
        for (const t of r.tracks) if (t.state === 'confirmed') ids.add(t.id);
        if (json && !json.write(`${JSON.stringify({ index: r.index, timestamp: r.timestamp, detections: r.detections, tracks: r.tracks.map(trackJson) })}\n`)) {
          await new Promise<void>((ok) => json!.once('drain', () => ok()));
        }
        if (values.out) {
          const image = await drawFrame(r, trails);
          if (!writer) {
            const rate = fps ?? (stream.info?.fps ?? 25) / (every ?? 1);
            writer = await VideoWriter.open(values.out, { width: r.frame!.width, height: r.frame!.height, fps: rate, ...(values.ffmpeg ? { ffmpegPath: values.ffmpeg } : {}) });
          }
          // frames dropped to keep up: the last picture held over the gap keeps the video's clock
          for (let i = (previous?.index ?? r.index - 1) + 1; previous && i < r.index; i++) await writer.write(previous.image);
          await writer.write(image);
          previous = { index: r.index, image };
        }
        const now = performance.now();
        if (tty && now - lastProgress > 250) {
          lastProgress = now;
          process.stderr.write(`\rframe ${r.index + 1}, ${(frames / ((now - t0) / 1000)).toFixed(1)} fps, ${r.dropped} dropped, ${ids.size} tracks   `);
        }
      }
    } catch (e) {
      if (!ac.signal.aborted) throw e;
    }
    await writer?.close();
    writer = undefined;
    if (tty) process.stderr.write('\n');
    const secs = (performance.now() - t0) / 1000;
    console.log(`${frames} frames in ${secs.toFixed(1)} s (${(frames / secs).toFixed(1)} fps), ${stream.stats.dropped} dropped, ${ids.size} tracks${values.out ? ` → ${values.out}` : ''}${values.json ? ` → ${values.json}` : ''}`);
  } finally {
    process.removeListener('SIGINT', onSigint);
    await writer?.abort();
    if (json) await new Promise<void>((ok) => json!.end(() => ok()));
    det.dispose();
  }
}
