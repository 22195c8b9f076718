#!/usr/bin/env node
// JPEG decoding (npm run bench:decode): what turning a photo into RGB pixels costs on the way
// into detect(), by the addon's libjpeg-turbo path (native/image/jpeg.c), by sharp (what every other
// format takes), and by OpenCV's imread when python3-opencv is installed (the peer the speed
// issue names). Median of ROUNDS (default 30) per image, interleaved.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { capabilities } from '../dist/index.js';
import { toPixels } from '../dist/input.js';
import { SHARE } from './models.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 30);
const IMAGES = ['dog', 'horses', 'person', 'kite'].map((n) => join(SHARE, 'data', `${n}.jpg`));
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };

sharp.concurrency(1); // one image at a time, as a detect does
const viaSharp = (bytes) => sharp(bytes, { failOn: 'error' }).toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer();

function openCv(file) {
  const code = `import cv2, time, statistics as s\nt=[]\nfor _ in range(${ROUNDS}):\n  a=time.perf_counter(); cv2.imread(${JSON.stringify(file)}); t.append(time.perf_counter()-a)\nprint(s.median(t)*1000)`;
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : NaN;
}

console.log(`native JPEG decoder: ${capabilities().jpeg ?? 'none (every image goes through sharp)'}; sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}`);
console.log('| image | size | toPixels (file) | sharp | OpenCV imread |');
console.log('|---|---|---|---|---|');
for (const file of IMAGES) {
  const bytes = readFileSync(file);
  const native = [], viaS = [];
  let size = '';
  for (let r = 0; r < ROUNDS; r++) {
    let t = performance.now();
    const p = await toPixels(file);
    native.push(performance.now() - t);
    size = `${p.width}×${p.height}`;
    t = performance.now();
    await viaSharp(bytes);
    viaS.push(performance.now() - t);
  }
  const cv = openCv(file);
  console.log(`| ${file.split('/').pop()} | ${size} | ${median(native).toFixed(2)} ms | ${median(viaS).toFixed(2)} ms | ${Number.isFinite(cv) ? `${cv.toFixed(2)} ms` : '– (no python3-opencv)'} |`);
}
