/**
 * native/ops/letterbox.c prepares images exactly as Darknet's image.c: load_image_color's
 * conversion then letterbox_image, resize_image or center_crop_image, compared byte for byte with
 * Debian's libdarknet.so (test/reference/letterbox-harness.c) on gray, RGB and RGBA images of odd
 * sizes (1 pixel wide or high, portrait, landscape, square) into four network shapes. (The parity
 * tests check the same through whole networks on the sample photos.)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE, ROOT } from '../helpers/fixtures.js';
import { runOk } from '../helpers/proc.js';

describe('dn_letterbox and dn_center_crop equal image.c', () => {
  it('byte for byte on 336 image × network × mode cases', async () => {
    mkdirSync(CACHE, { recursive: true });
    const out = join(CACHE, 'letterbox-harness');
    // compiled as native/build.json compiles letterbox.c: no FMA contraction, OpenMP on
    execFileSync('cc', ['-O3', '-ffp-contract=off', '-fopenmp', `-I${join(ROOT, 'native', 'ops')}`, '-I/usr/lib/darknet/include', '-o', out,
      join(ROOT, 'test', 'reference', 'letterbox-harness.c'), join(ROOT, 'native', 'ops', 'letterbox.c'),
      '-L/usr/lib/darknet', '-ldarknet', '-Wl,-rpath,/usr/lib/darknet', '-lm'], { stdio: 'inherit' });
    expect((await runOk(out, [])).trim()).toBe('ok 336');
  }, 120_000);
});
