/**
 * native/fast/logistic.c (fast numerics' [yolo] logistic) against Darknet's own expression,
 * 1./(1. + exp(-x)) in double: within 2 ulp on every 61st float of [-120, 120], 0 or 1 where
 * Darknet's value is below FLT_MIN or rounds to 1, NaN kept, the same value at every alignment
 * and tail length, nothing written past the end.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE, ROOT } from '../helpers/fixtures.js';
import { runOk } from '../helpers/proc.js';

describe('dn_logistic', () => {
  it('stays within 2 ulp of Darknet’s logistic and keeps its edge cases', async () => {
    mkdirSync(CACHE, { recursive: true });
    const out = join(CACHE, 'logistic-harness');
    execFileSync('cc', ['-O2', `-I${join(ROOT, 'native', 'fast')}`, '-o', out,
      join(ROOT, 'test', 'reference', 'logistic-harness.c'), join(ROOT, 'native', 'fast', 'logistic.c'), '-lm'], { stdio: 'inherit' });
    const m = /^ulp (\d+) tiny (\S+) nan (\d) edges (\d)$/.exec((await runOk(out, [])).trim());
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(2);
    expect(Number(m![2])).toBeLessThan(1e-38);
    expect(m![3]).toBe('1');
    expect(m![4]).toBe('1');
  }, 120_000);
});
