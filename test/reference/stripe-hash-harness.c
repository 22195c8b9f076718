/* native/ops/stripe_hash.c's three implementations (C, AVX2, AVX-512) give one hash: random
 * buffers of every length up to 4 KB and some larger, at every alignment, random seeds.
 * usage: stripe-hash-harness N seed → "ok N isas" (isas: how many the CPU could run) or the first
 * difference. Built by test/system/stripe-hash.test.ts with -DDN_STRIPE_HASH_TEST. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stripe_hash.h"

uint64_t dn_stripe_hash_isa(int isa, const void *data, size_t n, uint64_t seed,
                            uint64_t (*tail)(const void *, size_t, uint64_t));

/* any tail function will do for the comparison: FNV-1a over the bytes, then the seed */
static uint64_t tail(const void *data, size_t n, uint64_t seed) {
  const unsigned char *p = data;
  uint64_t h = 0xcbf29ce484222325ULL ^ seed;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  rng ^= argc > 2 ? strtoull(argv[2], NULL, 10) * 0x9e3779b97f4a7c15ULL : 0;
  int isas = 1;
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) isas = 2;
  if (__builtin_cpu_supports("avx512f")) isas = 3;
#endif
  enum { MAX = 1 << 20 };
  unsigned char *buf = malloc(MAX + 64);
  for (int t = 0; t < n; t++) {
    size_t len = t < 4097 ? (size_t)t : (size_t)(next() % MAX);
    size_t align = next() % 64;
    for (size_t i = 0; i < len; i++) buf[align + i] = (unsigned char)next();
    uint64_t seed = next();
    uint64_t want = dn_stripe_hash_isa(0, buf + align, len, seed, tail);
    for (int isa = 1; isa < isas; isa++) {
      uint64_t got = dn_stripe_hash_isa(isa, buf + align, len, seed, tail);
      if (got != want) {
        printf("differ isa %d len %zu align %zu: %016llx vs %016llx\n", isa, len, align, (unsigned long long)got,
               (unsigned long long)want);
        return 1;
      }
    }
    /* one flipped bit anywhere changes it */
    if (len) {
      size_t at = next() % len;
      buf[align + at] ^= (unsigned char)(1u << (next() % 8));
      if (dn_stripe_hash_isa(isas - 1, buf + align, len, seed, tail) == want) {
        printf("unchanged by a flip at %zu of %zu\n", at, len);
        return 1;
      }
    }
  }
  printf("ok %d %d\n", n, isas);
  free(buf);
  return 0;
}
