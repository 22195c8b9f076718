#!/usr/bin/env node
// The GPU check a machine with a CUDA device runs in one call (npm run check:gpu): the checks
// that need a device, then the GPU speed rows, as one table (and check-gpu.json under --out).
//   1. devices and libraries as capabilities() reports them
//   2. parity: yolov3-416 and yolov3-tiny-416 (random-init weights of the real size) on the four
//      sample images, GPU against the CPU's reference numerics: same detections, probabilities
//      and boxes within 1e-3
//   3. batch against single on the GPU (detectBatch of 4 = four detect calls)
//   4. device selection: 'gpu' is device 0, an index past the last device is NO_GPU
//   5. disposal frees device memory: 10 load/dispose cycles of yolov3 leave nvidia-smi's
//      memory.used where it was (± 64 MiB)
//   6. speed: batch-1 end-to-end detect latency and batch-32 detectBatch throughput, both models
// Without a GPU build it builds one first (DARKNET_GPU=ON, for the device's architecture).
// Options: --cfg-dir (yolov3.cfg, yolov3-tiny.cfg; default /usr/share/darknet/cfg), --images
// (<name>.rgb files as test/helpers/fixtures.ts writes them; default test/.cache), --out <dir>.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({ options: { 'cfg-dir': { type: 'string' }, images: { type: 'string' }, out: { type: 'string' } } });
const cfgDir = opt['cfg-dir'] ?? '/usr/share/darknet/cfg';
const imageDir = opt.images ?? join(ROOT, 'test', '.cache');
const out = opt.out ?? join(ROOT, 'bench', 'results');
const work = join(ROOT, 'bench', '.cache', 'gpu-check');
mkdirSync(work, { recursive: true });
mkdirSync(out, { recursive: true });

const smi = (query) => {
  try {
    return execFileSync('nvidia-smi', [`--query-gpu=${query}`, '--format=csv,noheader,nounits', '-i', '0'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
};

if (!existsSync(join(ROOT, 'build', 'Release', 'darknet_gpu.node'))) {
  const cc = smi('compute_cap')?.replace('.', '') ?? '90';
  console.log(`check:gpu: no GPU build yet; building one for sm_${cc}`);
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--force'], { stdio: 'inherit', env: { ...process.env, DARKNET_GPU: 'ON', DARKNET_CUDA_ARCHS: cc } });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
if (!existsSync(join(ROOT, 'dist', 'index.js'))) spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
const m = await import(join(ROOT, 'dist', 'index.js'));

const rows = [];
let failures = 0;
const check = (name, ok, detail = '') => {
  rows.push({ check: name, ok, detail });
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'}  ${name}${detail ? `: ${detail}` : ''}`);
};

const caps = m.capabilities();
check('a CUDA device is visible', caps.cuda && caps.devices.length > 0,
  caps.devices.map((d) => `${d.name}, ${(d.memory / 2 ** 30).toFixed(0)} GiB, sm_${d.computeCapability}`).join('; ') + `; cuDNN ${caps.cudnnVersion ?? 'not compiled in'}` + (caps.gpuError ? `; ${caps.gpuError}` : ''));
if (!caps.devices.length) {
  writeFileSync(join(out, 'check-gpu.json'), JSON.stringify({ rows, caps }, null, 2));
  process.exit(1);
}

/** yolov3 at batch 32: Darknet allocates ~25 GiB of host buffers before lean mode frees most */
const MAX_BYTES = 2 ** 36;

async function model(base, batch) {
  const cfg = m.parseCfg(readFileSync(join(cfgDir, `${base}.cfg`), 'utf8'));
  for (const [k, v] of [['width', 416], ['height', 416], ['batch', batch], ['subdivisions', 1]]) m.setOption(cfg.sections[0], k, v);
  const path = join(work, `${base}-416-b${batch}.cfg`);
  writeFileSync(path, m.serializeCfg(cfg));
  const weights = join(work, `${base}.weights`);
  const shape = m.validateCfg(cfg, { maxBytes: MAX_BYTES });
  // the test fixtures' weights (seed and head gain as test/helpers/fixtures.ts)
  if (!existsSync(weights) || statSync(weights).size !== 20 + 4 * shape.weightFloats) {
    await m.writeRandomWeights(shape, weights, base === 'yolov3' ? { seed: 1, headGain: 2 } : { seed: 2, headGain: 16 });
  }
  return { cfg: path, weights, maxBytes: MAX_BYTES };
}

function raw(name) {
  const buf = readFileSync(join(imageDir, `${name}.rgb`));
  const nl = buf.indexOf(10);
  const [width, height] = buf.subarray(0, nl).toString().split(' ').map(Number);
  return { data: new Uint8Array(buf.subarray(nl + 1)), width, height, channels: 3 };
}
const IMAGES = ['dog', 'eagle', 'giraffe', 'horses'].map(raw);

function compare(a, b) {
  if (a.length !== b.length) return { ok: false, worst: Infinity, detail: `${a.length} vs ${b.length} detections` };
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i].classId !== b[i].classId) return { ok: false, worst: Infinity, detail: `detection ${i}: class ${a[i].classId} vs ${b[i].classId}` };
    worst = Math.max(worst, Math.abs(a[i].confidence - b[i].confidence), ...['cx', 'cy', 'w', 'h'].map((k) => Math.abs(a[i].relative[k] - b[i].relative[k])));
  }
  return { ok: worst <= 1e-3, worst, detail: `${a.length} detections, largest difference ${worst.toExponential(2)}` };
}

const figures = {};
for (const base of ['yolov3', 'yolov3-tiny']) {
  try {
    await checkModel(base);
  } catch (e) {
    check(`${base}-416`, false, `${e.code ?? ''} ${e.message}`);
  }
}

async function checkModel(base) {
  const one = await model(base, 1);
  const cpu = await m.Detector.load({ ...one, numerics: 'reference' });
  const gpu = await m.Detector.load({ ...one, device: 'gpu' });
  let worst = 0;
  let detail = [];
  let ok = true;
  for (const [i, im] of IMAGES.entries()) {
    const c = compare(await gpu.detect(im), await cpu.detect(im));
    ok &&= c.ok;
    worst = Math.max(worst, c.worst);
    detail.push(`${['dog', 'eagle', 'giraffe', 'horses'][i]} ${c.detail}`);
  }
  check(`${base}-416: GPU = CPU reference within 1e-3`, ok, detail.join('; '));
  figures[base] = { parityWorst: worst };
  cpu.dispose();

  // batch-1 end-to-end latency (decode excluded: raw frames; letterbox, network, boxes, NMS)
  for (let i = 0; i < 5; i++) await gpu.detect(IMAGES[0]);
  const lat = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    await gpu.detect(IMAGES[i % 4]);
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  figures[base].latencyMs = lat[15];
  const singles = [];
  for (const im of IMAGES) singles.push(await gpu.detect(im));
  gpu.dispose();

  const four = await model(base, 4);
  const b4 = await m.Detector.load({ ...four, batch: 4, device: 'gpu' });
  const batched = await b4.detectBatch(IMAGES);
  const bc = batched.map((d, i) => compare(d, singles[i]));
  check(`${base}-416: detectBatch of 4 = four detect calls`, bc.every((c) => c.ok), bc.map((c) => c.detail).join('; '));
  b4.dispose();

  const b32 = await model(base, 32);
  const big = await m.Detector.load({ ...b32, batch: 32, device: 'gpu' });
  const frames = Array.from({ length: 32 }, (_, i) => IMAGES[i % 4]);
  await big.detectBatch(frames);
  const t = performance.now();
  const reps = 5;
  for (let i = 0; i < reps; i++) await big.detectBatch(frames);
  figures[base].batch32ImagesPerS = (32 * reps * 1000) / (performance.now() - t);
  big.dispose();
}

const one = await model('yolov3', 1);
const zero = await m.Detector.load({ ...one, device: 0 });
zero.dispose();
let refused = '';
try {
  (await m.Detector.load({ ...one, device: caps.devices.length })).dispose();
} catch (e) {
  refused = e.code;
}
check(`device selection: 0 loads, ${caps.devices.length} is NO_GPU`, refused === 'NO_GPU', refused || 'it loaded');

const used = () => Number(smi('memory.used'));
if (Number.isFinite(used())) {
  const d0 = await m.Detector.load({ ...one, device: 'gpu' }); // CUDA context and handles exist from here on
  d0.dispose();
  const before = used();
  for (let i = 0; i < 10; i++) {
    const d = await m.Detector.load({ ...one, device: 'gpu' });
    await d.detect(IMAGES[0]);
    d.dispose();
  }
  const after = used();
  check('10 yolov3 load/detect/dispose cycles free their device memory', after - before <= 64, `memory.used ${before} → ${after} MiB`);
} else {
  check('device memory after disposal (nvidia-smi)', true, 'not measured: nvidia-smi not available');
}

const table = [
  '| model | GPU vs CPU reference (largest difference) | batch-1 detect, ms (median of 30) | batch-32 detectBatch, images/s |',
  '|---|---|---|---|',
  ...Object.entries(figures).map(([k, f]) => `| ${k}-416 | ${f.parityWorst?.toExponential(2)} | ${f.latencyMs?.toFixed(2)} | ${f.batch32ImagesPerS?.toFixed(0)} |`),
];
console.log(`\n${caps.devices[0].name}, cuDNN ${caps.cudnnVersion ?? 'off'}, driver ${smi('driver_version') ?? '?'}\n${table.join('\n')}`);
writeFileSync(join(out, 'check-gpu.json'), JSON.stringify({ rows, figures, caps, table }, null, 2));
console.log(failures ? `\ncheck:gpu: ${failures} check(s) failed` : '\ncheck:gpu: all checks passed');
process.exit(failures ? 1 : 0);
