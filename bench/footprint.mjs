#!/usr/bin/env node
// Footprint table (npm run bench:footprint): load time with a cold and a warm file cache, and
// peak RSS after load and after the first detect, for yolov3-tiny, yolov3-416 and yolov3-608:
// this addon (lean default and `training: true`) beside the stock Debian libdarknet.so, each
// measurement in a fresh process, all in one run. Random-init weights of the real size.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { CACHE, prepareModel, ROOT } from './models.mjs';

mkdirSync(CACHE, { recursive: true });

const MODELS = [
  { name: 'yolov3-tiny-416', base: 'yolov3-tiny', size: 416, gain: 16 },
  { name: 'yolov3-416', base: 'yolov3', size: 416, gain: 2 },
  { name: 'yolov3-608', base: 'yolov3', size: 608, gain: 2 },
];
const RUNS = Number(process.env.RUNS ?? 3);

const prepare = prepareModel;

function stockBinary() {
  const bin = join(CACHE, 'stock-footprint');
  const src = join(ROOT, 'bench', 'stock-footprint.c');
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    execFileSync('cc', ['-O2', '-o', bin, src, '-I/usr/lib/darknet/include', '-L/usr/lib/darknet', '-ldarknet', '-Wl,-rpath,/usr/lib/darknet']);
  }
  return bin;
}

// Drops the file from the page cache (GNU dd: iflag=nocache with count=0), no root needed.
const dropCache = (file) => execFileSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);

function measure(impl, cfg, weights, cold) {
  if (cold) dropCache(weights);
  const out = impl === 'stock'
    ? execFileSync(stockBinary(), [cfg, weights], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    : execFileSync(process.execPath, [join(ROOT, 'bench', 'footprint-child.mjs'), cfg, weights, impl === 'addon (training)' ? 'training' : ''], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop());
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const m of MODELS) {
  const { cfgPath, weights } = await prepare(m);
  for (const impl of ['stock', 'addon', 'addon (training)']) {
    const cold = measure(impl, cfgPath, weights, true);
    const warm = Array.from({ length: RUNS }, () => measure(impl, cfgPath, weights, false));
    rows.push({
      model: m.name, impl, coldLoad: cold.load, warmLoad: median(warm.map((w) => w.load)),
      rssLoad: median(warm.map((w) => w.rssLoadMB)), rssDetect: median(warm.map((w) => w.rssDetectMB)),
      memory: warm[0].memory,
    });
    process.stderr.write('.');
  }
}
process.stderr.write('\n');
const cpu = cpus()[0]?.model ?? 'unknown';
console.log(`Footprint, ${cpus().length} cores (${cpu}); load = parse + weights, RSS = process peak (VmHWM), median of ${RUNS} warm runs`);
console.log('| model | implementation | load, cold cache (s) | load, warm (s) | peak RSS after load (MB) | peak RSS after 1st detect (MB) | vs stock (load, RSS) |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  const stock = rows.find((s) => s.model === r.model && s.impl === 'stock');
  const vs = r.impl === 'stock' ? '' : `${(r.warmLoad / stock.warmLoad).toFixed(2)}×, ${(r.rssDetect / stock.rssDetect).toFixed(2)}×`;
  console.log(`| ${r.model} | ${r.impl} | ${r.coldLoad.toFixed(3)} | ${r.warmLoad.toFixed(3)} | ${r.rssLoad.toFixed(0)} | ${r.rssDetect.toFixed(0)} | ${vs} |`);
}
for (const r of rows.filter((x) => x.memory)) {
  const mb = (v) => (v / 2 ** 20).toFixed(0);
  console.log(`memory() ${r.model} ${r.impl}: weights ${mb(r.memory.weights)} MB, activations ${mb(r.memory.activations)} MB, workspace ${mb(r.memory.workspace)} MB, training ${mb(r.memory.training)} MB`);
}
