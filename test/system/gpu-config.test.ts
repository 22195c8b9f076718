/**
 * The CUDA configuration path, exercised on any machine: CMake's DARKNET_GPU / DARKNET_CUDNN
 * logic (cmake/gpu.cmake) and what a CPU build says when a GPU is asked for.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import { capabilities } from '../../lib/index.js';
import { ensureModel, ROOT } from '../helpers/fixtures.js';
import { run } from '../helpers/proc.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function configure(...defs: string[]): Promise<{ status: number | null; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'dn-cmake-'));
  dirs.push(dir);
  const r = await run('cmake', ['-S', ROOT, '-B', dir, ...defs.map((d) => `-D${d}`)]);
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

// Each configure is a separate CMake run, mostly waiting on compiler probes: all at once.
const CASES = { off: ['DARKNET_GPU=OFF'], auto: ['DARKNET_GPU=auto'], on: ['DARKNET_GPU=ON'], cudnnOnly: ['DARKNET_GPU=OFF', 'DARKNET_CUDNN=ON'], bad: ['DARKNET_GPU=maybe'] };
let ran: Record<keyof typeof CASES, { status: number | null; out: string }>;
beforeAll(async () => {
  const entries = await Promise.all(Object.entries(CASES).map(async ([k, defs]) => [k, await configure(...defs)] as const));
  ran = Object.fromEntries(entries) as typeof ran;
});

describe('cmake/gpu.cmake', () => {
  it('DARKNET_GPU=OFF configures a CPU build without probing for CUDA', () => {
    const r = ran.off;
    expect(r.status).toBe(0);
    expect(r.out).not.toMatch(/Looking for a CUDA compiler/);
  });

  it('DARKNET_GPU=auto builds for the CPU with a one-line notice when no full toolkit is found, else targets up to sm_90', () => {
    const r = ran.auto;
    expect(r.status).toBe(0);
    const cuda = /darknet-node: CUDA [\d.]+, architectures ([\d;]+)/.exec(r.out);
    if (cuda) expect(cuda[1]!.split(';')).toContain('90');
    else expect(r.out).toMatch(/darknet-node: no CUDA toolkit with cuBLAS and cuRAND found; building for CPU/);
  });

  it('DARKNET_GPU=ON fails with a clear message when the toolkit is missing (or configures CUDA when present)', () => {
    const r = ran.on;
    if (r.status === 0) expect(r.out).toMatch(/darknet-node: CUDA [\d.]+, architectures/);
    else expect(r.out).toMatch(/DARKNET_GPU=ON but no CUDA toolkit with nvcc, cuBLAS and cuRAND was found/);
  });

  it('rejects DARKNET_CUDNN=ON without CUDA, and values other than auto/ON/OFF', () => {
    const a = ran.cudnnOnly;
    expect(a.status).not.toBe(0);
    expect(a.out).toMatch(/DARKNET_CUDNN=ON needs a CUDA build/);
    const b = ran.bad;
    expect(b.status).not.toBe(0);
    expect(b.out).toMatch(/DARKNET_GPU must be auto, ON or OFF/);
  });
});

describe.skipIf(capabilities().cuda)('a CPU-only build', () => {
  it('reports itself honestly', () => {
    const caps = capabilities();
    expect(caps).toMatchObject({ cuda: false, cudnn: false, cudnnVersion: null, devices: [], gpuError: null });
  });

  it.each(['gpu', 0, 1] as const)('rejects device %j with NO_GPU', async (device) => {
    const fx = await ensureModel('tiny');
    await expect(Detector.load({ cfg: fx.cfg, weights: fx.weights, device })).rejects.toMatchObject({
      code: 'NO_GPU', message: expect.stringMatching(/no GPU build \(prebuilt binaries are CPU-only\): build one with `npx darknet-node build --gpu`/),
    });
  });

  it('rejects a malformed device with BAD_INPUT', async () => {
    const fx = await ensureModel('tiny');
    await expect(Detector.load({ cfg: fx.cfg, weights: fx.weights, device: -2 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(Detector.load({ cfg: fx.cfg, weights: fx.weights, device: 'tpu' as never })).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});
