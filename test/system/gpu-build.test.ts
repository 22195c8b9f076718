/**
 * A GPU build on a machine without a driver (as CI compiles it): darknet_gpu.node loads only
 * when a GPU is asked for, says it sees no device, refuses CPU work, names a missing CUDA
 * library, and — with a stand-in CUDA runtime (test/fixtures/fake-cuda) — loads a GPU network,
 * pushes the weights read from the file to the device, and runs a detection's host code.
 * Skipped (with the reason) where there is no GPU build.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCfg } from '../../lib/cfg/parse.js';
import { validateCfg } from '../../lib/cfg/validate.js';
import { SHAPES_MODEL } from '../../lib/models.js';
import { GPU_BINARY, nativeGpu } from '../../lib/native.js';
import { ROOT } from '../helpers/fixtures.js';
import { run } from '../helpers/proc.js';

const built = existsSync(GPU_BINARY);
const dir = mkdtempSync(join(tmpdir(), 'dn-gpu-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** nvcc's toolkit include folder: the stand-in is compiled against the real cudaDeviceProp. */
function cudaInclude(): string {
  for (const d of [process.env.CUDAToolkit_ROOT, '/usr/local/cuda'].filter(Boolean) as string[]) if (existsSync(join(d, 'include', 'cuda_runtime_api.h'))) return join(d, 'include');
  throw new Error('a GPU build without the CUDA toolkit headers it was built with?');
}

/** The four stand-in libraries, under the names and symbol versions the addon links. */
function buildFakeCuda(): string {
  const out = join(dir, 'fake-cuda');
  execFileSync('mkdir', ['-p', out]);
  const src = join(ROOT, 'test', 'fixtures', 'fake-cuda', 'fake_cuda.c');
  for (const [so, def] of [['libcudart.so.13', 'FAKE_CUDART'], ['libcublas.so.13', 'FAKE_CUBLAS'], ['libcurand.so.10', 'FAKE_CURAND'], ['libcudnn.so.9', 'FAKE_CUDNN']] as const) {
    const map = join(out, `${so}.map`);
    writeFileSync(map, `${so} { global: *; };\n`);
    execFileSync('cc', ['-shared', '-fPIC', '-O1', '-o', join(out, so), src, `-I${cudaInclude()}`, `-D${def}`, `-Wl,-soname,${so}`, `-Wl,--version-script=${map}`]);
  }
  return out;
}

const child = (code: string, env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 120_000 });

describe.skipIf(!built)(`a GPU build without a driver (${built ? GPU_BINARY : 'skipped: no darknet_gpu.node (DARKNET_GPU=ON npm run build:native)'})`, () => {
  let fake: string;
  beforeAll(() => { fake = buildFakeCuda(); }, 120_000);

  it('CPU work never loads the GPU addon or CUDA; capabilities() loads it and lists no device; device "gpu" is NO_GPU', async () => {
    const r = await child(`
      import { readFileSync } from 'node:fs';
      const m = await import('./dist/index.js');
      const d = await m.Detector.load({ cfg: m.SHAPES_MODEL.cfg, weights: m.SHAPES_MODEL.weights });
      await d.detect(m.SHAPES_MODEL.sample);
      d.dispose();
      const maps = () => readFileSync('/proc/self/maps', 'utf8');
      console.log(JSON.stringify({ before: /darknet_gpu\\.node|libcublas|libcudart/.test(maps()), caps: m.capabilities(), after: /darknet_gpu\\.node/.test(maps()) }));
      try { await m.Detector.load({ cfg: m.SHAPES_MODEL.cfg, weights: m.SHAPES_MODEL.weights, device: 'gpu' }); } catch (e) { console.log(e.code + ' ' + e.message); }`);
    expect(r.status, r.stderr).toBe(0);
    const [json, err] = r.stdout.trim().split('\n');
    const o = JSON.parse(json!) as { before: boolean; after: boolean; caps: Record<string, unknown> };
    expect(o.before).toBe(false);
    expect(o.after).toBe(true);
    expect(o.caps).toMatchObject({ cuda: true, devices: [], gpuError: null });
    expect(err).toBe('NO_GPU CUDA device 0 requested, 0 visible');
  });

  it('the GPU addon refuses CPU networks and training (those run in darknet.node)', async () => {
    const net = new (nativeGpu().Network)();
    await expect(net.load(SHAPES_MODEL.cfg, SHAPES_MODEL.weights, { device: -1 })).rejects.toThrow(/GPU networks only/);
    net.dispose();
    const job = nativeGpu().train({ cfg: SHAPES_MODEL.cfg, paths: [SHAPES_MODEL.sample], maxBatches: 1, checkpointEvery: 0, prefix: join(dir, 'x'), clearSeen: false, seed: 1 }, () => {});
    await expect(job.promise).rejects.toThrow(/training runs in the CPU addon/);
  });

  it('a missing CUDA library: the error names it and how to get it', async () => {
    // the same binary with its run path pointed nowhere (same length, so the ELF stays valid)
    const bin = readFileSync(GPU_BINARY);
    const wheel = dirname(dirname(GPU_BINARY)); // any folder name the run path holds would do
    const runpath = /[\x20-\x7e]*\/lib(?::[\x20-\x7e]+)?(?=\0)/g;
    let patched = 0;
    for (const m of bin.toString('latin1').matchAll(runpath)) {
      if (!m[0].includes('nvidia') && !m[0].includes('cuda')) continue;
      bin.write('/'.padEnd(m[0].length, 'x'), m.index!, 'latin1');
      patched++;
    }
    expect(patched, `run path of ${GPU_BINARY} (built under ${wheel})`).toBeGreaterThan(0);
    const copy = join(dir, 'darknet_gpu.node');
    writeFileSync(copy, bin);
    // in a fresh process: this one may already hold the libraries, which would satisfy the load
    const r = await child(`
      import { gpuLoadError } from './dist/native.js';
      try { process.dlopen({ exports: {} }, ${JSON.stringify(copy)}); console.log('loaded'); }
      catch (e) { const g = gpuLoadError(e); console.log(g.code + ' ' + g.message); }`);
    expect(r.stdout.trim()).toMatch(/^NO_GPU the GPU build \(darknet_gpu\.node\) needs lib(cudart|cublas|curand|cudnn)[\w.]*\.so\.\d+, which the dynamic loader cannot find\. Install .*(pip install nvidia-|CUDA toolkit)/);
  });

  it('a GPU network on a stand-in device: the weights read from the file reach the device, detection runs its host code', async () => {
    const report = join(dir, 'report.txt');
    const r = await child(`
      const m = await import('./dist/index.js');
      const d = await m.Detector.load({ cfg: m.SHAPES_MODEL.cfg, weights: m.SHAPES_MODEL.weights, device: 'gpu' });
      const dets = await d.detect(m.SHAPES_MODEL.sample);
      console.log(JSON.stringify({ device: m.capabilities().devices[0].name, dets: dets.length }));
      d.dispose();`, { LD_LIBRARY_PATH: fake, FAKE_CUDA_REPORT: report });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ device: 'fake CUDA device' });
    const lines = readFileSync(report, 'utf8').trim().split('\n');
    expect(Number(/^launches (\d+)/.exec(lines[0]!)?.[1])).toBeGreaterThan(10); // the forward pass ran its kernels' launches
    const pushed = new Set(lines.slice(1).map((l) => l.split(' ').slice(1).join(' ')));
    // every convolution's biases and weights, exactly as the file holds them, were copied to the device
    const shape = validateCfg(parseCfg(readFileSync(SHAPES_MODEL.cfg, 'utf8')));
    const file = readFileSync(SHAPES_MODEL.weights);
    let at = 20;
    let checked = 0;
    const fnv = (b: Buffer) => {
      let h = 0xcbf29ce484222325n;
      for (const x of b) h = BigInt.asUintN(64, (h ^ BigInt(x)) * 0x100000001b3n);
      return `${b.length} ${h.toString(16).padStart(16, '0')}`;
    };
    for (const l of shape.layers) {
      if (l.type === 'convolutional') {
        const n = l.filters!;
        const biases = file.subarray(at, at + 4 * n);
        const weights = file.subarray(at + 4 * (n + (l.batchNormalize ? 3 * n : 0)), at + 4 * l.weightFloats);
        expect(pushed.has(fnv(biases)), `layer ${l.index} biases`).toBe(true);
        expect(pushed.has(fnv(weights)), `layer ${l.index} weights`).toBe(true);
        checked++;
      }
      at += 4 * l.weightFloats;
    }
    expect(at).toBe(file.length);
    expect(checked).toBeGreaterThan(3);
  });
});
