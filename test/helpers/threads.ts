import { join } from 'node:path';
import { expect } from 'vitest';
import { pngPath, ROOT } from './fixtures.js';
import { runOk } from './proc.js';

export const SHAPES = { name: 'shapes', cfg: join(ROOT, 'models', 'shapes', 'shapes.cfg'), weights: join(ROOT, 'models', 'shapes', 'shapes.weights') };
export const IMAGES = [join(ROOT, 'models', 'shapes', 'sample.png'), pngPath('dog'), pngPath('horses')];
export const THREADS = [1, 2, 3, 4];

export interface ChildResult {
  blas: string | null;
  /** capabilities().dnnl in the child: oneDNN ran the convolutions */
  dnnl: string | null;
  /** per model name: thread count → digest of raw outputs and detections */
  models: Record<string, Record<string, string>>;
}

/** Detects with each thread count in a child process with this environment (threads-child.mjs). */
export async function digestsInChild(env: NodeJS.ProcessEnv, models: ReadonlyArray<{ name: string; cfg: string; weights: string }>, { images = IMAGES, threads = THREADS } = {}): Promise<ChildResult> {
  const stdout = await runOk(process.execPath, [join(ROOT, 'test', 'helpers', 'threads-child.mjs'), JSON.stringify(models), JSON.stringify(images), JSON.stringify(threads)], { env });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
}

/** Machines of this kind either force OpenBLAS's Haswell kernels or let it pick (Cooperlake). */
export const ENVIRONMENTS = [
  ['OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512', (): NodeJS.ProcessEnv => ({ ...process.env, OPENBLAS_CORETYPE: 'Haswell', OPENBLAS_L2_SIZE: '512' })],
  ['the OpenBLAS variables unset', (): NodeJS.ProcessEnv => {
    const env = { ...process.env };
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    return env;
  }],
] as const;

/** Every model's digests agree across thread counts; the forced kernels really were in use. */
export function expectThreadInvariant(r: ChildResult, env: NodeJS.ProcessEnv, names: readonly string[], threads = THREADS): void {
  if (r.blas && env.OPENBLAS_CORETYPE) expect(r.blas).toMatch(/Haswell/i);
  for (const name of names) {
    const digests = r.models[name]!;
    expect(Object.keys(digests)).toHaveLength(threads.length);
    expect(new Set(Object.values(digests)).size, JSON.stringify(digests)).toBe(1);
  }
}
