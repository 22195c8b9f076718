/**
 * native/ops/stripe_hash.c computes one hash whichever instruction set runs it: the C, AVX2 and
 * AVX-512 versions (those this CPU has) agree on random buffers of every length to 4 KB and
 * larger ones, at every alignment, and one flipped bit always changes the result. (The cache's
 * checksums against an independent implementation: test/native/weights-cache.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE, ROOT } from '../helpers/fixtures.js';
import { runOk } from '../helpers/proc.js';

describe('dn_stripe_hash', () => {
  it('is the same in C, AVX2 and AVX-512, and sees a flipped bit', async () => {
    mkdirSync(CACHE, { recursive: true });
    const out = join(CACHE, 'stripe-hash-harness');
    execFileSync('cc', ['-O2', '-DDN_STRIPE_HASH_TEST', `-I${join(ROOT, 'native', 'ops')}`, '-o', out,
      join(ROOT, 'test', 'reference', 'stripe-hash-harness.c'), join(ROOT, 'native', 'ops', 'stripe_hash.c')], { stdio: 'inherit' });
    const res = (await runOk(out, ['4300', '7'])).trim();
    expect(res).toMatch(/^ok 4300 [123]$/);
  }, 120_000);
});
