// One measurement in a fresh process (peak RSS is per process): load, then one detect.
// usage: node bench/footprint-child.mjs cfg weights [mode]  → one JSON line.
//   mode '' (default numerics), 'reference', 'training', 'pool' (a DetectorPool of 2, one detect
//   on each copy), 'hold' (prints its line, then keeps the network until stdin closes: the parent
//   reads /proc/<pid>/smaps_rollup meanwhile).
// The compiled-weights cache follows $DARKNET_NODE_WEIGHTS_CACHE (a directory, or 'off').
import { readFileSync } from 'node:fs';

// The package's import loads the addon and starts loading oneDNN (lib/preload.ts): timed apart
// from the load, which is then the model's own cost.
const t0 = performance.now();
const { Detector, DetectorPool } = await import('../dist/index.js');
const importS = (performance.now() - t0) / 1000;

const hwmMB = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const [cfg, weights, mode = ''] = process.argv.slice(2);
const raw = { data: new Uint8Array(768 * 576 * 3).fill(102), width: 768, height: 576, channels: 3 };
const base = hwmMB();
let t = performance.now();
const opts = { cfg, weights, training: mode === 'training', ...(mode === 'reference' ? { numerics: 'reference' } : {}) };
const det = mode === 'pool' ? await DetectorPool.load({ ...opts, instances: 2 }) : await Detector.load(opts);
const load = (performance.now() - t) / 1000;
const rssLoadMB = hwmMB();
t = performance.now();
if (mode === 'pool') await Promise.all([det.detect(raw), det.detect(raw)]);
else await det.detect(raw);
const detect = (performance.now() - t) / 1000;
const report = mode === 'pool' ? undefined : det.loadReport();
const memory = mode === 'pool' ? undefined : det.memory();
console.log(JSON.stringify({ importS, load, detect, rssLoadMB, rssDetectMB: hwmMB(), baseMB: base, memory, report }));
if (mode === 'hold') {
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.once('end', resolve));
}
det.dispose();
