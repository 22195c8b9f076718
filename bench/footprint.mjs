#!/usr/bin/env node
// Footprint table (npm run bench:footprint): load time with a cold and a warm file cache, and
// peak RSS after load and after the first detect, for yolov3-tiny, yolov3-416 and yolov3-608:
// this addon (default numerics without and with the compiled-weights cache, reference numerics,
// `training: true`) beside the stock Debian libdarknet.so, each measurement in a fresh process,
// all in one run; then the load's breakdown, a DetectorPool of 2 against one Detector, and the
// proportional set size of two processes sharing the cache. Random-init weights of the real size.
// The machine may be shared: medians of RUNS (default 3) runs.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { CACHE, prepareModel, ROOT } from './models.mjs';

mkdirSync(CACHE, { recursive: true });

const ALL_MODELS = [
  { name: 'yolov3-tiny-416', base: 'yolov3-tiny', size: 416, gain: 16 },
  { name: 'yolov3-416', base: 'yolov3', size: 416, gain: 2 },
  { name: 'yolov3-608', base: 'yolov3', size: 608, gain: 2 },
];
// MODELS=yolov3-416,yolov3-tiny-416 measures only those
const MODELS = process.env.MODELS ? ALL_MODELS.filter((m) => process.env.MODELS.split(',').includes(m.name)) : ALL_MODELS;
const RUNS = Number(process.env.RUNS ?? 5);

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

// The compiled-weights cache of these runs (never the user's): emptied for each 'cold' run.
const WCACHE = join(CACHE, 'compiled');
const IMPLS = {
  stock: null,
  'addon, no cache': { mode: '', cache: 'off' },
  'addon, cache': { mode: '', cache: WCACHE },
  'addon, reference, cache': { mode: 'reference', cache: WCACHE },
  'addon (training)': { mode: 'training', cache: 'off' },
};

function child(args, cache) {
  const out = execFileSync(process.execPath, [join(ROOT, 'bench', 'footprint-child.mjs'), ...args], { encoding: 'utf8', env: { ...process.env, DARKNET_NODE_WEIGHTS_CACHE: cache } });
  return JSON.parse(out.trim().split('\n').pop());
}

function measure(impl, cfg, weights, cold) {
  if (cold) {
    dropCache(weights);
    rmSync(WCACHE, { recursive: true, force: true }); // cold: the cache is built
  }
  if (impl === 'stock') return JSON.parse(execFileSync(stockBinary(), [cfg, weights], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').pop());
  return child([cfg, weights, IMPLS[impl].mode], IMPLS[impl].cache);
}

/** Rss and Pss (MB) of two processes holding the same network, from /proc/<pid>/smaps_rollup. */
async function sharedPss(cfg, weights) {
  const hold = () => {
    const p = spawn(process.execPath, [join(ROOT, 'bench', 'footprint-child.mjs'), cfg, weights, 'hold'], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, DARKNET_NODE_WEIGHTS_CACHE: WCACHE } });
    const ready = new Promise((resolve) => { let b = ''; p.stdout.on('data', (d) => { b += d; if (b.includes('\n')) resolve(); }); });
    return { p, ready, done: new Promise((resolve) => p.once('exit', resolve)) };
  };
  const hs = [hold(), hold()];
  await Promise.all(hs.map((h) => h.ready));
  const mb = (pid, k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))[1]) / 1024;
  const r = hs.map(({ p }) => ({ rss: mb(p.pid, 'Rss'), pss: mb(p.pid, 'Pss') }));
  hs.forEach(({ p }) => p.stdin.end());
  await Promise.all(hs.map((h) => h.done));
  return r;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const m of MODELS) {
  const { cfgPath, weights } = await prepare(m);
  for (const impl of Object.keys(IMPLS)) {
    const cold = measure(impl, cfgPath, weights, true);
    const warm = Array.from({ length: RUNS }, () => measure(impl, cfgPath, weights, false));
    rows.push({
      model: m.name, impl, coldLoad: cold.load, warmLoad: median(warm.map((w) => w.load)),
      importS: impl === 'stock' ? undefined : median(warm.map((w) => w.importS)),
      rssLoad: median(warm.map((w) => w.rssLoadMB)), rssDetect: median(warm.map((w) => w.rssDetectMB)),
      memory: warm[0].memory, cold: cold.report, warm: warm.map((w) => w.report).filter(Boolean),
    });
    process.stderr.write('.');
  }
}
process.stderr.write('\n');
const cpu = cpus()[0]?.model ?? 'unknown';
console.log(`Footprint, ${cpus().length} cores (${cpu}); load = parse + weights, each in a fresh process after the package's import (which loads the addon and starts oneDNN's; its own column), RSS = process peak (VmHWM), median of ${RUNS} warm runs`);
console.log('| model | implementation | load, cold cache (s) | load, warm (s) | import before it (s) | peak RSS after load (MB) | peak RSS after 1st detect (MB) | vs stock (load, RSS) |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const stock = rows.find((s) => s.model === r.model && s.impl === 'stock');
  const vs = r.impl === 'stock' ? '' : `${(r.warmLoad / stock.warmLoad).toFixed(2)}×, ${(r.rssDetect / stock.rssDetect).toFixed(2)}×`;
  console.log(`| ${r.model} | ${r.impl} | ${r.coldLoad.toFixed(3)} | ${r.warmLoad.toFixed(3)} | ${r.importS === undefined ? '' : r.importS.toFixed(3)} | ${r.rssLoad.toFixed(0)} | ${r.rssDetect.toFixed(0)} | ${vs} |`);
}
const ms = (v) => v.toFixed(0);
console.log('\nLoad breakdown (ms; warm = median of the warm runs): parse (cfg, constructors), allocate (lean: free training state, pool outputs), read (.weights) or map (key + map + verify the cache), transform (fast numerics)');
for (const r of rows.filter((x) => x.cold)) {
  const med = (k) => median(r.warm.map((w) => w[k]));
  const line = (w, tag) => `${tag}: parse ${ms(w.parseMs)}, allocate ${ms(w.leanMs)}, read ${ms(w.readMs)}, map ${ms(w.cacheMs)}, transform ${ms(w.transformMs)} (cache: ${w.cache})`;
  console.log(`${r.model} ${r.impl}: ${line(r.cold, 'cold')}; ${line({ parseMs: med('parseMs'), leanMs: med('leanMs'), readMs: med('readMs'), cacheMs: med('cacheMs'), transformMs: med('transformMs'), cache: r.warm[0].cache }, 'warm')}`);
}
console.log('\nSharing (warm cache, default numerics): a DetectorPool of 2 copies against one Detector (peak RSS through a detect on each copy), and two processes holding the same network');
for (const m of MODELS) {
  const { cfgPath, weights } = await prepare(m);
  child([cfgPath, weights, ''], WCACHE); // warm
  const one = median(Array.from({ length: RUNS }, () => child([cfgPath, weights, ''], WCACHE).rssDetectMB));
  const pool = median(Array.from({ length: RUNS }, () => child([cfgPath, weights, 'pool'], WCACHE).rssDetectMB));
  const [a, b] = await sharedPss(cfgPath, weights);
  console.log(`${m.name}: one ${ms(one)} MB, pool of 2 ${ms(pool)} MB (${(pool / one).toFixed(2)}×); two processes: Rss ${ms(a.rss)} / ${ms(b.rss)} MB, Pss ${ms(a.pss)} / ${ms(b.pss)} MB`);
}
for (const r of rows.filter((x) => x.memory)) {
  const mb = (v) => (v / 2 ** 20).toFixed(0);
  console.log(`memory() ${r.model} ${r.impl}: weights ${mb(r.memory.weights)} MB, activations ${mb(r.memory.activations)} MB, workspace ${mb(r.memory.workspace)} MB, training ${mb(r.memory.training)} MB`);
}
