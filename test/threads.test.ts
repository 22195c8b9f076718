/**
 * Same bytes for any thread count (fast numerics, the default): raw outputs and detections of a
 * Detector, of each DetectorPool copy and of one-thread workers equal those of any other thread
 * count, on machines that force OpenBLAS's Haswell kernels (OPENBLAS_CORETYPE=Haswell,
 * OPENBLAS_L2_SIZE=512) and on machines that let it pick. OpenBLAS reads those variables once,
 * when the addon loads, so each environment runs in its own process.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Detector } from '../lib/detector.js';
import { DetectorPool } from '../lib/pool.js';
import { ensureModel, pngPath, ROOT } from './helpers/fixtures.js';

const run = promisify(execFile);
const SHAPES = { name: 'shapes', cfg: join(ROOT, 'models', 'shapes', 'shapes.cfg'), weights: join(ROOT, 'models', 'shapes', 'shapes.weights') };
const IMAGES = [join(ROOT, 'models', 'shapes', 'sample.png'), pngPath('dog'), pngPath('horses')];
const THREADS = [1, 2, 3, 4];

interface ChildResult {
  blas: string | null;
  models: Record<string, Record<string, string>>;
}

async function inChild(env: NodeJS.ProcessEnv, models: object[]): Promise<ChildResult> {
  const { stdout } = await run(process.execPath, [join(ROOT, 'test', 'helpers', 'threads-child.mjs'), JSON.stringify(models), JSON.stringify(IMAGES), JSON.stringify(THREADS)], { env, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
}

function withoutOpenblasVars(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

describe.each([
  ['OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512', () => ({ ...process.env, OPENBLAS_CORETYPE: 'Haswell', OPENBLAS_L2_SIZE: '512' })],
  ['the OpenBLAS variables unset', withoutOpenblasVars],
] as const)('threads 1–4 give the same bytes with %s', (_label, env) => {
  it('shapes model, yolov3-tiny and yolov3: raw outputs and detections', async () => {
    const models = [SHAPES, await ensureModel('tiny'), await ensureModel('yolov3')];
    const r = await inChild(env(), models);
    console.log(`${_label}: ${r.blas ?? 'no BLAS'} → ${JSON.stringify(r.models)}`);
    if (r.blas && env().OPENBLAS_CORETYPE) expect(r.blas).toMatch(/Haswell/i);
    for (const m of models) {
      const digests = r.models[(m as { name: string }).name]!;
      expect(Object.keys(digests)).toHaveLength(THREADS.length);
      expect(new Set(Object.values(digests)).size, JSON.stringify(digests)).toBe(1);
    }
  });
});

describe('DetectorPool copies', () => {
  it('each copy (2 copies of 2 threads, taking calls at once) detects exactly what a one-thread Detector does', async () => {
    const fx = await ensureModel('tiny');
    const one = await Detector.load({ cfg: fx.cfg, weights: fx.weights, threads: 1 });
    const pool = await DetectorPool.load({ cfg: fx.cfg, weights: fx.weights, instances: 2, threads: 2 });
    try {
      const expected = await Promise.all(IMAGES.map((i) => one.detect(i)));
      const got = await Promise.all(pool.detectors.map((d) => Promise.all(IMAGES.map((i) => d.detect(i)))));
      for (const perCopy of got) expect(perCopy).toEqual(expected);
    } finally {
      one.dispose();
      pool.dispose();
    }
  });
});
