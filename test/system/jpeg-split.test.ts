/**
 * native/image/jpeg.c decodes a large sequential JPEG in two parts on two threads (the second
 * skips the rows of the first): the same bytes as one part, on every chroma subsampling, odd
 * sizes, restart markers, and 300 corrupt mutants (both decode the same or both decline), through
 * test/reference/jpeg-split-harness.c. Progressive and arithmetic-coded images, and small ones,
 * stay one part.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE, DARKNET_SHARE, ROOT } from '../helpers/fixtures.js';
import { runOk } from '../helpers/proc.js';

const DIR = join(CACHE, 'jpeg-split');
const sample = (n: string) => join(DARKNET_SHARE, 'data', `${n}.jpg`);

/** a w × h crop of a binary PPM at (x0, y0) */
function cropPpm(ppm: Buffer, x0: number, y0: number, w: number, h: number): Buffer {
  const m = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.toString('latin1', 0, 64))!;
  const W = Number(m[1]);
  const px = ppm.subarray(m[0].length);
  const rows: Uint8Array[] = [Buffer.from(`P6\n${w} ${h}\n255\n`, 'latin1')];
  for (let y = y0; y < y0 + h; y++) rows.push(px.subarray((y * W + x0) * 3, (y * W + x0 + w) * 3));
  return Buffer.concat(rows);
}

describe('two-part JPEG decode', () => {
  it('equals the one-part decode byte for byte, and declines the same corrupt files', async () => {
    mkdirSync(DIR, { recursive: true });
    const at = (n: string) => join(DIR, n);
    const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
    writeFileSync(at('dog.ppm'), run('djpeg', ['-ppm', sample('dog')]));
    const kite = run('djpeg', ['-ppm', sample('kite')]);
    writeFileSync(at('kite.ppm'), kite);
    writeFileSync(at('odd.ppm'), cropPpm(kite, 5, 3, 1001, 333)); // neither side a multiple of 16
    writeFileSync(at('small.ppm'), cropPpm(kite, 0, 0, 70, 900)); // under the split's pixel floor
    const cjpeg = (out: string, input: string, ...opts: string[]) => (run('cjpeg', [...opts, '-outfile', at(out), at(input)]), at(out));
    const one = [
      cjpeg('progressive.jpg', 'dog.ppm', '-progressive'),
      cjpeg('arithmetic.jpg', 'dog.ppm', '-arithmetic'),
      cjpeg('small.jpg', 'small.ppm'),
    ];
    const two = [
      ...['dog', 'eagle', 'giraffe', 'horses', 'kite', 'person', 'scream'].map(sample),
      ...['1x1', '2x1', '1x2', '2x2'].map((s) => cjpeg(`dog-${s}.jpg`, 'dog.ppm', '-sample', s, '-quality', '92')),
      ...['2x2', '2x1', '1x2'].map((s) => cjpeg(`odd-${s}.jpg`, 'odd.ppm', '-sample', s)),
      cjpeg('grey.jpg', 'dog.ppm', '-grayscale'),
      cjpeg('restart-rows-422.jpg', 'kite.ppm', '-restart', '1', '-sample', '2x1'),
      (run('jpegtran', ['-restart', '1', '-outfile', at('restart-rows.jpg'), sample('kite')]), at('restart-rows.jpg')),
      (run('jpegtran', ['-restart', '7B', '-outfile', at('restart-7b.jpg'), sample('dog')]), at('restart-7b.jpg')),
    ];
    const out = join(CACHE, 'jpeg-split-harness');
    // compiled as native/build.json compiles jpeg.c: OpenMP on, libjpeg loaded at run time
    execFileSync('cc', ['-O2', '-fopenmp', '-DDN_JPEG=1', `-I${join(ROOT, 'native')}`, '-o', out,
      join(ROOT, 'test', 'reference', 'jpeg-split-harness.c'), join(ROOT, 'native', 'image', 'jpeg.c'), '-ldl'], { stdio: 'inherit' });
    // the mutants are made from the first file (dog.jpg, again among those that must split)
    const text = (await runOk(out, [sample('dog'), ...one, '--must-split', ...two])).trim();
    const m = /^ok (\d+) split (\d+) mutants (\d+)$/.exec(text);
    expect(m, text).not.toBeNull();
    expect(Number(m![1])).toBe(1 + one.length + two.length);
    expect(Number(m![2])).toBeGreaterThanOrEqual(1 + two.length);
    expect(Number(m![3])).toBeGreaterThan(0); // some mutants decode: their bytes were compared too
    expect(readFileSync(at('restart-rows.jpg')).includes(Buffer.from([0xff, 0xdd]))).toBe(true); // a DRI marker
  }, 120_000);
});
