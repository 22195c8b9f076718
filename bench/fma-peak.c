/* The machine's FMA peak, for the speed table (bench/speed.mjs): single-precision GFLOP/s of
 * independent fused multiply-adds on every core, in the widest vectors this binary was compiled
 * for (build it twice: -mavx512f, and -mavx2 -mfma). Twelve accumulators per thread hide the
 * FMA latency (4 cycles) behind two FMA ports. Prints one number: the best of five runs. */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>

#if defined(__AVX512F__)
typedef __m512 vec;
#define LANES 16
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define ADD _mm512_add_ps
#define SUM(v) _mm512_reduce_add_ps(v)
#else
typedef __m256 vec;
#define LANES 8
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define ADD _mm256_add_ps
static float SUM(__m256 v) {
  float f[8];
  _mm256_storeu_ps(f, v);
  return f[0] + f[1] + f[2] + f[3] + f[4] + f[5] + f[6] + f[7];
}
#endif

#define ACC 12
#define ITERS 20000000L

/* named accumulators, not an array: they must live in registers */
static float run(void) {
  vec a = SET1(0.999999f), b = SET1(1e-7f);
  vec c0 = SET1(0), c1 = SET1(1), c2 = SET1(2), c3 = SET1(3), c4 = SET1(4), c5 = SET1(5);
  vec c6 = SET1(6), c7 = SET1(7), c8 = SET1(8), c9 = SET1(9), c10 = SET1(10), c11 = SET1(11);
  for (long it = 0; it < ITERS; it++) {
    c0 = FMA(c0, a, b); c1 = FMA(c1, a, b); c2 = FMA(c2, a, b); c3 = FMA(c3, a, b);
    c4 = FMA(c4, a, b); c5 = FMA(c5, a, b); c6 = FMA(c6, a, b); c7 = FMA(c7, a, b);
    c8 = FMA(c8, a, b); c9 = FMA(c9, a, b); c10 = FMA(c10, a, b); c11 = FMA(c11, a, b);
    __asm__ volatile("" ::: "memory"); /* keeps the loop a loop */
  }
  vec s = ADD(ADD(ADD(c0, c1), ADD(c2, c3)), ADD(ADD(c4, c5), ADD(c6, c7)));
  return SUM(ADD(s, ADD(ADD(c8, c9), ADD(c10, c11))));
}

int main(void) {
  double best = 0, sink = 0;
  for (int r = 0; r < 5; r++) {
    double t0 = omp_get_wtime();
    int n = 1;
#pragma omp parallel reduction(+ : sink)
    {
#pragma omp single
      n = omp_get_num_threads();
      sink += run();
    }
    double s = omp_get_wtime() - t0;
    double gflops = 2.0 * LANES * ACC * (double)ITERS * n / s / 1e9;
    if (gflops > best) best = gflops;
  }
  printf("%.0f\n", best + 0 * sink);
  return sink == 12345.678 ? 1 : 0;
}
