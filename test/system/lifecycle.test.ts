/**
 * The host's lifecycle around native work, in a child process so that an abort fails the test
 * instead of the runner: worker_threads terminated (or exiting) while the addon loads or detects
 * for them (test/fixtures/worker-teardown.mjs).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureModel, ROOT } from '../helpers/fixtures.js';
import { run } from '../helpers/proc.js';

describe('process lifetime', () => {
  it('a worker_thread terminated (or exiting) while the addon loads or detects for it does not take the process down', async () => {
    const tiny = await ensureModel('tiny');
    const yolov3 = await ensureModel('yolov3');
    const r = await run(process.execPath, [join(ROOT, 'test', 'fixtures', 'worker-teardown.mjs'), tiny.cfg, tiny.weights, yolov3.cfg, yolov3.weights], { timeout: 120_000 });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.results).toHaveLength(6);
    expect(out.detectsAfter).toBe(true);
  });
});
