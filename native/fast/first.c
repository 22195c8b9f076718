/* The first convolution of an image network: 3×3, stride 1, pad 1, on 1–3 channels (the colour
 * planes), 16 filters (yolov3-tiny's). Its whole depth is c·9 ≤ 27 products per output, too
 * shallow for oneDNN's direct kernel to reach its speed (~120 GFLOP/s on this layer, where the
 * others run at ~350) or for Winograd; it is bound by writing its output (11 MB at 416). Measured
 * here: ~1.0 ms against oneDNN's ~1.25; with 32 filters (yolov3's first layer, two groups) it
 * was level with oneDNN, so only 16 are taken.
 *
 * Here the weights of a group of 16 filters live in registers, one vector per tap (c·9 ≤ 27
 * vectors), and each output pixel is 27 broadcasts of an input value times a vector of 16
 * filters: the 16 outputs of a pixel are one vector, which is the NHWC layout oneDNN and
 * Winograd read next (layout.c), so an NHWC output is stored as it is computed. The input is
 * NCHW (the network's own input), read through a zero-padded copy so that every window is in
 * bounds. Bias, then oneDNN's leaky ReLU (0.1f, as dnnl.c's LEAKY_ALPHA) or Darknet's other
 * activations after.
 *
 * Why the results do not depend on the thread count: threads take output rows as they come free
 * (dynamic schedule, as wino43.c); each output is one thread's sum over the channels and taps in
 * one fixed order. */
#include "first.h"

#include <stdint.h>
#include <string.h>

#include "guard/guard.h"
#include "layout.h"
#include "scratch.h"
#include "weights.h"

void activate_array(float *x, const int n, const ACTIVATION a);

#define MAX_C 3  /* channels: 27 weight vectors + 4 accumulators + 1 broadcast in 32 registers */
#define PIX 4    /* output pixels per step */

size_t dn_first_packed_floats(int n, int c) { return (size_t)9 * n * c; }

void dn_first_pack(const float *w, int n, int c, float *r) {
  for (int k = 0; k < n; k++)
    for (int q = 0; q < c * 9; q++) r[((size_t)(k / 16) * c * 9 + q) * 16 + k % 16] = w[(size_t)k * c * 9 + q];
}

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

int dn_first_fits(const layer *l) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && l->type == CONVOLUTIONAL && l->size == 3 && l->stride == 1 && l->pad == 1 &&
         l->groups == 1 && l->c >= 1 && l->c <= MAX_C && l->n == 16 && l->out_w == l->w &&
         l->out_h == l->h && !l->xnor && !l->binary;
}

/* One output row y of one image, one group g of 16 filters, from the padded input p (c planes of
 * (h+2) × (w+2)) */
AVX512 static inline void row_group(const float *p, int c, int h, int w, int y, const float *r, const float *bias, int leaky,
                                    int n, int g, int nhwc, float *out) {
  int pw = w + 2;
  size_t pplane = (size_t)(h + 2) * pw;
  __m512 wv[9 * MAX_C];
  for (int q = 0; q < c * 9; q++) wv[q] = _mm512_loadu_ps(r + (size_t)q * 16);
  const __m512 b = _mm512_loadu_ps(bias + 16 * g), alpha = _mm512_set1_ps(0.1f), zero = _mm512_setzero_ps();
  for (int x0 = 0; x0 < w; x0 += PIX) {
    int np = w - x0 < PIX ? w - x0 : PIX;
    __m512 acc[PIX];
    for (int i = 0; i < PIX; i++) acc[i] = b;
    for (int ch = 0; ch < c; ch++)
      for (int ky = 0; ky < 3; ky++) {
        const float *row = p + ch * pplane + (size_t)(y + ky) * pw + x0;
        for (int kx = 0; kx < 3; kx++) {
          __m512 wk = wv[ch * 9 + ky * 3 + kx];
          for (int i = 0; i < PIX; i++) acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(row[i + kx]), wk, acc[i]);
        }
      }
    for (int i = 0; i < np; i++) {
      __m512 o = acc[i];
      if (leaky) o = _mm512_mask_mul_ps(o, _mm512_cmp_ps_mask(o, zero, _CMP_LT_OQ), o, alpha);
      size_t pix = (size_t)y * w + x0 + i;
      if (nhwc) {
        _mm512_storeu_ps(out + pix * n + 16 * g, o);
      } else {
        float lane[16];
        _mm512_storeu_ps(lane, o);
        for (int k = 0; k < 16; k++) out[(size_t)(16 * g + k) * h * w + pix] = lane[k];
      }
    }
  }
}

/* One image: each thread takes whole output rows, every group of 16 filters in turn (the row's
 * outputs stay in cache between the groups) */
AVX512 static void one_image(const float *p, int c, int h, int w, const float *r, const float *bias, int leaky, int n, int nhwc,
                         float *out) {
#pragma omp parallel for schedule(dynamic, 4)
  for (int y = 0; y < h; y++)
    for (int g = 0; g < n / 16; g++) row_group(p, c, h, w, y, r + (size_t)g * c * 9 * 16, bias, leaky, n, g, nhwc, out);
}

void dn_fast_conv_first(layer l, network net) {
  const float *r = dn_fast_weights(net.index);
  int dst_nhwc = dn_fast_nhwc(&net, net.index);
  int h = l.h, w = l.w, c = l.c, pw = w + 2;
  size_t pplane = (size_t)(h + 2) * pw, spatial = (size_t)h * w;
  /* PIX - 1 floats of slack after the last row: the last step of a row reads past its end (into
   * the next row or the slack; those lanes are not stored) */
  float *p = (float *)dn_scratch_for(&net, (c * pplane + PIX) * sizeof(float) + 64);
  int leaky = l.activation == LEAKY;
  for (int b = 0; b < l.batch; b++) {
    const float *in = net.input + (size_t)b * c * spatial;
    memset(p, 0, (c * pplane + PIX) * sizeof(float));
#pragma omp parallel for schedule(static) if (spatial * c >= 32768)
    for (int cy = 0; cy < c * h; cy++) {
      int ch = cy / h, y = cy % h;
      memcpy(p + ch * pplane + (size_t)(y + 1) * pw + 1, in + ch * spatial + (size_t)y * w, (size_t)w * sizeof(float));
    }
    one_image(p, c, h, w, r, l.biases, leaky, l.n, dst_nhwc, l.output + (size_t)b * l.n * spatial);
  }
  if (!leaky && l.activation != LINEAR) activate_array(l.output, l.batch * l.n * (int)spatial, l.activation);
}

#else

int dn_first_fits(const layer *l) {
  (void)l;
  return 0;
}

void dn_fast_conv_first(layer l, network net) {
  (void)l;
  dn_guard_fail("internal: layer %d was given the AVX-512 first-layer kernel on another CPU", net.index);
}

#endif
