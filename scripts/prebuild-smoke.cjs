// Loads a prebuilt darknet.node by path and detects on the bundled shapes model, through the raw
// native API only: it runs on any Node with Node-API 8 (Debian 11's arm64 Node 12 under qemu-user
// as well as Node 20), with no dependencies, so that a prebuild is checked where it will run.
//   node prebuild-smoke.cjs <addon.node> <shapes.cfg> <shapes.weights> <sample.rgb> <width> <height> <sample.txt>
// sample.rgb: the sample's 8-bit RGB pixels; sample.txt: its truth (class cx cy w h per line).
// Prints one JSON line; exits 1 unless every true object is found (same class, IoU ≥ 0.5).
'use strict';
const fs = require('fs');

const [addonPath, cfg, weights, rgb, w, h, truthPath] = process.argv.slice(2);
const addon = require(addonPath);
const width = Number(w);
const height = Number(h);
const iou = (a, b) => {
  const ix = Math.max(0, Math.min(a[0] + a[2] / 2, b[0] + b[2] / 2) - Math.max(a[0] - a[2] / 2, b[0] - b[2] / 2));
  const iy = Math.max(0, Math.min(a[1] + a[3] / 2, b[1] + b[3] / 2) - Math.max(a[1] - a[3] / 2, b[1] - b[3] / 2));
  return (ix * iy) / (a[2] * a[3] + b[2] * b[3] - ix * iy);
};

(async () => {
  const net = new addon.Network();
  await net.load(cfg, weights, {});
  const data = new Uint8Array(fs.readFileSync(rgb));
  const [boxes] = await net.detect([{ data, width, height, channels: 3 }], true, 0.25, 0.5, 0.45);
  const found = [];
  const k = 5 + boxes.classes;
  for (let i = 0; i < boxes.count; i++) {
    const row = boxes.data.subarray(i * k, (i + 1) * k);
    for (let c = 0; c < boxes.classes; c++) if (row[5 + c] > 0) found.push({ cls: c, box: Array.from(row.subarray(0, 4)), p: row[5 + c] });
  }
  net.dispose();
  const truth = fs.readFileSync(truthPath, 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const matched = truth.filter((t) => found.some((d) => d.cls === t[0] && iou(d.box, t.slice(1)) >= 0.5)).length;
  const caps = addon.capabilities();
  console.log(JSON.stringify({
    node: process.version, napi: process.versions.napi, arch: process.arch, blas: caps.blas,
    detections: found.length, truth: truth.length, matched,
    found: found.map((d) => [d.cls, Number(d.p.toFixed(4))].concat(d.box.map((v) => Number(v.toFixed(4))))),
  }));
  process.exitCode = matched === truth.length ? 0 : 1;
})().catch((e) => { console.error(e && e.stack || e); process.exitCode = 1; });
