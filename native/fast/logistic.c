/* The logistic function of fast numerics' [yolo] layers. Darknet's logistic_activate computes
 * 1./(1. + exp(-x)) in double, one element at a time: 5.7 ms of yolov3-416's pass goes to its
 * 52×52 head alone. Here e^-x is a float exponential on 16 lanes (Cody–Waite reduction by ln 2,
 * Cephes' degree-5 polynomial on [−½ ln 2, ½ ln 2], scaled by 2ⁿ with vscalefps, which saturates
 * to 0 and ∞ without overflow tests), then 1 / (1 + e) with an IEEE division: within 2 ulp of
 * Darknet's value (test/native/logistic.test.ts checks the whole float range against it), and
 * the same bytes for every lane, thread count and position (no element depends on another). */
#include "logistic.h"

#include <math.h>

static void logistic_darknet(const float *in, float *out, int n) {
  for (int i = 0; i < n; i++) out[i] = 1. / (1. + exp(-in[i]));
}

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

AVX512 static inline __m512 logistic16(__m512 x) {
  /* e^-x, its argument clamped to ±89: 2^±128 after scaling, which vscalefps turns into ∞ or 0,
   * so the outputs there are 0 or 1 (Darknet's are below 3e-39, or 1) */
  __m512 a = _mm512_max_ps(_mm512_min_ps(_mm512_sub_ps(_mm512_setzero_ps(), x), _mm512_set1_ps(89.f)),
                           _mm512_set1_ps(-89.f));
  __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(a, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT);
  __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693359375f), a);
  r = _mm512_fnmadd_ps(k, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  __m512 e = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
  e = _mm512_scalef_ps(e, k);
  __m512 y = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
  /* min/max drop a NaN: Darknet's expression keeps it */
  return _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);
}

AVX512 static void logistic_avx512(const float *in, float *out, int n) {
  int i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, logistic16(_mm512_loadu_ps(in + i)));
  if (i < n) {
    __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(out + i, m, logistic16(_mm512_maskz_loadu_ps(m, in + i)));
  }
}

static int have_avx512(void) {
  static int v = -1;
  if (v < 0) {
    __builtin_cpu_init();
    v = __builtin_cpu_supports("avx512f") ? 1 : 0;
  }
  return v;
}

void dn_logistic(const float *in, float *out, int n) {
  if (have_avx512()) logistic_avx512(in, out, n);
  else logistic_darknet(in, out, n);
}

#else

void dn_logistic(const float *in, float *out, int n) { logistic_darknet(in, out, n); }

#endif
