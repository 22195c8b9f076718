/* Fast numerics for inference networks on the CPU (the default; `numerics: 'reference'` skips
 * all of this). Darknet's parser, network wiring, box decoding and NMS are untouched; the forward
 * functions of the layers that dominate a YOLO pass are replaced by these:
 *
 *   [convolutional]  batch-norm folded into the weights and biases once at load time, then one of
 *                    - Winograd F(2×2,3×3) (winograd.c) for 3×3 stride-1 layers with ≥ 64 input
 *                      channels: 16 instead of 36 products per 2×2 outputs, 16 BLAS products;
 *                    - a direct kernel by output rows (direct.c) for shallow kernels (c·size² ≤
 *                      576: the first layers), where im2col + sgemm is memory-bound;
 *                    - im2col by rows (memcpy for stride 1, in cache-sized bands) + OpenBLAS's
 *                      sgemm (Darknet's gemm without OpenBLAS) for the rest (1×1 layers: no im2col);
 *                    bias + activation split over filters.
 *   [shortcut]       same-shaped residual sums in one parallel pass instead of three serial ones.
 *   [maxpool]        Darknet's loop split over channels (2×2/2 windows without bounds tests).
 *   [yolo]           the logistic planes split over threads (Darknet's activate_array on each).
 *
 * What moves numbers: folding, Winograd's transforms and the blocked products reassociate sums;
 * raw outputs move by ~3e-5 and detections match reference numerics (test/fast.test.ts). The
 * maxpool, shortcut, activations and every parallel split are bit-identical to Darknet's loops.
 * `DARKNET_NODE_PROFILE=1` prints per-layer times of every pass. */
#include "fast.h"

#include <float.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <math.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif
#if DN_BLAS
#include <cblas.h> /* openblas_get_config */
#endif

#include "direct.h"
#include "guard.h"
#include "im2col.h"
#include "matmul.h"
#include "ops_internal.h"
#include "winograd.h"

/* Darknet's, declared only in its src/ headers. */
void activate_array(float *x, const int n, const ACTIVATION a);
void forward_convolutional_layer(layer l, network net);
void forward_shortcut_layer(const layer l, network net);
void forward_maxpool_layer(const layer l, network net);

/* Below this many floats a parallel region costs more than it saves. */
#define PAR_MIN 32768

/* Darknet's forward_yolo_layer at inference: a copy of the input, then the logistic on the x, y
 * and objectness/class planes of every anchor, each plane by Darknet's activate_array, split
 * over threads (the training-only delta clearing and cost are skipped: nothing reads them). */
static void forward_yolo_fast(const layer l, network net) {
  size_t plane = (size_t)l.w * l.h;
  memcpy(l.output, net.input, (size_t)l.outputs * l.batch * sizeof(float));
  int per_anchor = 2 + 1 + l.classes; /* x, y, then objectness and classes (w, h stay raw) */
  int tasks = l.batch * l.n * per_anchor;
#pragma omp parallel for schedule(static) if ((size_t)tasks * plane >= PAR_MIN)
  for (int t = 0; t < tasks; t++) {
    int e = t % per_anchor, bn = t / per_anchor;
    int b = bn / l.n, n = bn % l.n;
    int entry = e < 2 ? e : e + 2;
    float *x = l.output + (size_t)b * l.outputs + (size_t)n * plane * (4 + l.classes + 1) + (size_t)entry * plane;
    activate_array(x, (int)plane, LOGISTIC);
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

/* Darknet's forward_maxpool_layer, split over channels (the argmax indexes only serve backward). */
static void forward_maxpool_fast(const layer l, network net) {
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

static void forward_conv_fast(layer l, network net) {
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

/* 3×3 stride-1 layers with enough input channels for the transforms to pay off. The transformed
 * weights live in the layer's weight_updates array, which inference networks never use, and
 * replace the original weights (freed). */
#define WINOGRAD_MIN_C 64

static void forward_conv_winograd(layer l, network net) {
  for (int i = 0; i < l.batch; i++)
    dn_winograd_conv(net.input + (size_t)i * l.c * l.h * l.w, l.weight_updates, l.biases,
                     l.output + (size_t)i * l.outputs, l.c, l.n, l.h, l.w, net.workspace);
  activate_planes(l.output, l.batch * l.n, l.out_h * l.out_w, l.activation);
}

/* Up to this kernel depth (c·size²) the row-by-row direct kernel beats im2col + sgemm. */
#define DIRECT_MAX_K 576

static void activate_row(void *ctx, float *row, int n) { activate_plane(row, n, *(const ACTIVATION *)ctx); }

static void forward_conv_direct(layer l, network net) {
  int k = l.c * l.size * l.size, threads = 1;
#ifdef _OPENMP
  threads = omp_get_max_threads();
#endif
  /* Each thread's row buffer must fit in the workspace Darknet sized for this layer: fewer
   * threads where they do not (the sums are the same), im2col + sgemm only where one does not. */
  size_t one = dn_direct_workspace(k, l.out_w, 1);
  if (one > l.workspace_size) {
    forward_conv_fast(l, net);
    return;
  }
  if ((size_t)threads * one > l.workspace_size) threads = (int)(l.workspace_size / one);
  ACTIVATION a = l.activation;
  for (int i = 0; i < l.batch; i++)
    dn_direct_conv(net.input + (size_t)i * l.c * l.h * l.w, l.weight_updates, l.biases, l.output + (size_t)i * l.outputs,
                   l.c, l.h, l.w, l.n, l.size, l.stride, l.pad, l.out_h, l.out_w, threads, net.workspace, activate_row,
                   &a);
}

static int direct_fits(const layer *l) {
  return l->groups == 1 && l->size > 1 && l->c * l->size * l->size <= DIRECT_MAX_K && !l->weight_updates;
}

size_t dn_fast_extra_floats(const layer *l) {
  if (l->forward == forward_conv_winograd) return (size_t)16 * l->n * l->c;
  if (l->forward == forward_conv_direct) return dn_direct_packed_floats(l->n, l->c * l->size * l->size);
  return 0;
}

/* The transformed weights are 16/9 the size of the weights they replace, and the deep, small
 * maps at the end of a backbone (yolov3's 13×13 stage) hold most of a network's weights while
 * gaining least (a 7×7 tile grid pads 13 to 14 and makes thin products). Layers are converted
 * largest map first while the extra memory stays within this share of the network's weights:
 * all of yolov3-tiny's, yolov3's down to part of its 13×13 stage (+~120 MB). */
#define WINOGRAD_EXTRA_SHARE 0.55

static int winograd_fits(const layer *l, size_t workspace) {
  return l->size == 3 && l->stride == 1 && l->pad == 1 && l->groups == 1 && l->c >= WINOGRAD_MIN_C &&
         l->out_w == l->w && l->out_h == l->h && !l->weight_updates &&
         dn_winograd_workspace(l->c, l->n, l->h, l->w) <= workspace;
}

static void forward_shortcut_fast(const layer l, network net) {
  const float *add = net.layers[l.index].output;
  size_t count = (size_t)l.outputs * l.batch;
  float s1 = l.alpha, s2 = l.beta;
  const float *in = net.input;
  float *out = l.output;
#pragma omp parallel for schedule(static) if (count >= PAR_MIN)
  for (size_t i = 0; i < count; i++) out[i] = s1 * in[i] + s2 * add[i];
  if (l.activation != LINEAR) activate_plane(l.output, (int)count, l.activation);
}

/* Darknet's forward_batchnorm_layer at inference: y = (x − mean)/(√var + .000001)·scale + bias. */
static void fold_batchnorm(layer *l) {
  int per_filter = l->nweights / l->n;
  for (int f = 0; f < l->n; f++) {
    float s = l->scales[f] / (sqrtf(l->rolling_variance[f]) + .000001f);
    float *w = l->weights + (size_t)f * per_filter;
    for (int i = 0; i < per_filter; i++) w[i] *= s;
    l->biases[f] -= l->rolling_mean[f] * s;
  }
  l->batch_normalize = 0;
}

static int plain_conv(const layer *l) {
  return l->type == CONVOLUTIONAL && !l->xnor && !l->binary && l->forward == forward_convolutional_layer &&
         l->n % l->groups == 0 && l->c % l->groups == 0;
}

static void make_winograd(layer *l) {
  l->weight_updates = dn_malloc((size_t)16 * l->n * l->c * sizeof(float));
  dn_winograd_weights(l->weights, l->n, l->c, l->weight_updates);
  l->forward = forward_conv_winograd;
  /* only the transformed weights are read from now on */
  dn_free(l->weights);
  l->weights = NULL;
}

void dn_make_fast(struct dn_network *h) {
  network *net = h->net;
  size_t workspace = 0; /* what parse_network_cfg allocated: the largest layer's need */
  double weights = 0;
  for (int i = 0; i < net->n; i++) {
    if (net->layers[i].workspace_size > workspace) workspace = net->layers[i].workspace_size;
    weights += net->layers[i].nweights;
  }
  /* Winograd candidates, largest map first (stable), within the memory share */
  int *cand = dn_malloc((size_t)net->n * sizeof(int));
  int ncand = 0;
  for (int i = 0; i < net->n; i++) {
    layer *l = &net->layers[i];
    if (!plain_conv(l) || !winograd_fits(l, workspace)) continue;
    int j = ncand++;
    while (j > 0 && net->layers[cand[j - 1]].w * net->layers[cand[j - 1]].h < l->w * l->h) { cand[j] = cand[j - 1]; j--; }
    cand[j] = i;
  }
  double extra = 0;
  for (int j = 0; j < ncand; j++) {
    layer *l = &net->layers[cand[j]];
    double more = 7.0 * l->n * l->c; /* 16 − 9 floats per filter and channel */
    if (extra + more > WINOGRAD_EXTRA_SHARE * weights) continue;
    extra += more;
    if (l->batch_normalize) fold_batchnorm(l);
    make_winograd(l);
  }
  dn_free(cand);
  for (int i = 0; i < net->n; i++) {
    layer *l = &net->layers[i];
    if (l->forward == forward_conv_winograd) continue;
    if (plain_conv(l)) {
      if (l->batch_normalize) fold_batchnorm(l);
      l->forward = forward_conv_fast;
      if (direct_fits(l)) {
        int k = l->c * l->size * l->size;
        l->weight_updates = dn_malloc(dn_direct_packed_floats(l->n, k) * sizeof(float));
        dn_direct_pack(l->weights, l->n, k, l->weight_updates);
        l->forward = forward_conv_direct;
      }
    } else if (l->type == SHORTCUT && l->forward == forward_shortcut_layer && l->w == l->out_w && l->h == l->out_h &&
               l->c == l->out_c) {
      l->forward = forward_shortcut_fast;
    } else if (l->type == YOLO && net->gpu_index < 0) {
      l->forward = forward_yolo_fast;
    } else if (l->type == MAXPOOL && l->forward == forward_maxpool_layer) {
      l->forward = forward_maxpool_fast;
    }
  }
  h->fast = 1;
}

int dn_blas_name(char *out, size_t len) {
#if DN_BLAS
  snprintf(out, len, "%s (kernels: %s)", openblas_get_config(), openblas_get_corename());
  return 1;
#else
  snprintf(out, len, "none (Darknet's gemm)");
  return 0;
#endif
}

void dn_set_threads(int threads) {
#ifdef _OPENMP
  /* The OpenMP thread count is a per-thread setting: this sets it for the calling libuv worker
   * (and, in OpenBLAS's OpenMP build, for the sgemm it calls). */
  omp_set_num_threads(threads > 0 ? threads : omp_get_num_procs());
#else
  (void)threads;
#endif
}

/* libgomp ends the process (gomp_fatal) when it cannot create a team's threads. Asking the OS
 * for them first, all alive at once, when a thread count is set turns a refusal into an error. */
typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t go;
  int released;
} hold;

static void *held_thread(void *arg) {
  hold *h = arg;
  pthread_mutex_lock(&h->lock);
  while (!h->released) pthread_cond_wait(&h->go, &h->lock);
  pthread_mutex_unlock(&h->lock);
  return NULL;
}

int dn_threads_grantable(int threads, char *err, size_t errlen) {
  if (threads <= 1) return 0;
  pthread_t *t = calloc((size_t)threads - 1, sizeof *t);
  if (!t) { snprintf(err, errlen, "out of memory"); return -1; }
  hold h = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
  int made = 0, rc = 0;
  for (; made < threads - 1; made++) {
    rc = pthread_create(&t[made], NULL, held_thread, &h);
    if (rc != 0) break;
  }
  pthread_mutex_lock(&h.lock);
  h.released = 1;
  pthread_cond_broadcast(&h.go);
  pthread_mutex_unlock(&h.lock);
  for (int i = 0; i < made; i++) pthread_join(t[i], NULL);
  free(t);
  if (rc != 0) snprintf(err, errlen, "the system refused thread %d of %d: %s", made + 2, threads, strerror(rc));
  return rc != 0 ? -1 : 0;
}

int dn_default_threads(void) {
#ifdef _OPENMP
  return omp_get_num_procs();
#else
  return 1;
#endif
}

/* DARKNET_NODE_PROFILE=1: Darknet's forward_network, timed layer by layer, the table printed
 * to stderr after each pass (used to find where a forward pass spends its time). */
static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int dn_profile_enabled(void) {
  static int enabled = -1;
  if (enabled < 0) {
    const char *v = getenv("DARKNET_NODE_PROFILE");
    enabled = v && *v && strcmp(v, "0") != 0;
  }
  return enabled;
}

void dn_predict_profiled(network *netp, float *input) {
  network orig = *netp;
  netp->input = input;
  netp->truth = 0;
  netp->train = 0;
  netp->delta = 0;
  network net = *netp;
  double total = 0, gflop = 0;
  fprintf(stderr, "darknet-node profile (%d threads)\n",
#ifdef _OPENMP
          omp_get_max_threads()
#else
          1
#endif
  );
  for (int i = 0; i < net.n; i++) {
    net.index = i;
    layer l = net.layers[i];
    if (l.delta) fill_cpu(l.outputs * l.batch, 0, l.delta, 1);
    double t0 = now_ms();
    l.forward(l, net);
    double dt = now_ms() - t0;
    total += dt;
    double gf = l.type == CONVOLUTIONAL ? 2.0 * l.n * l.size * l.size * l.c / l.groups * l.out_h * l.out_w * l.batch / 1e9 : 0;
    gflop += gf;
    fprintf(stderr, "%4d %-14s %4dx%4dx%4d -> %4dx%4dx%4d %8.2f ms", i, dn_layer_type_name(l.type), l.w, l.h, l.c, l.out_w,
            l.out_h, l.out_c, dt);
    if (gf > 0) fprintf(stderr, "  %6.1f GFLOP/s", gf / dt * 1e3);
    fprintf(stderr, "\n");
    net.input = l.output;
  }
  fprintf(stderr, "total %.2f ms, %.2f GFLOP, %.1f GFLOP/s\n", total, gflop, gflop / total * 1e3);
  *netp = orig;
}
