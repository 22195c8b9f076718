#!/usr/bin/env node
// GPU rows (npm run bench:gpu): yolov3-416 batch-1 latency (network only, and end-to-end detect)
// and throughput at batch 1/8/32 on CUDA device 0. Needs a CUDA build (DARKNET_GPU=ON).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { capabilities, Detector, parseCfg, serializeCfg, setOption, validateCfg, writeRandomWeights } from '../dist/index.js';

const caps = capabilities();
if (!caps.cuda || !caps.devices.length) {
  console.log(`no GPU rows: ${caps.cuda ? 'no CUDA device visible' : 'this build has no CUDA (rebuild with DARKNET_GPU=ON)'}`);
  process.exit(0);
}
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = join(ROOT, 'bench', '.cache');
mkdirSync(CACHE, { recursive: true });
let smi = caps.devices[0].name;
try { smi = execFileSync('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], { encoding: 'utf8' }).trim(); } catch {}
console.log(`device: ${smi}; cuDNN ${caps.cudnnVersion ?? 'not compiled in'}`);

const cfgText = readFileSync('/usr/share/darknet/cfg/yolov3.cfg', 'utf8');
async function model(batch) {
  const cfg = parseCfg(cfgText);
  for (const [k, v] of [['width', 416], ['height', 416], ['batch', batch], ['subdivisions', 1]]) setOption(cfg.sections[0], k, v);
  const path = join(CACHE, `yolov3-416-b${batch}.cfg`);
  writeFileSync(path, serializeCfg(cfg));
  const weights = join(CACHE, 'yolov3.weights');
  const shape = validateCfg(cfg);
  if (!existsSync(weights) || statSync(weights).size !== 20 + 4 * shape.weightFloats) await writeRandomWeights(shape, weights, { seed: 1, headGain: 2 });
  return { cfg: path, weights };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = async (fn, n) => { const ts = []; for (let i = 0; i < n; i++) { const t = performance.now(); await fn(); ts.push(performance.now() - t); } return median(ts); };

const raw = { data: new Uint8Array(768 * 576 * 3).fill(100), width: 768, height: 576, channels: 3 };
for (const batch of [1, 8, 32]) {
  const m = await model(batch);
  const det = await Detector.load({ cfg: m.cfg, weights: m.weights, batch, device: 'gpu' });
  const input = new Float32Array(batch * 416 * 416 * 3).fill(0.5);
  for (let i = 0; i < 5; i++) await det.forward(input);
  const net = await time(() => det.forward(input), 30);
  let e2e = '';
  if (batch === 1) e2e = `, end-to-end detect ${(await time(() => det.detect(raw), 30)).toFixed(2)} ms`;
  console.log(`yolov3-416 batch ${batch}: network ${net.toFixed(2)} ms (${(net / batch).toFixed(2)} ms/image, ${(1000 * batch / net).toFixed(0)} images/s)${e2e}`);
  det.dispose();
}
