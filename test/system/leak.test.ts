import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/fixtures.js';
import { runOk } from '../helpers/proc.js';

const hasValgrind = spawnSync('valgrind', ['--version']).status === 0;

describe.skipIf(!hasValgrind)(`valgrind${hasValgrind ? '' : ' (skipped: valgrind not installed)'}`, () => {
  it('load/detect/forward/dispose and trapped Darknet failures leak nothing through darknet.node', async () => {
    const out = await runOk('bash', [join(ROOT, 'test', 'leak', 'leak.sh')], { timeout: 600_000 });
    console.log(out.trim());
    expect(out).toMatch(/no definite leak through darknet\.node/);
    expect(out).toMatch(/definitely lost: 0 bytes/);
  });
});
