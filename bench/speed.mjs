#!/usr/bin/env node
// Speed table (npm run bench): network time and end-to-end detect time of this addon beside its
// peers on the same machine, in one run: the stock Debian `darknet` CLI, OpenCV's DNN module
// (python3-opencv) reading the same cfg and weights, and onnxruntime-node on the same network
// exported to ONNX by bench/peers/darknet-to-onnx.mjs (onnxruntime-node is a devDependency; its
// install script, which would download GPU binaries, stays blocked by npm 11 — the CPU binary
// ships inside the package; if you allow scripts, pass --onnxruntime-node-install=skip). Then
// throughput: single calls, batch 4 and
// 8, and a DetectorPool, over one image set. Random-init weights of the real size.
//
// This machine's speed drifts by 20-30% over minutes (shared cores), so the addon's and
// OpenCV's runs are interleaved round by round and each reports its median over all rounds.
//
// env: ROUNDS (default 5), MODELS (comma list of names below), STOCK=0 skips the stock CLI,
//      OPENCV=0 / ONNX=0 skip those peers,
//      THROUGHPUT=0 skips the throughput table, REFERENCE=0 skips reference-mode timings.
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  capabilities, Detector, DetectorPool,
} from '../dist/index.js';
import { CACHE, prepareModel, ROOT, SHARE } from './models.mjs';

const IMAGE = join(SHARE, 'data', 'dog.jpg');
mkdirSync(CACHE, { recursive: true });

const ALL = [
  { name: 'yolov3-tiny-416', base: 'yolov3-tiny', size: 416, gain: 16, runs: 10, stockRuns: 3 },
  { name: 'yolov3-320', base: 'yolov3', size: 320, gain: 2, runs: 3, stockRuns: 1 },
  { name: 'yolov3-416', base: 'yolov3', size: 416, gain: 2, runs: 3, stockRuns: 2 },
  { name: 'yolov3-608', base: 'yolov3', size: 608, gain: 2, runs: 2, stockRuns: 1 },
];
const pick = process.env.MODELS?.split(',').map((s) => s.trim());
const MODELS = pick ? ALL.filter((m) => pick.includes(m.name)) : ALL;
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const flag = (k) => process.env[k] !== '0';

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length ? s[s.length >> 1] : NaN; };
const ms = (s) => (Number.isFinite(s) ? `${(s * 1000).toFixed(s < 0.1 ? 1 : 0)} ms` : '–');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) ? `${(a / b).toFixed(2)}×` : '–');

const prepare = prepareModel;

/** The measured single-precision FMA peak on all cores (bench/fma-peak.c), per vector width. */
function fmaPeak(flags) {
  const src = join(ROOT, 'bench', 'fma-peak.c');
  const out = {};
  for (const [isa, cflags, need] of [['AVX-512', ['-mavx512f'], 'avx512f'], ['AVX2', ['-mavx2', '-mfma'], 'fma']]) {
    if (!flags.includes(need)) continue;
    const bin = join(CACHE, `fma-peak-${need}`);
    try {
      if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) execFileSync('cc', ['-O2', '-fopenmp', ...cflags, '-o', bin, src]);
      out[isa] = Number(execFileSync(bin).toString().trim());
    } catch {
      // no C compiler: the table goes without the peak
    }
  }
  return out;
}

const CPU_FLAGS = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1].trim().split(/\s+/) ?? [];
const PEAK = fmaPeak(CPU_FLAGS);
const BEST_PEAK = PEAK['AVX-512'] ?? PEAK.AVX2 ?? NaN;

function machine() {
  const flags = CPU_FLAGS;
  const simd = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512_vnni', 'avx512_bf16'].filter((f) => flags.includes(f));
  const caps = capabilities();
  const peak = Object.entries(PEAK).map(([isa, g]) => `${isa} ${g} GFLOP/s`).join(', ');
  const env = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'].map((k) => `${k}=${process.env[k] ?? '(unset)'}`).join(' ');
  return `${availableParallelism()} cores, ${cpus()[0]?.model ?? 'unknown CPU'}; SIMD: ${simd.join(' ')}; measured FMA peak on ${availableParallelism()} threads (bench/fma-peak.c): ${peak || 'not measured (no C compiler)'}; convolutions: ${caps.dnnl ?? 'own kernels'}; BLAS: ${caps.blas ?? 'none (Darknet gemm)'}; ${env}; OpenMP: ${caps.openmp}`;
}

/** A persistent OpenCV process (bench/peers/opencv_dnn.py) answering "run N" requests. */
async function openCvPeer(cfgPath, weights, size) {
  const child = spawn('/usr/bin/python3', [join(ROOT, 'bench', 'peers', 'opencv_dnn.py'), cfgPath, weights, IMAGE, String(size)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    if (r.done) throw new Error('the OpenCV peer exited (is python3-opencv installed?)');
    return JSON.parse(r.value);
  };
  const hello = await next();
  return {
    version: hello.version,
    threads: hello.threads,
    async run(n) { child.stdin.write(`${n}\n`); return (await next()).times; },
    close() { child.stdin.end(); child.kill(); },
  };
}

/** onnxruntime-node on the ONNX export of the same cfg/weights, or null when not installed. */
async function onnxPeer(m, cfgPath, weights, width, height) {
  let ort;
  try {
    ort = createRequire(import.meta.url)('onnxruntime-node');
  } catch {
    return null;
  }
  const onnx = join(CACHE, `${m.name}.onnx`);
  if (!existsSync(onnx) || statSync(onnx).mtimeMs < statSync(weights).mtimeMs || statSync(onnx).mtimeMs < statSync(cfgPath).mtimeMs) {
    execFileSync(process.execPath, [join(ROOT, 'bench', 'peers', 'darknet-to-onnx.mjs'), cfgPath, weights, onnx], { stdio: 'ignore' });
  }
  const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: availableParallelism(), graphOptimizationLevel: 'all' });
  const input = new Float32Array(3 * width * height).fill(0.5);
  const feeds = () => ({ input: new ort.Tensor('float32', input, [1, 3, height, width]) });
  await session.run(feeds());
  const version = createRequire(import.meta.url)('onnxruntime-node/package.json').version;
  return { version, run: (n) => timeIt(() => session.run(feeds()), n), close: () => session.release() };
}

/** `darknet detector test` prints "Predicted in X seconds." around network_predict. */
function stockCli(cfgPath, weights, runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync('darknet', ['detector', 'test', join(SHARE, 'cfg', 'coco.data'), cfgPath, weights, IMAGE, '-out', join(CACHE, 'stock-pred')], {
      env: { ...process.env, QT_QPA_PLATFORM: 'offscreen' }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20,
    }).toString();
    const m = out.match(/Predicted in ([\d.]+) seconds/);
    if (m) times.push(Number(m[1]));
  }
  return median(times);
}

async function timeIt(fn, n) {
  const t = [];
  for (let i = 0; i < n; i++) { const t0 = performance.now(); await fn(); t.push((performance.now() - t0) / 1000); }
  return t;
}

async function speedRow(m) {
  const { cfgPath, weights, bflops } = await prepare(m);
  const jpeg = readFileSync(IMAGE);
  const fast = await Detector.load({ cfg: cfgPath, weights });
  const input = new Float32Array(fast.width * fast.height * 3).fill(0.5);
  const cv = flag('OPENCV') ? await openCvPeer(cfgPath, weights, m.size) : null;
  const ort = flag('ONNX') ? await onnxPeer(m, cfgPath, weights, fast.width, fast.height) : null;
  await fast.forward(input); // warm-up (first-touch page faults, OpenMP team start)
  await fast.detect(jpeg);
  const net = [], e2e = [], cvt = [], ortt = [];
  // Thread pools spin for a while after their work (OpenMP's, onnxruntime's, OpenCV's): a pause
  // between one implementation's runs and the next keeps them from slowing each other down.
  const settle = () => new Promise((r) => setTimeout(r, 200));
  for (let r = 0; r < ROUNDS; r++) {
    net.push(...(await timeIt(() => fast.forward(input), m.runs)));
    e2e.push(...(await timeIt(() => fast.detect(jpeg), Math.max(1, m.runs >> 1))));
    await settle();
    if (cv) { cvt.push(...(await cv.run(m.runs))); await settle(); }
    if (ort) { ortt.push(...(await ort.run(m.runs))); await settle(); }
  }
  await ort?.close();
  fast.dispose();
  cv?.close();
  let ref = NaN;
  if (flag('REFERENCE')) {
    const slow = await Detector.load({ cfg: cfgPath, weights, numerics: 'reference' });
    await slow.forward(input);
    ref = median(await timeIt(() => slow.forward(input), m.name.includes('tiny') ? 3 : 1));
    slow.dispose();
  }
  const stock = flag('STOCK') ? stockCli(cfgPath, weights, m.stockRuns) : NaN;
  return { name: m.name, bflops, net: median(net), e2e: median(e2e), ref, cv: median(cvt), ort: median(ortt), ortVersion: ort?.version, stock, cvVersion: cv?.version, cvThreads: cv?.threads };
}

async function throughput(m, images, configs) {
  const { cfgPath, weights } = await prepare(m);
  const rows = [];
  for (const c of configs) {
    const runner = c.instances
      ? await DetectorPool.load({ cfg: cfgPath, weights, batch: c.batch, instances: c.instances })
      : await Detector.load({ cfg: cfgPath, weights, batch: c.batch });
    await runner.detectBatch(images.slice(0, c.batch * (c.instances ?? 1)));
    const t = [];
    for (let r = 0; r < 2; r++) {
      const t0 = performance.now();
      if (c.batch > 1 || c.instances) await runner.detectBatch(images);
      else for (const im of images) await runner.detect(im);
      t.push((performance.now() - t0) / 1000);
    }
    runner.dispose();
    rows.push({ label: c.label, ips: images.length / Math.min(...t) });
  }
  return rows;
}

console.log(`# darknet-node speed — ${new Date().toISOString()}\n\n${machine()}\n`);
const rows = [];
for (const m of MODELS) {
  process.stderr.write(`timing ${m.name}…\n`);
  rows.push(await speedRow(m));
}
const cvInfo = rows.find((r) => r.cvVersion);
const ortInfo = rows.find((r) => r.ortVersion);
console.log(`Network time = one forward pass (forward() on a width×height×3 input), warm, median of ${ROUNDS} interleaved rounds; end-to-end = detect() on dog.jpg (JPEG decode, letterbox, pass, boxes, NMS).` +
  (cvInfo ? ` OpenCV ${cvInfo.cvVersion} DNN (${cvInfo.cvThreads} threads, CPU backend) forward on the same cfg/weights.` : '') +
  (ortInfo ? ` onnxruntime-node ${ortInfo.ortVersion} (${availableParallelism()} intra-op threads, all graph optimizations) run on the same network exported to ONNX (batch-norm folded, yolo heads as Sigmoid).` : ' onnxruntime-node: missing (a devDependency: run npm install).') +
  ' Stock = Debian `darknet detector test` "Predicted in".\n');
console.log('| model | BFLOPs | addon network | addon GFLOP/s (of peak) | addon end-to-end | end-to-end / network | addon reference mode | OpenCV DNN | onnxruntime-node | onnxruntime GFLOP/s | stock darknet CLI | addon / OpenCV | addon / onnxruntime | addon / stock |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
const gflops = (r, t) => (Number.isFinite(t) ? `${(r.bflops / t).toFixed(0)}${Number.isFinite(BEST_PEAK) ? ` (${((100 * r.bflops) / t / BEST_PEAK).toFixed(0)} %)` : ''}` : '–');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.bflops.toFixed(2)} | ${ms(r.net)} | ${gflops(r, r.net)} | ${ms(r.e2e)} | ${ratio(r.e2e, r.net)} | ${ms(r.ref)} | ${ms(r.cv)} | ${ms(r.ort)} | ${gflops(r, r.ort)} | ${ms(r.stock)} | ${ratio(r.net, r.cv)} | **${ratio(r.net, r.ort)}** | ${ratio(r.net, r.stock)} |`);
}
console.log('');
// issue 14's goals, stated beside the figures they are about
const goal = (what, q, limit) => Number.isFinite(q) && console.log(`${what} ${q.toFixed(2)}× (goal ≤ ${limit.toFixed(2)}: ${q <= limit ? 'met' : 'NOT met'})`);
for (const [name, ortGoal, e2eGoal] of [['yolov3-416', 0.75, 1.1], ['yolov3-tiny-416', 0.9, 1.25]]) {
  const r = rows.find((x) => x.name === name);
  if (!r) continue;
  goal(`${name}: network time / onnxruntime-node's`, r.net / r.ort, ortGoal);
  goal(`${name}: end-to-end / network time`, r.e2e / r.net, e2eGoal);
  goal(`${name}: network time / OpenCV's`, r.net / r.cv, 0.8);
}

if (flag('THROUGHPUT')) {
  const names = ['dog', 'eagle', 'giraffe', 'horses', 'kite', 'person', 'scream', 'dog'];
  const set = (n) => Array.from({ length: n }, (_, i) => readFileSync(join(SHARE, 'data', `${names[i % names.length]}.jpg`)));
  const cores = availableParallelism();
  const configs = [
    { label: `single detect(), ${cores} threads`, batch: 1 },
    { label: `detectBatch, batch 4, ${cores} threads`, batch: 4 },
    { label: `detectBatch, batch 8, ${cores} threads`, batch: 8 },
    { label: `DetectorPool, ${cores} instances × 1 thread`, batch: 1, instances: cores },
  ];
  for (const [name, n] of [['yolov3-tiny-416', 32], ['yolov3-416', 8]]) {
    const m = ALL.find((x) => x.name === name);
    if (!MODELS.includes(m)) continue;
    process.stderr.write(`throughput ${name}…\n`);
    const t = await throughput(m, set(n), configs);
    console.log(`\nThroughput, ${name}, ${n} JPEGs end-to-end (decode included), best of 2:\n`);
    console.log('| configuration | images/s |');
    console.log('|---|---|');
    for (const r of t) console.log(`| ${r.label} | ${r.ips.toFixed(2)} |`);
  }
}
