/* Winograd F(4×4, 3×3) for 3×3 stride-1 pad-1 convolutions in fast numerics, on AVX-512 (Lavin &
 * Gray, "Fast Algorithms for Convolutional Neural Networks", 2016). Each 4×4 block of outputs
 * takes 36 products per input channel instead of 144: the 36 positions ξ of a 6×6 transformed
 * tile are 36 independent matrix products V[ξ] (tiles × channels) · U[ξ] (channels × filters).
 *
 *   U = G g Gᵀ (at load),  V = Bᵀ d B,  Y = Aᵀ (U ⊙ V) A   with
 *   Bᵀ = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
 *   G  = [¼ 0 0; -⅙ -⅙ -⅙; -⅙ ⅙ -⅙; 1/24 1/12 ⅙; 1/24 -1/12 ⅙; 0 0 1]
 *   Aᵀ = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
 *
 * Why the results do not depend on the thread count: threads split tiles (transforms) and
 * (ξ, 32-filter panel) pairs (products); every output is one thread's sum over the channels in
 * ascending order, then the same fixed transform. Accuracy: the transforms' constants (up to 8
 * and 1/24) cost ~1e-5 relative per layer, which is why fast.c gives it only large maps.
 *
 * Layout: tensors are NHWC (a vector of 16 channels per load), as oneDNN's convolutions keep them
 * between layers (layout.c): an NCHW input is transposed first, an NCHW output written channel by
 * channel. Memory: U is 36/9 = 4× the layer's weights, so fast.c converts layers largest map
 * first within a share of the network's weights; the transformed input and products live in
 * Darknet's workspace. */
#include "wino43.h"

#include <stdint.h>
#include <string.h>

#include "guard/guard.h"
#include "layout.h"
#include "weights.h"

void activate_array(float *x, const int n, const ACTIVATION a);

#define MR 8  /* tiles per product block */
#define NR 32 /* filters per product block: two vectors */

static int tiles_of(int side) { return (side + 3) / 4; }
static size_t tiles_padded(int h, int w) { return ((size_t)tiles_of(h) * tiles_of(w) + MR - 1) / MR * MR; }

size_t dn_wino43_floats(int n, int c) { return (size_t)36 * n * c; }

size_t dn_wino43_workspace(int c, int n, int h, int w) {
  return ((size_t)36 * tiles_padded(h, w) * ((size_t)c + n) + (size_t)h * w * c) * sizeof(float) + 64;
}

void dn_wino43_weights(const float *w, int n, int c, float *u) {
  static const double G[6][3] = {{1. / 4, 0, 0},       {-1. / 6, -1. / 6, -1. / 6}, {-1. / 6, 1. / 6, -1. / 6},
                                 {1. / 24, 1. / 12, 1. / 6}, {1. / 24, -1. / 12, 1. / 6}, {0, 0, 1}};
#pragma omp parallel for schedule(static)
  for (int k = 0; k < n; k++)
    for (int ch = 0; ch < c; ch++) {
      const float *g = w + ((size_t)k * c + ch) * 9;
      double t[6][3];
      for (int i = 0; i < 6; i++)
        for (int j = 0; j < 3; j++) t[i][j] = G[i][0] * g[j] + G[i][1] * g[3 + j] + G[i][2] * g[6 + j];
      for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++)
          u[((size_t)(i * 6 + j) * c + ch) * n + k] = (float)(t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2]);
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

int dn_wino43_available(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}

/* Bᵀ x for one column of six vectors (also x B for a row) */
AVX512 static inline void bt6(const __m512 x[6], __m512 r[6]) {
  const __m512 f4 = _mm512_set1_ps(4), f5 = _mm512_set1_ps(-5), f2 = _mm512_set1_ps(2);
  r[0] = _mm512_add_ps(_mm512_fmadd_ps(f4, x[0], _mm512_mul_ps(f5, x[2])), x[4]);
  r[1] = _mm512_fnmadd_ps(f4, _mm512_add_ps(x[1], x[2]), _mm512_add_ps(x[3], x[4]));
  r[2] = _mm512_fmadd_ps(f4, _mm512_sub_ps(x[1], x[2]), _mm512_sub_ps(x[4], x[3]));
  r[3] = _mm512_fmadd_ps(f2, _mm512_sub_ps(x[3], x[1]), _mm512_sub_ps(x[4], x[2]));
  r[4] = _mm512_fmadd_ps(f2, _mm512_sub_ps(x[1], x[3]), _mm512_sub_ps(x[4], x[2]));
  r[5] = _mm512_add_ps(_mm512_fmadd_ps(f4, x[1], _mm512_mul_ps(f5, x[3])), x[5]);
}

/* Aᵀ y for six vectors → four */
AVX512 static inline void at6(const __m512 y[6], __m512 r[4]) {
  const __m512 f2 = _mm512_set1_ps(2), f4 = _mm512_set1_ps(4), f8 = _mm512_set1_ps(8);
  __m512 s12 = _mm512_add_ps(y[1], y[2]), d12 = _mm512_sub_ps(y[1], y[2]);
  __m512 s34 = _mm512_add_ps(y[3], y[4]), d34 = _mm512_sub_ps(y[3], y[4]);
  r[0] = _mm512_add_ps(_mm512_add_ps(y[0], s12), s34);
  r[1] = _mm512_fmadd_ps(f2, d34, d12);
  r[2] = _mm512_fmadd_ps(f4, s34, s12);
  r[3] = _mm512_add_ps(_mm512_fmadd_ps(f8, d34, d12), y[5]);
}

/* V[ξ][t][ch] for every tile t of one NHWC image (tiles past the last are zeros) */
AVX512 static void input_transform(const float *in, int h, int w, int c, size_t tpad, float *v) {
  int tw = tiles_of(w), nt = tiles_of(h) * tw;
#pragma omp parallel for schedule(static)
  for (int64_t t = 0; t < (int64_t)tpad; t++) {
    int ty = (int)(t / tw), tx = (int)(t % tw);
    for (int ch = 0; ch < c; ch += 16) {
      __m512 d[6][6], m[6][6];
      for (int i = 0; i < 6; i++) {
        int y = 4 * ty - 1 + i;
        for (int j = 0; j < 6; j++) {
          int x = 4 * tx - 1 + j;
          d[i][j] = t < nt && y >= 0 && y < h && x >= 0 && x < w ? _mm512_loadu_ps(in + ((size_t)y * w + x) * c + ch)
                                                                  : _mm512_setzero_ps();
        }
      }
      for (int j = 0; j < 6; j++) {
        __m512 col[6] = {d[0][j], d[1][j], d[2][j], d[3][j], d[4][j], d[5][j]}, r[6];
        bt6(col, r);
        for (int i = 0; i < 6; i++) m[i][j] = r[i];
      }
      for (int i = 0; i < 6; i++) {
        __m512 r[6];
        bt6(m[i], r);
        for (int j = 0; j < 6; j++) _mm512_storeu_ps(v + ((size_t)(i * 6 + j) * tpad + t) * c + ch, r[j]);
      }
    }
  }
}

/* Y[ξ][t][k] = Σ_ch V[ξ][t][ch] U[ξ][ch][k], the channels in ascending order */
AVX512 static void products(const float *v, const float *u, int c, int n, size_t tpad, float *y) {
  int panels = n / NR;
#pragma omp parallel for schedule(static)
  for (int job = 0; job < 36 * panels; job++) {
    int xi = job / panels, p = job % panels;
    const float *up = u + (size_t)xi * c * n + (size_t)p * NR;
    for (size_t t0 = 0; t0 < tpad; t0 += MR) {
      const float *vp = v + ((size_t)xi * tpad + t0) * c;
      __m512 acc[MR][2];
      for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
      for (int ch = 0; ch < c; ch++) {
        __m512 u0 = _mm512_loadu_ps(up + (size_t)ch * n), u1 = _mm512_loadu_ps(up + (size_t)ch * n + 16);
        for (int i = 0; i < MR; i++) {
          __m512 b = _mm512_set1_ps(vp[(size_t)i * c + ch]);
          acc[i][0] = _mm512_fmadd_ps(b, u0, acc[i][0]);
          acc[i][1] = _mm512_fmadd_ps(b, u1, acc[i][1]);
        }
      }
      float *yp = y + ((size_t)xi * tpad + t0) * n + (size_t)p * NR;
      for (int i = 0; i < MR; i++) {
        _mm512_storeu_ps(yp + (size_t)i * n, acc[i][0]);
        _mm512_storeu_ps(yp + (size_t)i * n + 16, acc[i][1]);
      }
    }
  }
}

/* One image's outputs from Y, plus the bias and, when `leaky`, oneDNN's leaky ReLU (0.1f, as
 * dnnl.c's LEAKY_ALPHA): NHWC, or NCHW channel by channel. */
AVX512 static void output_transform(const float *y, int h, int w, int n, size_t tpad, const float *bias, int leaky,
                                    int nhwc, float *out) {
  int tw = tiles_of(w), nt = tiles_of(h) * tw;
  const __m512 alpha = _mm512_set1_ps(0.1f), zero = _mm512_setzero_ps();
#pragma omp parallel for schedule(static)
  for (int t = 0; t < nt; t++) {
    int ty = t / tw, tx = t % tw;
    for (int k = 0; k < n; k += 16) {
      __m512 m[4][6];
      for (int j = 0; j < 6; j++) {
        __m512 col[6], r[4];
        for (int i = 0; i < 6; i++) col[i] = _mm512_loadu_ps(y + ((size_t)(i * 6 + j) * tpad + t) * n + k);
        at6(col, r);
        for (int i = 0; i < 4; i++) m[i][j] = r[i];
      }
      __m512 b = _mm512_loadu_ps(bias + k);
      for (int i = 0; i < 4 && 4 * ty + i < h; i++) {
        __m512 r[4];
        at6(m[i], r);
        int oy = 4 * ty + i;
        for (int j = 0; j < 4 && 4 * tx + j < w; j++) {
          __m512 o = _mm512_add_ps(r[j], b);
          if (leaky) o = _mm512_mask_mul_ps(o, _mm512_cmp_ps_mask(o, zero, _CMP_LT_OQ), o, alpha);
          int ox = 4 * tx + j;
          if (nhwc) {
            _mm512_storeu_ps(out + ((size_t)oy * w + ox) * n + k, o);
          } else {
            float lane[16];
            _mm512_storeu_ps(lane, o);
            for (int q = 0; q < 16; q++) out[(size_t)(k + q) * h * w + (size_t)oy * w + ox] = lane[q];
          }
        }
      }
    }
  }
}

/* NCHW → NHWC for one image */
static void to_nhwc(const float *in, int c, int spatial, float *out) {
#pragma omp parallel for schedule(static)
  for (int s = 0; s < spatial; s++)
    for (int ch = 0; ch < c; ch++) out[(size_t)s * c + ch] = in[(size_t)ch * spatial + s];
}

void dn_fast_conv_wino43(layer l, network net) {
  const float *u = dn_fast_weights(net.index);
  int src_nhwc = dn_fast_nhwc(&net, net.index - 1), dst_nhwc = dn_fast_nhwc(&net, net.index);
  size_t tpad = tiles_padded(l.h, l.w), spatial = (size_t)l.h * l.w;
  size_t workspace = 0; /* what parse_network_cfg allocated: the largest layer's need (fast.c checked) */
  for (int i = 0; i < net.n; i++)
    if (net.layers[i].workspace_size > workspace) workspace = net.layers[i].workspace_size;
  if (!net.workspace || dn_wino43_workspace(l.c, l.n, l.h, l.w) > workspace)
    dn_guard_fail("internal: layer %d's workspace is too small for Winograd F(4,3)", net.index);
  float *base = (float *)(((uintptr_t)net.workspace + 63) & ~(uintptr_t)63);
  float *v = base, *y = v + 36 * tpad * l.c, *nhwc_in = y + 36 * tpad * l.n;
  int leaky = l.activation == LEAKY;
  for (int b = 0; b < l.batch; b++) {
    const float *in = net.input + (size_t)b * l.c * spatial;
    if (!src_nhwc) {
      to_nhwc(in, l.c, (int)spatial, nhwc_in);
      in = nhwc_in;
    }
    input_transform(in, l.h, l.w, l.c, tpad, v);
    products(v, u, l.c, l.n, tpad, y);
    output_transform(y, l.h, l.w, l.n, tpad, l.biases, leaky, dst_nhwc, l.output + (size_t)b * l.n * spatial);
  }
  if (!leaky && l.activation != LINEAR) activate_array(l.output, l.batch * l.n * (int)spatial, l.activation);
}

#else

int dn_wino43_available(void) { return 0; }

void dn_fast_conv_wino43(layer l, network net) {
  (void)l;
  dn_guard_fail("internal: layer %d was given Winograd F(4,3) on a CPU without AVX-512", net.index);
}

#endif
