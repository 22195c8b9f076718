/** The pieces of `darknet detector valid`'s results format that are easy to get subtly wrong. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cFixed, darknetImageId, formatDarknetResults } from '../../lib/eval/darknet-results.js';
import { mulberry32 } from '../../lib/prng.js';

describe('darknet results format', () => {
  it('%f as C prints a double: exact value, ties to even (toFixed rounds ties up)', () => {
    const rnd = mulberry32(7);
    const xs = [0.0078125, 0.0234375, 1.5, 2.5e-7, 123.4560005, 0.5, 0.0000005, 0.0000015, 1e-7, 416, 3.1415926535, 0.9999995, 0.99999949, 1234.5678125, -0.5e-6, 0,
      ...Array.from({ length: 200 }, () => Math.fround(rnd() * 700)), ...Array.from({ length: 100 }, () => Math.round(rnd() * 1e5) / 128)];
    // Python's '%f' is the same correctly rounded conversion as glibc's printf
    const c = execFileSync('python3', ['-c', 'import sys\nfor a in sys.argv[1:]: print("%f" % float(a))', ...xs.map((x) => x.toPrecision(17))], { encoding: 'utf8' }).trim().split('\n');
    expect(xs.map((x) => cFixed(x, 6))).toEqual(c);
    expect(cFixed(-0, 6)).toBe('-0.000000');
  });

  it('image ids as get_coco_image_id derives them (atoi after the last "_", else the last "/")', () => {
    expect(darknetImageId('/data/coco/images/val2014/COCO_val2014_000000000042.jpg')).toBe(42);
    expect(darknetImageId('/a/b/17.png')).toBe(17);
    expect(darknetImageId('/a/b_x/17.png')).toBe(0); // the last '_' wins, even in a directory name
    expect(darknetImageId('x.png')).toBe(0);
    expect(darknetImageId('/a/img_ -12.png')).toBe(-12);
  });

  it('the file layout validate_detector writes', () => {
    expect(formatDarknetResults([{ image_id: 42, category_id: 18, bbox: [1, 2.5, 3, 4], score: 0.25 }, { image_id: 42, category_id: 1, bbox: [0, 0, 1, 1], score: 0.0078125 }]))
      .toBe('[\n{"image_id":42, "category_id":18, "bbox":[1.000000, 2.500000, 3.000000, 4.000000], "score":0.250000},\n{"image_id":42, "category_id":1, "bbox":[0.000000, 0.000000, 1.000000, 1.000000], "score":0.007812}\n]\n');
  });
});
