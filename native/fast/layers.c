/* The forward functions fast numerics put in place of Darknet's (the policy that chooses them is
 * fast.c). Each computes what Darknet's layer computes; see fast.c for what moves numbers. */
#include "layers.h"

#include <float.h>
#include <math.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "direct.h"
#include "im2col.h"
#include "layout.h"
#include "logistic.h"
#include "matmul.h"
#include "weights.h"
#include "winograd.h"

/* Darknet's, declared only in its src/ headers. */
void activate_array(float *x, const int n, const ACTIVATION a);

/* Below this many floats a parallel region costs more than it saves. */
#define PAR_MIN 32768

/* Darknet's forward_yolo_layer at inference: a copy of the input with the logistic on the x, y
 * and objectness/class planes of every anchor (logistic.c; w and h copied raw), the planes split
 * over threads (the training-only delta clearing and cost are skipped: nothing reads them, and
 * the pass does not clear the delta either, ops/pass.c). */
void dn_fast_yolo(const layer l, network net) {
  size_t plane = (size_t)l.w * l.h;
  int per_anchor = 4 + 1 + l.classes;
  int tasks = l.batch * l.n * per_anchor;
#pragma omp parallel for schedule(static) if ((size_t)tasks * plane >= PAR_MIN)
  for (int t = 0; t < tasks; t++) {
    int entry = t % per_anchor, bn = t / per_anchor;
    size_t at = (size_t)(bn / l.n) * l.outputs + ((size_t)(bn % l.n) * per_anchor + entry) * plane;
    if (entry == 2 || entry == 3) memcpy(l.output + at, net.input + at, plane * sizeof(float));
    else dn_logistic(net.input + at, l.output + at, (int)plane);
  }
}

static void im2col_parallel(const float *im, int channels, int h, int w, int size, int stride, int pad, int out_w,
                            int y0, int y1, float *col) {
  size_t total = (size_t)channels * size * size * (y1 - y0) * out_w;
#pragma omp parallel if (total >= PAR_MIN)
  {
    int nt = 1, t = 0;
#ifdef _OPENMP
    nt = omp_get_num_threads();
    t = omp_get_thread_num();
#endif
    int c0 = (int)((long)channels * t / nt), c1 = (int)((long)channels * (t + 1) / nt);
    dn_im2col_rows(im, c0, c1, h, w, size, stride, pad, out_w, y0, y1, (size_t)(y1 - y0) * out_w, col);
  }
}

/* Darknet's activations are a switch per element; the common ones here, with the same
 * expressions (leaky's .1 is a double, as in activations.h), others through activate_array. */
static void activate_plane(float *x, int n, ACTIVATION a) {
  switch (a) {
    case LINEAR: return;
    case LEAKY:
      for (int i = 0; i < n; i++) x[i] = (x[i] > 0) ? x[i] : .1 * x[i];
      return;
    case RELU:
      for (int i = 0; i < n; i++) x[i] = x[i] * (x[i] > 0);
      return;
    default: activate_array(x, n, a);
  }
}

static void activate_planes(float *out, int planes, int spatial, ACTIVATION a) {
  if (a == LINEAR) return;
#pragma omp parallel for schedule(static) if ((size_t)planes * spatial >= PAR_MIN)
  for (int p = 0; p < planes; p++) activate_plane(out + (size_t)p * spatial, spatial, a);
}

/* add_bias + activate_array per filter plane (the same two operations in the same order). */
static void bias_activate(float *out, const float *bias, int batch, int filters, int spatial, ACTIVATION a) {
  int planes = batch * filters;
  int par = (size_t)planes * spatial >= PAR_MIN;
#pragma omp parallel for schedule(static) if (par)
  for (int p = 0; p < planes; p++) {
    float *x = out + (size_t)p * spatial;
    float b = bias[p % filters];
    for (int i = 0; i < spatial; i++) x[i] += b;
    activate_plane(x, spatial, a);
  }
}

/* Channels per pass of maxpool_nhwc's running maxima (on the stack). */
#define POOL_CHANNELS 256

/* Darknet's maxpool where the input or the output is NHWC (layout.c): each output is the same
 * comparisons of the same values in the same window order, so the same bytes; with NHWC input
 * the comparisons run along contiguous channels. A window tap outside the image is skipped: it
 * is Darknet's -FLT_MAX, which never wins (the running maximum starts at -FLT_MAX and a NaN
 * never replaces it). Split over output rows. */
static void maxpool_nhwc(const layer *l, const float *in, float *out, int in_nhwc, int out_nhwc) {
  int C = l->c, H = l->h, W = l->w, oh = l->out_h, ow = l->out_w, off = -l->pad / 2, rows = l->batch * oh;
  size_t in_c = in_nhwc ? 1 : (size_t)H * W, out_c = out_nhwc ? 1 : (size_t)oh * ow;
  if (in_nhwc && out_nhwc && l->size == 2 && l->stride == 2 && off == 0 && 2 * ow <= W && 2 * oh <= H) {
    /* 2×2/2 windows inside the image (yolov3-tiny's): the four taps in Darknet's order */
#pragma omp parallel for schedule(static) if ((size_t)rows * ow * C >= PAR_MIN)
    for (int r = 0; r < rows; r++) {
      int b = r / oh, i = r % oh;
      for (int j = 0; j < ow; j++) {
        const float *p0 = in + (((size_t)b * H + 2 * i) * W + 2 * j) * C, *p1 = p0 + C, *p2 = p0 + (size_t)W * C, *p3 = p2 + C;
        float *q = out + (((size_t)b * oh + i) * ow + j) * C;
        for (int c = 0; c < C; c++) {
          float max = -FLT_MAX, v;
          v = p0[c]; max = (v > max) ? v : max;
          v = p1[c]; max = (v > max) ? v : max;
          v = p2[c]; max = (v > max) ? v : max;
          v = p3[c]; max = (v > max) ? v : max;
          q[c] = max;
        }
      }
    }
    return;
  }
#pragma omp parallel for schedule(static) if ((size_t)rows * ow * C >= PAR_MIN)
  for (int r = 0; r < rows; r++) {
    int b = r / oh, i = r % oh;
    float mx[POOL_CHANNELS];
    for (int j = 0; j < ow; j++)
      for (int c0 = 0; c0 < C; c0 += POOL_CHANNELS) {
        int nc = C - c0 < POOL_CHANNELS ? C - c0 : POOL_CHANNELS;
        for (int c = 0; c < nc; c++) mx[c] = -FLT_MAX;
        for (int n = 0; n < l->size; n++)
          for (int m = 0; m < l->size; m++) {
            int y = off + i * l->stride + n, x = off + j * l->stride + m;
            if (y < 0 || y >= H || x < 0 || x >= W) continue;
            const float *p = in_nhwc ? in + (((size_t)b * H + y) * W + x) * C + c0 : in + ((size_t)b * C + c0) * H * W + (size_t)y * W + x;
            for (int c = 0; c < nc; c++) {
              float v = p[c * in_c];
              mx[c] = (v > mx[c]) ? v : mx[c];
            }
          }
        float *q = out_nhwc ? out + (((size_t)b * oh + i) * ow + j) * C + c0 : out + ((size_t)b * C + c0) * oh * ow + (size_t)i * ow + j;
        for (int c = 0; c < nc; c++) q[c * out_c] = mx[c];
      }
  }
}

/* Darknet's forward_maxpool_layer, split over channels (the argmax indexes only serve backward). */
void dn_fast_maxpool(const layer l, network net) {
  int in_nhwc = dn_fast_nhwc(&net, net.index - 1), out_nhwc = dn_fast_nhwc(&net, net.index);
  if (in_nhwc || out_nhwc) {
    maxpool_nhwc(&l, net.input, l.output, in_nhwc, out_nhwc);
    return;
  }
  int w_offset = -l.pad / 2, h_offset = -l.pad / 2;
  int oh = l.out_h, ow = l.out_w, planes = l.batch * l.c;
  if (l.size == 2 && l.stride == 2 && w_offset == 0 && h_offset == 0 && 2 * ow <= l.w && 2 * oh <= l.h) {
    /* every window inside the image: the same comparisons in the same order, no bounds tests */
#pragma omp parallel for schedule(static) if ((size_t)planes * oh * ow >= PAR_MIN)
    for (int p = 0; p < planes; p++) {
      const float *in = net.input + (size_t)p * l.h * l.w;
      float *out = l.output + (size_t)p * oh * ow;
      for (int i = 0; i < oh; i++) {
        const float *r0 = in + (size_t)2 * i * l.w, *r1 = r0 + l.w;
        for (int j = 0; j < ow; j++) {
          float max = -FLT_MAX, v;
          v = r0[2 * j]; max = (v > max) ? v : max;
          v = r0[2 * j + 1]; max = (v > max) ? v : max;
          v = r1[2 * j]; max = (v > max) ? v : max;
          v = r1[2 * j + 1]; max = (v > max) ? v : max;
          out[(size_t)i * ow + j] = max;
        }
      }
    }
    return;
  }
#pragma omp parallel for schedule(static) if ((size_t)planes * oh * ow >= PAR_MIN)
  for (int p = 0; p < planes; p++) {
    const float *in = net.input + (size_t)p * l.h * l.w;
    float *out = l.output + (size_t)p * oh * ow;
    for (int i = 0; i < oh; i++)
      for (int j = 0; j < ow; j++) {
        float max = -FLT_MAX;
        for (int n = 0; n < l.size; n++)
          for (int m = 0; m < l.size; m++) {
            int cur_h = h_offset + i * l.stride + n, cur_w = w_offset + j * l.stride + m;
            int valid = cur_h >= 0 && cur_h < l.h && cur_w >= 0 && cur_w < l.w;
            float val = valid ? in[cur_w + l.w * cur_h] : -FLT_MAX;
            max = (val > max) ? val : max;
          }
        out[j + ow * i] = max;
      }
  }
}

/* A big im2col matrix (yolov3's first layers: 50 MB) would be written to memory and read back
 * by sgemm's packing. Above BAND_BYTES it is built and multiplied in bands of output rows that
 * stay in the last-level cache. */
#define BAND_BYTES (4u << 20)

void dn_fast_conv_gemm(layer l, network net) {
  int m = l.n / l.groups, k = l.size * l.size * l.c / l.groups, n = l.out_w * l.out_h;
  int rows = l.out_h;
  if (l.size != 1 && (size_t)k * n * sizeof(float) > BAND_BYTES) {
    rows = (int)(BAND_BYTES / sizeof(float) / k / l.out_w);
    if (rows < 1) rows = 1;
  }
  for (int i = 0; i < l.batch; i++)
    for (int j = 0; j < l.groups; j++) {
      float *a = l.weights + (size_t)j * l.nweights / l.groups;
      float *c = l.output + ((size_t)i * l.groups + j) * n * m;
      float *im = net.input + ((size_t)i * l.groups + j) * l.c / l.groups * l.h * l.w;
      /* Darknet's own condition: a 1×1 kernel reads the input as is (whatever its stride). */
      if (l.size == 1) {
        dn_matmul(m, n, k, a, k, im, n, c, n);
        continue;
      }
      for (int y0 = 0; y0 < l.out_h; y0 += rows) {
        int y1 = y0 + rows < l.out_h ? y0 + rows : l.out_h, nn = (y1 - y0) * l.out_w;
        im2col_parallel(im, l.c / l.groups, l.h, l.w, l.size, l.stride, l.pad, l.out_w, y0, y1, net.workspace);
        dn_matmul(m, nn, k, a, k, net.workspace, nn, c + (size_t)y0 * l.out_w, n);
      }
    }
  bias_activate(l.output, l.biases, l.batch, l.n, n, l.activation);
}

/* The layer's transformed weights come from the side table (weights.h): Darknet's own weights
 * were freed when they were transformed. */
void dn_fast_conv_winograd(layer l, network net) {
  for (int i = 0; i < l.batch; i++)
    dn_winograd_conv(net.input + (size_t)i * l.c * l.h * l.w, dn_fast_weights(net.index), l.biases,
                     l.output + (size_t)i * l.outputs, l.c, l.n, l.h, l.w, net.workspace);
  activate_planes(l.output, l.batch * l.n, l.out_h * l.out_w, l.activation);
}

static void activate_row(void *ctx, float *row, int n) { activate_plane(row, n, *(const ACTIVATION *)ctx); }

void dn_fast_conv_direct(layer l, network net) {
  int k = l.c * l.size * l.size, threads = 1;
#ifdef _OPENMP
  threads = omp_get_max_threads();
#endif
  /* Each thread's row buffer must fit in the workspace Darknet sized for this layer: fewer
   * threads where they do not (the sums are the same), im2col + sgemm only where one does not. */
  size_t one = dn_direct_workspace(k, l.out_w, 1);
  if (one > l.workspace_size) {
    dn_fast_conv_gemm(l, net);
    return;
  }
  if ((size_t)threads * one > l.workspace_size) threads = (int)(l.workspace_size / one);
  ACTIVATION a = l.activation;
  for (int i = 0; i < l.batch; i++)
    dn_direct_conv(net.input + (size_t)i * l.c * l.h * l.w, dn_fast_weights(net.index), l.biases, l.output + (size_t)i * l.outputs,
                   l.c, l.h, l.w, l.n, l.size, l.stride, l.pad, l.out_h, l.out_w, threads, net.workspace, activate_row,
                   &a);
}

/* Positions per task of the transposing shortcut: in and add rows of this many positions × all
 * channels are read once while each channel's plane is written. */
#define SHORTCUT_SPAN 256

void dn_fast_shortcut(const layer l, network net) {
  const float *add = net.layers[l.index].output;
  size_t count = (size_t)l.outputs * l.batch;
  float s1 = l.alpha, s2 = l.beta;
  const float *in = net.input;
  float *out = l.output;
  if (dn_fast_nhwc(&net, net.index - 1) && !dn_fast_nhwc(&net, net.index)) {
    /* both operands NHWC (layout.c), the output read as NCHW: the same sum of the same two
     * floats, stored transposed */
    int c = l.out_c, spatial = l.out_w * l.out_h, spans = (spatial + SHORTCUT_SPAN - 1) / SHORTCUT_SPAN;
    int tasks = l.batch * spans;
#pragma omp parallel for schedule(static) if (count >= PAR_MIN)
    for (int t = 0; t < tasks; t++) {
      int b = t / spans, i0 = t % spans * SHORTCUT_SPAN, i1 = i0 + SHORTCUT_SPAN < spatial ? i0 + SHORTCUT_SPAN : spatial;
      size_t image = (size_t)b * c * spatial;
      for (int k = 0; k < c; k++) {
        float *d = out + image + (size_t)k * spatial;
        const float *x = in + image + k, *y = add + image + k;
        for (int i = i0; i < i1; i++) d[i] = s1 * x[(size_t)i * c] + s2 * y[(size_t)i * c];
      }
    }
  } else {
    /* the same layout in and out (NCHW, or NHWC for all three): elementwise */
#pragma omp parallel for schedule(static) if (count >= PAR_MIN)
    for (size_t i = 0; i < count; i++) out[i] = s1 * in[i] + s2 * add[i];
  }
  if (l.activation != LINEAR) activate_plane(l.output, (int)count, l.activation);
}
