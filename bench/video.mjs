#!/usr/bin/env node
// Video speed (npm run bench:video): frames per second end to end — ffmpeg decoding an H.264
// clip and scaling it to the network, detection, tracking — with the decoder alone and the
// network alone beside it, to show which one sets the pace. Two cases: the bundled shapes model
// on its 192×144 crossing-shapes clip, and yolov3-tiny-416 (random-init weights of the real
// size, bench/models.mjs) on the same clip rendered at 640×480. Clips are made once under
// bench/.cache by the package's own renderer and encoder.
//
// env: SECONDS (clip length, default 10), ROUNDS (default 3, the best is reported: this
//      machine's speed drifts), BATCH (comma list of batch sizes tried for tiny, default 1,2,4),
//      WRITE (a file to write the table to). A DetectorPool of one single-threaded copy per core
//      is measured too.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { Detector, DetectorPool, SHAPES_MODEL } from '../dist/index.js';
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

/** ffmpeg alone: decode and scale to the network size, frames read and thrown away. */
async function decodeOnly(file, width, height) {
  const d = new FfmpegDecoder(findFfmpeg(), { source: file, geometry: { net: { width, height, letterbox: true } }, realtime: false, threads: 1 }, 10_000);
  const t = performance.now();
  let n = 0;
  while (await d.read()) n++;
  await d.stop();
  return n / ((performance.now() - t) / 1000);
}

/** the network alone, on already-scaled frames, as detectStream calls it (batch frames a pass, on each copy of a pool) */
async function networkOnly(c, frames) {
  const { det } = c;
  const px = { data: new Uint8Array(c.width * c.height * 3).fill(100), width: c.width, height: c.height, channels: 3 };
  const batch = Array.from({ length: c.batch }, () => px);
  const pass = () => (c.batch > 1 ? det.detectBatch(batch, { letterbox: false }) : det.detect(px, { letterbox: false }));
  await pass();
  const t = performance.now();
  let n = 0;
  for (; n < frames; n += c.batch) await pass();
  return n / ((performance.now() - t) / 1000);
}

/** decode + detect + track, every frame ('all') */
async function endToEnd(c) {
  const t = performance.now();
  let n = 0, dets = 0, tracks = 0;
  for await (const r of c.det.detectStream(c.file)) { n++; dets += r.detections.length; tracks += r.tracks.length; }
  Object.assign(c, { frames: n, dets: dets / n, tracks: tracks / n });
  return n / ((performance.now() - t) / 1000);
}

const small = await clip(192, 144);
const vga = await clip(640, 480);
const tiny = await prepareModel({ name: 'yolov3-tiny-416', base: 'yolov3-tiny', size: 416, gain: 16 });
const configs = [
  { name: 'shapes (bundled)', load: SHAPES_MODEL, file: small, size: '192×144' },
  ...BATCHES.map((batch) => ({ name: 'yolov3-tiny-416', load: { cfg: tiny.cfgPath, weights: tiny.weights, batch }, file: vga, size: '640×480' })),
  // one copy per core, one thread each: no copy waits for a thread that ffmpeg has taken
  { name: 'yolov3-tiny-416, DetectorPool', load: { cfg: tiny.cfgPath, weights: tiny.weights, instances: availableParallelism() }, file: vga, size: '640×480' },
];
for (const c of configs) {
  const pool = c.load.instances !== undefined;
  c.det = pool ? await DetectorPool.load(c.load) : await Detector.load(c.load);
  const one = pool ? c.det.detectors[0] : c.det;
  Object.assign(c, { width: one.width, height: one.height, batch: one.batch * (pool ? c.det.size : 1), threads: one.threads, copies: pool ? c.det.size : 1 });
  await endToEnd(c); // warm: page cache, OpenMP threads
  Object.assign(c, { e2e: 0, dec: 0, net: 0 });
}
// round by round, every configuration in turn: the machine's drift hits them alike
for (let round = 0; round < ROUNDS; round++) {
  for (const c of configs) {
    c.e2e = Math.max(c.e2e, await endToEnd(c));
    c.dec = Math.max(c.dec, await decodeOnly(c.file, c.width, c.height));
    c.net = Math.max(c.net, await networkOnly(c, 100));
    console.error(`round ${round + 1}: ${c.name} (${c.copies} × batch ${c.batch / c.copies}, ${c.threads} threads): ${c.e2e.toFixed(1)} fps end to end; decoder alone ${c.dec.toFixed(0)} fps; network alone ${c.net.toFixed(1)} fps`);
  }
}
const rows = configs;
for (const c of configs) c.det.dispose();

const machine = `${availableParallelism()} cores, ${cpus()[0]?.model ?? 'unknown CPU'}`;
const table = [
  `# darknet-node video speed — ${new Date().toISOString()}`,
  '',
  `${machine}; ffmpeg decoding with 1 thread beside the network; H.264 clips of ${SECONDS} s at 25 fps; best of ${ROUNDS} rounds, the configurations interleaved.`,
  'End to end = `detectStream` with the `all` policy: ffmpeg decodes and scales each frame to the network input (letterboxed), the network detects, the tracker tracks. Decoder alone = the same ffmpeg pipeline with the frames read and discarded. Network alone = `detect()` (`detectBatch()` of `batch` frames on a batch network, one per copy on a pool) on already-scaled frames.',
  '',
  '| model | clip | copies × batch, threads | end to end | decoder alone | network alone | detections / frame | tracks / frame |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.name} | ${r.size}, ${r.frames} frames | ${r.copies} × ${r.batch / r.copies}, ${r.threads} | **${r.e2e.toFixed(1)} fps** | ${r.dec.toFixed(0)} fps | ${r.net.toFixed(1)} fps | ${r.dets.toFixed(1)} | ${r.tracks.toFixed(1)} |`),
  '',
].join('\n');
console.log(table);
if (process.env.WRITE) writeFileSync(process.env.WRITE, table);
