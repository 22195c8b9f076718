/**
 * examples/: type-checked against the shipped declarations (strict) and run, ES module and
 * CommonJS entry points both, through the package's own name (self-reference via "exports").
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/fixtures.js';
import { runOk } from '../helpers/proc.js';

const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const run = (file: string) => runOk(process.execPath, [file], { cwd: ROOT, timeout: 120_000 });

describe('examples', async () => {
  it('type-check and compile (strict)', async () => {
    await runOk(process.execPath, [TSC, '-p', join(ROOT, 'examples', 'tsconfig.json')], { cwd: ROOT });
  }, 120_000);

  it('detect.ts prints detections and their JSON', async () => {
    const out = await run(join(ROOT, 'examples', '.out', 'detect.js'));
    expect(out).toMatch(/^(circle|square|triangle|cross|star)\s+\d+\.\d%/m);
    expect(out).toMatch(/"className":/);
  });

  it('sharp-annotate.ts draws into a PNG', async () => {
    expect(await run(join(ROOT, 'examples', '.out', 'sharp-annotate.js'))).toMatch(/\d+ detections drawn into .*\.png/);
  });

  it('batch-and-pool.ts', async () => {
    const out = await run(join(ROOT, 'examples', '.out', 'batch-and-pool.js'));
    const [batch, pool] = [out.match(/detectBatch: (.*)/)![1], out.match(/pool of \d+: (.*)/)![1]];
    expect(batch).toBe(pool);
    expect(batch!.split(' ')).toHaveLength(8);
  });

  it('commonjs.cjs: require() gives the same classes, DarknetError included', async () => {
    const out = await run(join(ROOT, 'examples', 'commonjs.cjs'));
    expect(out).toMatch(/\d+ detections:/);
    expect(out).toMatch(/errors are DarknetError with a code: ENOENT/);
  });
});
