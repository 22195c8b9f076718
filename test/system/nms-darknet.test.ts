/**
 * native/ops/nms.c's dn_nms_sort leaves the detection array exactly as Darknet's do_nms_sort does —
 * which entry sits where, every zeroed probability, sort_class — checked against libdarknet.so's
 * own function on random box sets (test/reference/nms-harness.c): ties in probabilities,
 * duplicate boxes, entries with objectness 0, zero-area and infinite boxes, boxes outside the
 * image, thresholds from 1e-4 to 1, up to 1,200 boxes and 80 classes. Compiled twice: as shipped,
 * and with room for one pair per box so that every set takes the crowded path.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE, ROOT } from '../helpers/fixtures.js';
import { runOk } from '../helpers/proc.js';

function build(name: string, defines: string[]): string {
  mkdirSync(CACHE, { recursive: true });
  const out = join(CACHE, name);
  execFileSync('cc', ['-O3', ...defines, '-o', out, join(ROOT, 'test', 'reference', 'nms-harness.c'), join(ROOT, 'native', 'ops', 'nms.c'),
    `-I${join(ROOT, 'native', 'ops')}`, '-I/usr/lib/darknet/include', '-L/usr/lib/darknet', '-ldarknet', '-Wl,-rpath,/usr/lib/darknet', '-lm'], { stdio: 'inherit' });
  return out;
}

describe('dn_nms_sort equals do_nms_sort', () => {
  it('on 300 random sets, as shipped', async () => {
    const out = await runOk(build('nms-harness', []), ['check', '1', '300']);
    expect(out.trim()).toMatch(/^ok 300 \d+$/);
  }, 120_000);

  it('on 200 more, every one through the crowded path', async () => {
    const out = await runOk(build('nms-harness-crowded', ['-DPAIRS_PER_BOX=1']), ['check', '1001', '200']);
    expect(out.trim()).toMatch(/^ok 200 \d+$/);
  }, 120_000);
});
