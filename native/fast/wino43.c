/* Winograd F(4×4, 3×3) for 3×3 stride-1 pad-1 convolutions in fast numerics, on AVX-512 (Lavin &
 * Gray, "Fast Algorithms for Convolutional Neural Networks", 2016). Each 4×4 block of outputs
 * takes 36 products per input channel instead of 144: the 36 positions ξ of a 6×6 transformed
 * tile are 36 independent matrix products V[ξ] (tiles × channels) · U[ξ] (channels × filters).
 *
 *   U = G g Gᵀ,  V = Bᵀ d B,  Y = Aᵀ (U ⊙ V) A   with
 *   Bᵀ = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
 *   G  = [¼ 0 0; -⅙ -⅙ -⅙; -⅙ ⅙ -⅙; 1/24 1/12 ⅙; 1/24 -1/12 ⅙; 0 0 1]
 *   Aᵀ = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
 *
 * U is made during the pass, never stored: it is 36/9 = 4× the layer's weights (+156 MB for
 * yolov3's 26×26 stage alone), and reading it from memory would cost more than making it. Each
 * task (a panel of 32 filters, a row i of ξ) transforms its 6 × c × 32 corner of U from the
 * packed weights into a per-thread buffer that stays in L2, then runs its six products: ~54
 * vector operations per channel against 6 × tiles × 2 multiply-adds, and the weights read once
 * per pass as a direct convolution reads them.
 *
 * Why the results do not depend on the thread count: threads split tiles (transforms) and
 * (panel, row) pairs (products); U is a fixed expression of the weights, every output one
 * thread's sum over the channels in ascending order, then the same fixed transform. Which thread
 * takes which task does not matter, so tasks are handed out as threads come free (dynamic
 * schedules): on a shared machine one thread's core is often taken away for a while, and with
 * fixed shares the other then waits at the end of each loop. Accuracy:
 * the transforms' constants (up to 8 and 1/24) cost ~1e-5 relative per layer (yolov3-416's 36
 * such layers: raw outputs within 4e-5 of reference numerics).
 *
 * Layout: tensors are NHWC (a vector of 16 channels per load), as oneDNN's convolutions keep them
 * between layers (layout.c): an NCHW input is transposed first, an NCHW output written channel by
 * channel. The transformed input, the products and U's per-thread corners live in the pass's
 * scratch (scratch.c). */
#include "wino43.h"

#include <stdint.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "guard/guard.h"
#include "layout.h"
#include "scratch.h"
#include "weights.h"

void activate_array(float *x, const int n, const ACTIVATION a);

#define MR 8  /* tiles per product block */
#define NR 32 /* filters per product block: two vectors */

static int tiles_of(int side) { return (side + 3) / 4; }
static size_t tiles_padded(int h, int w) { return ((size_t)tiles_of(h) * tiles_of(w) + MR - 1) / MR * MR; }

/* U's corner for one task: six positions × c channels × 32 filters */
static size_t corner_floats(int c) { return (size_t)6 * c * NR; }

size_t dn_wino43_workspace(int c, int n, int h, int w, int threads) {
  size_t v_y_in = (size_t)36 * tiles_padded(h, w) * ((size_t)c + n) + (size_t)h * w * c;
  return (v_y_in + (size_t)threads * corner_floats(c)) * sizeof(float) + 2 * 64;
}

int dn_wino43_filters_ok(int n) { return n % NR == 0; }

double dn_wino43_products_share(int h, int w) { return 36.0 * tiles_padded(h, w) / (9.0 * h * w); }

size_t dn_wino43_packed_floats(int n, int c) { return (size_t)9 * n * c; }

void dn_wino43_pack(const float *w, int n, int c, float *r) {
#pragma omp parallel for schedule(static)
  for (int k = 0; k < n; k++)
    for (int ch = 0; ch < c; ch++)
      for (int q = 0; q < 9; q++)
        r[(((size_t)(k / NR) * c + ch) * 9 + q) * NR + k % NR] = w[((size_t)k * c + ch) * 9 + q];
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
#pragma omp parallel for schedule(dynamic, 4)
  for (int64_t t = 0; t < (int64_t)tpad; t++) {
    int ty = (int)(t / tw), tx = (int)(t % tw);
    /* a tile wholly inside the image (most of them) loads without bounds tests */
    int interior = t < nt && ty > 0 && tx > 0 && 4 * ty + 5 <= h && 4 * tx + 5 <= w;
    const float *corner = interior ? in + ((size_t)(4 * ty - 1) * w + 4 * tx - 1) * c : NULL;
    for (int ch = 0; ch < c; ch += 16) {
      __m512 m[6][6];
      for (int j = 0; j < 6; j++) {
        __m512 col[6], r[6];
        int x = 4 * tx - 1 + j;
        for (int i = 0; i < 6; i++) {
          int y = 4 * ty - 1 + i;
          if (interior) col[i] = _mm512_loadu_ps(corner + ((size_t)i * w + j) * c + ch);
          else col[i] = t < nt && y >= 0 && y < h && x >= 0 && x < w ? _mm512_loadu_ps(in + ((size_t)y * w + x) * c + ch)
                                                                     : _mm512_setzero_ps();
        }
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

/* y[t][0..31] (rows n apart) = Σ_ch v[t][ch] u[ch][0..31] (rows us apart) for the tpad tiles of
 * one position ξ, the channels in ascending order; pf_lines cache lines from pf prefetched on the
 * way (pf may be NULL) */
AVX512 static inline void panel_products(const float *v, const float *u, size_t us, int c, int n, size_t tpad, float *y,
                                         const char *pf, int pf_lines) {
  for (size_t t0 = 0; t0 < tpad; t0 += MR) {
    const float *vp = v + t0 * c;
    __m512 acc[MR][2];
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int ch = 0; ch < c; ch++) {
      if (pf && t0 == 0 && ch < pf_lines) _mm_prefetch(pf + (size_t)ch * 64, _MM_HINT_T1);
      __m512 u0 = _mm512_loadu_ps(u + (size_t)ch * us), u1 = _mm512_loadu_ps(u + (size_t)ch * us + 16);
      for (int i = 0; i < MR; i++) {
        __m512 b = _mm512_set1_ps(vp[(size_t)i * c + ch]);
        acc[i][0] = _mm512_fmadd_ps(b, u0, acc[i][0]);
        acc[i][1] = _mm512_fmadd_ps(b, u1, acc[i][1]);
      }
    }
    float *yp = y + t0 * n;
    for (int i = 0; i < MR; i++) {
      _mm512_storeu_ps(yp + (size_t)i * n, acc[i][0]);
      _mm512_storeu_ps(yp + (size_t)i * n + 16, acc[i][1]);
    }
  }
}

/* Row i of G x for a column x of three vectors (G's rows: ¼ x0; −⅙ (x0 + x2) ∓ ⅙ x1;
 * (x0/24 + x2/6) ± x1/12; x2), and all six rows: g_col's expressions are g_row's. */
AVX512 static inline __m512 g_row(int i, __m512 x0, __m512 x1, __m512 x2) {
  switch (i) {
    case 0: return _mm512_mul_ps(x0, _mm512_set1_ps(0.25f));
    case 1:
    case 2: {
      __m512 p = _mm512_mul_ps(_mm512_add_ps(x0, x2), _mm512_set1_ps(-1.f / 6)), q = _mm512_mul_ps(x1, _mm512_set1_ps(1.f / 6));
      return i == 1 ? _mm512_sub_ps(p, q) : _mm512_add_ps(p, q);
    }
    case 3:
    case 4: {
      __m512 s = _mm512_fmadd_ps(x0, _mm512_set1_ps(1.f / 24), _mm512_mul_ps(x2, _mm512_set1_ps(1.f / 6)));
      __m512 w = _mm512_mul_ps(x1, _mm512_set1_ps(1.f / 12));
      return i == 3 ? _mm512_add_ps(s, w) : _mm512_sub_ps(s, w);
    }
    default: return x2;
  }
}

AVX512 static inline void g_col(const __m512 x[3], __m512 r[6]) {
  __m512 p = _mm512_mul_ps(_mm512_add_ps(x[0], x[2]), _mm512_set1_ps(-1.f / 6)), q = _mm512_mul_ps(x[1], _mm512_set1_ps(1.f / 6));
  __m512 s = _mm512_fmadd_ps(x[0], _mm512_set1_ps(1.f / 24), _mm512_mul_ps(x[2], _mm512_set1_ps(1.f / 6)));
  __m512 w = _mm512_mul_ps(x[1], _mm512_set1_ps(1.f / 12));
  r[0] = _mm512_mul_ps(x[0], _mm512_set1_ps(0.25f));
  r[1] = _mm512_sub_ps(p, q);
  r[2] = _mm512_add_ps(p, q);
  r[3] = _mm512_add_ps(s, w);
  r[4] = _mm512_sub_ps(s, w);
  r[5] = x[2];
}

/* Y[ξ][t][k] = Σ_ch V[ξ][t][ch] U[ξ][ch][k], U's corner for each task (a row i of ξ, a panel of
 * 32 filters) made first from the packed weights r[panel][ch][9][32] (G g Gᵀ in float, in a fixed
 * order) into the thread's ub. */
AVX512 static void products(const float *v, const float *r, int c, int n, size_t tpad, float *y, float *ub_all) {
  int panels = n / NR;
  /* consecutive tasks share a panel's weights (its six rows in turn) or a row of V (the panels in
   * turn), the larger of the two give or take: by panel measured faster up to 26×26 maps (56
   * tiles), by row from 52×52 */
  int by_panel = (size_t)6 * tpad <= (size_t)12 * NR;
  /* six tasks at a time: by panel, a whole panel */
#pragma omp parallel for schedule(dynamic, 6)
  for (int job = 0; job < 6 * panels; job++) {
    int p = by_panel ? job / 6 : job % panels, i = by_panel ? job % 6 : job / panels;
    int me = 0;
#ifdef _OPENMP
    me = omp_get_thread_num();
#endif
    float *ub = ub_all + (size_t)me * corner_floats(c);
    const float *rp = r + (size_t)p * c * 9 * NR;
    for (int ch = 0; ch < c; ch++) {
      const float *g = rp + (size_t)ch * 9 * NR;
      for (int h = 0; h < 2; h++) {
        __m512 t[3], u[6];
        for (int b = 0; b < 3; b++)
          t[b] = g_row(i, _mm512_loadu_ps(g + b * NR + 16 * h), _mm512_loadu_ps(g + (3 + b) * NR + 16 * h),
                       _mm512_loadu_ps(g + (6 + b) * NR + 16 * h));
        g_col(t, u);
        for (int j = 0; j < 6; j++) _mm512_storeu_ps(ub + ((size_t)j * c + ch) * NR + 16 * h, u[j]);
      }
    }
    for (int j = 0; j < 6; j++) {
      int xi = i * 6 + j;
      /* by panel, the next panel's weights (often this thread's next task) are fetched during
       * these products, 1/36 of them each */
      int lines = c * NR / 64; /* the next panel's c · 9 · NR floats over 36 calls */
      const char *pf = by_panel && p + 1 < panels ? (const char *)(r + (size_t)(p + 1) * c * 9 * NR) + (size_t)xi * lines * 64 : NULL;
      panel_products(v + (size_t)xi * tpad * c, ub + (size_t)j * c * NR, NR, c, n, tpad,
                     y + (size_t)xi * tpad * n + (size_t)p * NR, pf, lines);
    }
  }
}

/* One image's outputs from Y, plus the bias and, when `leaky`, oneDNN's leaky ReLU (0.1f, as
 * dnnl.c's LEAKY_ALPHA): NHWC, or NCHW channel by channel. */
AVX512 static void output_transform(const float *y, int h, int w, int n, size_t tpad, const float *bias, int leaky,
                                    int nhwc, float *out) {
  int tw = tiles_of(w), nt = tiles_of(h) * tw;
  const __m512 alpha = _mm512_set1_ps(0.1f), zero = _mm512_setzero_ps();
#pragma omp parallel for schedule(dynamic, 2)
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
  const float *r = dn_fast_weights(net.index);
  int src_nhwc = dn_fast_nhwc(&net, net.index - 1), dst_nhwc = dn_fast_nhwc(&net, net.index);
  size_t tpad = tiles_padded(l.h, l.w), spatial = (size_t)l.h * l.w;
  int team = 1;
#ifdef _OPENMP
  team = omp_get_max_threads();
#endif
  float *base = (float *)dn_scratch_for(&net, dn_wino43_workspace(l.c, l.n, l.h, l.w, team));
  float *v = base, *y = v + 36 * tpad * l.c, *nhwc_in = y + 36 * tpad * l.n;
  float *ub = (float *)(((uintptr_t)(nhwc_in + spatial * l.c) + 63) & ~(uintptr_t)63);
  int leaky = l.activation == LEAKY;
  for (int b = 0; b < l.batch; b++) {
    const float *in = net.input + (size_t)b * l.c * spatial;
    if (!src_nhwc) {
      to_nhwc(in, l.c, (int)spatial, nhwc_in);
      in = nhwc_in;
    }
    input_transform(in, l.h, l.w, l.c, tpad, v);
    products(v, r, l.c, l.n, tpad, y, ub);
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
