// One measurement in a fresh process (peak RSS is per process): load, then one detect.
// usage: node bench/footprint-child.mjs cfg weights [training]  → one JSON line.
import { readFileSync } from 'node:fs';
import { Detector } from '../dist/index.js';

const hwmMB = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const [cfg, weights, mode] = process.argv.slice(2);
const raw = { data: new Uint8Array(768 * 576 * 3).fill(102), width: 768, height: 576, channels: 3 };
const base = hwmMB();
let t = performance.now();
const det = await Detector.load({ cfg, weights, training: mode === 'training' });
const load = (performance.now() - t) / 1000;
const rssLoadMB = hwmMB();
t = performance.now();
await det.detect(raw);
const detect = (performance.now() - t) / 1000;
console.log(JSON.stringify({ load, detect, rssLoadMB, rssDetectMB: hwmMB(), baseMB: base, memory: det.memory() }));
