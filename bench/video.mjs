#!/usr/bin/env node
// Video speed (npm run bench:video): frames per second end to end — ffmpeg decoding an H.264
// clip and scaling it to the network, detection, tracking — with the decoder alone and the
// network alone beside it, to show which one sets the pace. Two cases: the bundled shapes model
// on its 192×144 crossing-shapes clip, and yolov3-tiny-416 (random-init weights of the real
// size, bench/models.mjs) on the same clip rendered at 640×480. Clips are made once under
// bench/.cache by the package's own renderer and encoder.
//
// env: SECONDS (clip length, default 10), ROUNDS (default 3, the best is reported: this
//      machine's speed drifts), BATCH (comma list of batch sizes tried for tiny, default 1,2,4)
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { Detector, SHAPES_MODEL } from '../dist/index.js';
import { FfmpegDecoder } from '../dist/video/decoder.js';
import { findFfmpeg } from '../dist/video/ffmpeg.js';
import { crossingClip, writeShapesClip } from '../dist/video/synthetic.js';
import { CACHE, prepareModel } from './models.mjs';

const SECONDS = Number(process.env.SECONDS ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const BATCHES = (process.env.BATCH ?? '1,2,4').split(',').map(Number);
mkdirSync(CACHE, { recursive: true });

async function clip(width, height) {
  const file = join(CACHE, `crossing-${width}x${height}-${SECONDS}s.mp4`);
  if (!existsSync(file)) await writeShapesClip(file, crossingClip({ width, height, duration: SECONDS }));
  return file;
}

const best = async (f) => {
  let top = 0;
  for (let i = 0; i < ROUNDS; i++) top = Math.max(top, await f());
  return top;
};

/** ffmpeg alone: decode and scale to the network size, frames read and thrown away. */
async function decodeOnly(file, width, height) {
  const d = new FfmpegDecoder(findFfmpeg(), { source: file, geometry: { net: { width, height, letterbox: true } }, realtime: false, threads: 1 }, 10_000);
  const t = performance.now();
  let n = 0;
  while (await d.read()) n++;
  await d.stop();
  return n / ((performance.now() - t) / 1000);
}

/** the network alone, on one already-scaled frame, as detectStream calls it */
async function networkOnly(det, frames) {
  const px = { data: new Uint8Array(det.width * det.height * 3).fill(100), width: det.width, height: det.height, channels: 3 };
  await det.detect(px, { letterbox: false });
  const t = performance.now();
  for (let i = 0; i < frames; i++) await det.detect(px, { letterbox: false });
  return frames / ((performance.now() - t) / 1000);
}

/** decode + detect + track, every frame ('all') */
async function endToEnd(det, file) {
  const t = performance.now();
  let n = 0, dets = 0, tracks = 0;
  for await (const r of det.detectStream(file)) { n++; dets += r.detections.length; tracks += r.tracks.length; }
  const fps = n / ((performance.now() - t) / 1000);
  endToEnd.last = { frames: n, dets: dets / n, tracks: tracks / n };
  return fps;
}

const rows = [];
async function bench(name, load, file, size) {
  const det = await Detector.load(load);
  try {
    await endToEnd(det, file); // warm: page cache, sharp-free path, OpenMP threads
    const e2e = await best(() => endToEnd(det, file));
    const { frames, dets, tracks } = endToEnd.last;
    const dec = await best(() => decodeOnly(file, det.width, det.height));
    const net = await best(() => networkOnly(det, Math.min(frames, 100)));
    rows.push({ name, size, frames, e2e, dec, net, dets, tracks, batch: det.batch, threads: det.threads });
    console.error(`${name} (batch ${det.batch}): ${e2e.toFixed(1)} fps end to end; decoder alone ${dec.toFixed(0)} fps; network alone ${net.toFixed(1)} fps`);
  } finally {
    det.dispose();
  }
}

const small = await clip(192, 144);
const vga = await clip(640, 480);
await bench('shapes (bundled)', SHAPES_MODEL, small, '192×144');
const tiny = await prepareModel({ name: 'yolov3-tiny-416', base: 'yolov3-tiny', size: 416, gain: 16 });
for (const batch of BATCHES) await bench('yolov3-tiny-416', { cfg: tiny.cfgPath, weights: tiny.weights, batch }, vga, '640×480');

const machine = `${availableParallelism()} cores, ${cpus()[0]?.model ?? 'unknown CPU'}`;
const table = [
  `# darknet-node video speed — ${new Date().toISOString()}`,
  '',
  `${machine}; ffmpeg decoding with 1 thread beside the network's ${rows[0]?.threads} compute threads; H.264 clips of ${SECONDS} s at 25 fps; best of ${ROUNDS} runs.`,
  'End to end = `detectStream` with the `all` policy: ffmpeg decodes and scales each frame to the network input (letterboxed), the network detects, the tracker tracks. Decoder alone = the same ffmpeg pipeline with the frames read and discarded. Network alone = `detect()` on an already-scaled frame.',
  '',
  '| model | clip | batch | end to end | decoder alone | network alone | detections / frame | tracks / frame |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.name} | ${r.size}, ${r.frames} frames | ${r.batch} | **${r.e2e.toFixed(1)} fps** | ${r.dec.toFixed(0)} fps | ${r.net.toFixed(1)} fps | ${r.dets.toFixed(1)} | ${r.tracks.toFixed(1)} |`),
  '',
].join('\n');
console.log(table);
if (process.env.WRITE) writeFileSync(process.env.WRITE, table);
