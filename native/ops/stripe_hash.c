/* See stripe_hash.h. The definition, for 256-byte stripes s = 0, 1, … and 32 lanes i of 64 bits
 * (little-endian words d[0..31] of the stripe):
 *
 *   k      = seed + Q·(i + 1) + P·s
 *   acc[i] += lo32(d[i] ^ k) · hi32(d[i] ^ k) + d[i ^ 1]          (mod 2^64)
 *
 * with acc[i] starting at seed ^ P·(i + 1); then h = tail(the last n % 256 bytes, seed ^ n) and
 * h = tail(&acc[i], 8, h) for each lane in order. As XXH3's accumulation: a 32×32→64 product per
 * word, which vector units do 8 (AVX-512) or 4 (AVX2) at a time, so the hash runs at the speed
 * memory delivers (yolov3-tiny's 35 MB: ~1.5 ms on one Zen 4 core, ~4 ms with hash_bytes' 64-bit
 * multiply chains). The raw neighbour word makes any change of one word change its neighbour
 * lane's sum; the stripe index in k makes moved stripes count. */
#include "stripe_hash.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define P 0x9e3779b185ebca87ULL
#define Q 0xc2b2ae3d27d4eb4fULL
#define LANES 32
#define STRIPE (LANES * 8)

static void init(uint64_t *acc, uint64_t seed) {
  for (int i = 0; i < LANES; i++) acc[i] = seed ^ (P * (uint64_t)(i + 1));
}

static void stripes_c(uint64_t *acc, const unsigned char *p, size_t stripes, uint64_t seed) {
  for (size_t s = 0; s < stripes; s++, p += STRIPE) {
    uint64_t d[LANES];
    memcpy(d, p, STRIPE);
    for (int i = 0; i < LANES; i++) {
      uint64_t dk = d[i] ^ (seed + Q * (uint64_t)(i + 1) + P * (uint64_t)s);
      acc[i] += (dk & 0xffffffffu) * (dk >> 32) + d[i ^ 1];
    }
  }
}

#if defined(__x86_64__)
__attribute__((target("avx512f"))) static void stripes_avx512(uint64_t *acc, const unsigned char *p, size_t stripes,
                                                               uint64_t seed) {
  __m512i a[4], k[4];
  const __m512i step = _mm512_set1_epi64((long long)P);
  for (int j = 0; j < 4; j++) {
    a[j] = _mm512_loadu_si512(acc + 8 * j);
    uint64_t kk[8];
    for (int l = 0; l < 8; l++) kk[l] = seed + Q * (uint64_t)(8 * j + l + 1);
    k[j] = _mm512_loadu_si512(kk);
  }
  for (size_t s = 0; s < stripes; s++, p += STRIPE) {
    for (int j = 0; j < 4; j++) {
      __m512i d = _mm512_loadu_si512(p + 64 * j);
      __m512i dk = _mm512_xor_si512(d, k[j]);
      __m512i prod = _mm512_mul_epu32(dk, _mm512_srli_epi64(dk, 32));
      __m512i swapped = _mm512_shuffle_epi32(d, (_MM_PERM_ENUM)0x4E); /* d[i ^ 1] */
      a[j] = _mm512_add_epi64(a[j], _mm512_add_epi64(prod, swapped));
      k[j] = _mm512_add_epi64(k[j], step);
    }
  }
  for (int j = 0; j < 4; j++) _mm512_storeu_si512(acc + 8 * j, a[j]);
}

__attribute__((target("avx2"))) static void stripes_avx2(uint64_t *acc, const unsigned char *p, size_t stripes,
                                                          uint64_t seed) {
  __m256i a[8], k[8];
  const __m256i step = _mm256_set1_epi64x((long long)P);
  for (int j = 0; j < 8; j++) {
    a[j] = _mm256_loadu_si256((const __m256i *)(acc + 4 * j));
    k[j] = _mm256_set_epi64x((long long)(seed + Q * (uint64_t)(4 * j + 4)), (long long)(seed + Q * (uint64_t)(4 * j + 3)),
                             (long long)(seed + Q * (uint64_t)(4 * j + 2)), (long long)(seed + Q * (uint64_t)(4 * j + 1)));
  }
  for (size_t s = 0; s < stripes; s++, p += STRIPE) {
    for (int j = 0; j < 8; j++) {
      __m256i d = _mm256_loadu_si256((const __m256i *)(p + 32 * j));
      __m256i dk = _mm256_xor_si256(d, k[j]);
      __m256i prod = _mm256_mul_epu32(dk, _mm256_srli_epi64(dk, 32));
      __m256i swapped = _mm256_shuffle_epi32(d, 0x4E);
      a[j] = _mm256_add_epi64(a[j], _mm256_add_epi64(prod, swapped));
      k[j] = _mm256_add_epi64(k[j], step);
    }
  }
  for (int j = 0; j < 8; j++) _mm256_storeu_si256((__m256i *)(acc + 4 * j), a[j]);
}
#endif

typedef void (*stripes_fn)(uint64_t *, const unsigned char *, size_t, uint64_t);

static stripes_fn pick(void) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return stripes_avx512;
  if (__builtin_cpu_supports("avx2")) return stripes_avx2;
#endif
  return stripes_c;
}

static uint64_t hash_with(stripes_fn stripes, const void *data, size_t n, uint64_t seed,
                          uint64_t (*tail)(const void *, size_t, uint64_t)) {
  uint64_t acc[LANES];
  init(acc, seed);
  size_t whole = n / STRIPE;
  const unsigned char *p = data;
  stripes(acc, p, whole, seed);
  uint64_t h = tail(p + whole * STRIPE, n - whole * STRIPE, seed ^ (uint64_t)n);
  for (int i = 0; i < LANES; i++) h = tail(&acc[i], sizeof acc[i], h);
  return h;
}

uint64_t dn_stripe_hash(const void *data, size_t n, uint64_t seed, uint64_t (*tail)(const void *, size_t, uint64_t)) {
  static stripes_fn stripes; /* a benign race: every thread picks the same function */
  if (!stripes) stripes = pick();
  return hash_with(stripes, data, n, seed, tail);
}

#ifdef DN_STRIPE_HASH_TEST
/* test/reference/stripe-hash-harness.c: each implementation by name (0 C, 1 AVX2, 2 AVX-512) */
uint64_t dn_stripe_hash_isa(int isa, const void *data, size_t n, uint64_t seed,
                            uint64_t (*tail)(const void *, size_t, uint64_t)) {
#if defined(__x86_64__)
  if (isa == 1) return hash_with(stripes_avx2, data, n, seed, tail);
  if (isa == 2) return hash_with(stripes_avx512, data, n, seed, tail);
#endif
  return hash_with(stripes_c, data, n, seed, tail);
}
#endif
