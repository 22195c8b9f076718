#!/usr/bin/env node
// NMS cost (npm run bench:nms): what do_nms_sort's equal (native/ops/nms.c) takes with thousands of
// candidates, beside the network it follows.
//  1. The two functions alone on 5,000 boxes × 80 classes laid out as yolov3-416's heads with
//     random weights (test/reference/nms-harness.c "yolo"): Darknet's do_nms_sort (libdarknet.so,
//     one run) and ours (median of 15), checked equal on the way.
//  2. End to end: yolov3-416 with random-init weights (no head gain: most of its 10,647 boxes
//     clear thresh .5) on dog.jpg's pixels, detect() with nms .45 and with nms 0, interleaved;
//     the difference is what NMS adds, shown as a share of the nms-0 time (network + decoding).
// env: ROUNDS (default 5), DARKNET=0 skips Darknet's run in part 1 (it takes 10-30 s).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { Detector, parseCfg, serializeCfg, setOption, validateCfg, writeRandomWeights } from '../dist/index.js';
import { CACHE, ROOT, SHARE } from './models.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
mkdirSync(CACHE, { recursive: true });
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };

const harness = join(CACHE, 'nms-harness');
execFileSync('cc', ['-O3', '-o', harness, join(ROOT, 'test/reference/nms-harness.c'), join(ROOT, 'native/ops/nms.c'),
  `-I${join(ROOT, 'native', 'ops')}`, '-I/usr/lib/darknet/include', '-L/usr/lib/darknet', '-ldarknet', '-Wl,-rpath,/usr/lib/darknet', '-lm'], { stdio: 'inherit' });
const env = { ...process.env, ...(process.env.DARKNET === '0' ? { NMS_OURS_ONLY: '1' } : {}) };
const alone = execFileSync(harness, ['yolo', '5000', '80', '15'], { env, encoding: 'utf8' }).trim();
const [, darknetMs, oursMs] = /darknet ([\d.]+) ours ([\d.]+)/.exec(alone) ?? [];
console.log(`NMS alone, 5,000 boxes × 80 classes (yolov3-416 layout): ours ${oursMs} ms` +
  (process.env.DARKNET === '0' ? '' : `, Darknet's do_nms_sort ${darknetMs} ms (same result)`));

const cfg = parseCfg(readFileSync(join(SHARE, 'cfg', 'yolov3.cfg'), 'utf8'));
for (const [k, v] of [['width', 416], ['height', 416], ['batch', 1], ['subdivisions', 1]]) setOption(cfg.sections[0], k, v);
const cfgPath = join(CACHE, 'yolov3-416-nms.cfg');
writeFileSync(cfgPath, serializeCfg(cfg));
const shape = validateCfg(cfg);
const weights = join(CACHE, 'yolov3-nogain.weights');
if (!existsSync(weights) || statSync(weights).size !== 20 + 4 * shape.weightFloats) await writeRandomWeights(shape, weights, { seed: 1 });

const { data, info } = await sharp(join(SHARE, 'data', 'dog.jpg')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
const frame = { data, width: info.width, height: info.height, channels: 3 };
const detector = await Detector.load({ cfg: cfgPath, weights, threads: 2 });
try {
  const withNms = [], without = [];
  let candidates = 0, kept = 0;
  for (let r = 0; r < ROUNDS; r++) {
    let t = performance.now();
    kept = (await detector.detect(frame, { nms: 0.45 })).length;
    withNms.push(performance.now() - t);
    t = performance.now();
    candidates = (await detector.detect(frame, { nms: 0 })).length;
    without.push(performance.now() - t);
  }
  const a = median(withNms), b = median(without);
  console.log(`yolov3-416, random weights, dog.jpg: ${candidates} boxes above thresh before NMS, ${kept} after`);
  console.log(`detect() with nms .45: ${a.toFixed(1)} ms; with nms 0: ${b.toFixed(1)} ms; NMS adds ${(a - b).toFixed(1)} ms = ${((a - b) / b * 100).toFixed(1)} % (median of ${ROUNDS})`);
} finally {
  detector.dispose();
}
