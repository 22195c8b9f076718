/* Convolution by output rows for layers with few input channels (the first layers of a YOLO:
 * 3 to 64 channels on 416² to 104² maps). For those, im2col + sgemm is bound by memory, not
 * arithmetic: the im2col matrix (50 MB for yolov3's second layer) and sgemm's packed copy of it
 * go through DRAM. Here each thread builds the im2col rows of one output row at a time (a few
 * hundred KB, cache-resident) and multiplies them with its own register-blocked kernel: 8
 * filters × 16 output columns accumulated in vector registers over the whole kernel depth, so
 * every output is written once. The kernel is written with GCC vector extensions and compiled
 * for three ISA levels picked at run time (target_clones): a portable x86-64 binary still runs
 * AVX-512 or AVX2 + FMA where the CPU has them. Fast numerics only (its own sum order). */
#include "direct.h"

#include "im2col.h"

#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define FB 8  /* filters per block */
#define XW 16 /* output columns per block (one vector) */

typedef float v16 __attribute__((vector_size(XW * sizeof(float)), aligned(4)));

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 11
/* GCC 10 (Debian 11's, which compiles the Linux prebuilds: scripts/prebuild-linux.sh) has no
 * x86-64-vN levels, and its `arch=` clones dispatch on the CPU model, not on its features: the
 * same two levels here by their features (the ones that change the code: AVX-512, AVX2 + FMA),
 * picked once below. The same FMA arithmetic as GCC 11+'s clones. */
#define DN_MANUAL_CLONES 1
#define DN_CLONES
#elif defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DN_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define DN_CLONES
#endif

size_t dn_direct_packed_floats(int m, int k) { return (size_t)((m + FB - 1) / FB) * k * FB; }

void dn_direct_pack(const float *w, int m, int k, float *packed) {
  int blocks = (m + FB - 1) / FB;
  for (int b = 0; b < blocks; b++)
    for (int kk = 0; kk < k; kk++)
      for (int f = 0; f < FB; f++) {
        int row = b * FB + f;
        packed[((size_t)b * k + kk) * FB + f] = row < m ? w[(size_t)row * k + kk] : 0.f;
      }
}

size_t dn_direct_workspace(int k, int out_w, int threads) {
  size_t ld = (size_t)(out_w + XW - 1) / XW * XW;
  return (size_t)threads * k * ld * sizeof(float);
}

/* out rows [f0, f0 + FB) of output row y, columns [0, out_w): bias + packed · col. */
#ifdef DN_MANUAL_CLONES
#define KERNEL_ROW static inline __attribute__((always_inline)) void kernel_row_body
#else
#define KERNEL_ROW DN_CLONES static void kernel_row
#endif
KERNEL_ROW(const float *restrict packed, const float *restrict col, const float *restrict bias, int m,
                       int k, int ld, int out_w, size_t plane, float *restrict out_y) {
  int blocks = (m + FB - 1) / FB;
  for (int b = 0; b < blocks; b++) {
    const float *wb = packed + (size_t)b * k * FB;
    for (int x0 = 0; x0 < ld; x0 += XW) {
      v16 acc[FB];
      for (int f = 0; f < FB; f++) {
        float bv = b * FB + f < m ? bias[b * FB + f] : 0.f;
        acc[f] = (v16){bv, bv, bv, bv, bv, bv, bv, bv, bv, bv, bv, bv, bv, bv, bv, bv};
      }
      for (int kk = 0; kk < k; kk++) {
        v16 v = *(const v16 *)(col + (size_t)kk * ld + x0);
        const float *wk = wb + (size_t)kk * FB;
        for (int f = 0; f < FB; f++) acc[f] += v * wk[f];
      }
      int n = out_w - x0 < XW ? out_w - x0 : XW;
      for (int f = 0; f < FB && b * FB + f < m; f++) {
        float *o = out_y + (size_t)(b * FB + f) * plane + x0;
        if (n == XW) *(v16 *)o = acc[f];
        else memcpy(o, &acc[f], (size_t)n * sizeof(float));
      }
    }
  }
}

#ifdef DN_MANUAL_CLONES
#define KERNEL_ARGS const float *restrict packed, const float *restrict col, const float *restrict bias, int m, int k, \
                    int ld, int out_w, size_t plane, float *restrict out_y
__attribute__((target("avx512f,avx512bw,avx512cd,avx512dq,avx512vl,avx2,fma,bmi,bmi2,f16c,lzcnt,movbe,popcnt")))
static void kernel_row_v4(KERNEL_ARGS) { kernel_row_body(packed, col, bias, m, k, ld, out_w, plane, out_y); }
__attribute__((target("avx2,fma,bmi,bmi2,f16c,lzcnt,movbe,popcnt")))
static void kernel_row_v3(KERNEL_ARGS) { kernel_row_body(packed, col, bias, m, k, ld, out_w, plane, out_y); }
static void kernel_row_v1(KERNEL_ARGS) { kernel_row_body(packed, col, bias, m, k, ld, out_w, plane, out_y); }
static void kernel_row(KERNEL_ARGS) {
  static void (*volatile chosen)(KERNEL_ARGS);
  if (!chosen) {
    __builtin_cpu_init();
    int v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2");
    int v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    chosen = v4 ? kernel_row_v4 : v3 ? kernel_row_v3 : kernel_row_v1; /* the same value from every thread */
  }
  chosen(packed, col, bias, m, k, ld, out_w, plane, out_y);
}
#endif

void dn_direct_conv(const float *in, const float *packed, const float *bias, float *out, int c, int h, int w, int m,
                    int size, int stride, int pad, int out_h, int out_w, int threads, float *workspace,
                    dn_row_fn finish, void *ctx) {
  int k = c * size * size;
  int ld = (out_w + XW - 1) / XW * XW;
  size_t plane = (size_t)out_h * out_w;
#pragma omp parallel num_threads(threads)
  {
    int t = 0;
#ifdef _OPENMP
    t = omp_get_thread_num();
#endif
    float *col = workspace + (size_t)t * k * ld;
    /* the kernel reads whole vectors: each row's tail past out_w stays 0 (im2col never writes it) */
    for (int kk = 0; kk < k; kk++) memset(col + (size_t)kk * ld + out_w, 0, (size_t)(ld - out_w) * sizeof(float));
#pragma omp for schedule(static)
    for (int y = 0; y < out_h; y++) {
      dn_im2col_rows(in, 0, c, h, w, size, stride, pad, out_w, y, y + 1, ld, col);
      kernel_row(packed, col, bias, m, k, ld, out_w, plane, out + (size_t)y * out_w);
      for (int f = 0; f < m; f++) finish(ctx, out + (size_t)f * plane + (size_t)y * out_w, out_w);
    }
  }
}
