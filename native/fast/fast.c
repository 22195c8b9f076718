/* Fast numerics for inference networks on the CPU (the default; `numerics: 'reference'` skips
 * all of this). Darknet's parser, network wiring, box decoding and NMS are untouched; the forward
 * functions of the layers that dominate a YOLO pass are replaced by these:
 *
 *   [convolutional]  batch-norm folded into the weights and biases once at load time, then one of
 *                    - Winograd F(4×4,3×3) on AVX-512 (wino43.c) for 3×3 stride-1 layers with
 *                      ≥ 64 input channels on maps it tiles well (below), where oneDNN runs the
 *                      rest: 36 instead of 144 products per 4×4 outputs, no extra memory;
 *                    - a 3×3 kernel for a first layer of 16 filters on ≤ 3 channels (first.c) on
 *                      AVX-512, its weight vectors in registers, writing NHWC as it computes;
 *                    - oneDNN's direct kernels (dnnl.c), for every other ungrouped convolution,
 *                      where libdnnl.so.2 can be loaded (then none of the kernels below runs);
 *                    - Winograd F(2×2,3×3) (winograd.c) for 3×3 stride-1 layers with ≥ 64 input
 *                      channels: 16 instead of 36 products per 2×2 outputs, 16 BLAS products;
 *                    - a direct kernel by output rows (direct.c) for shallow kernels (c·size² ≤
 *                      576: the first layers), where im2col + sgemm is memory-bound;
 *                    - im2col by rows (memcpy for stride 1, in cache-sized bands) + OpenBLAS's
 *                      sgemm (Darknet's gemm without OpenBLAS) for the rest (1×1 layers: no im2col);
 *                    bias + activation split over filters.
 *   [shortcut]       same-shaped residual sums in one parallel pass instead of three serial ones.
 *   [maxpool]        Darknet's loop split over channels (2×2/2 windows without bounds tests).
 *   [yolo]           the logistic planes on 16 lanes (logistic.c), split over threads.
 *   [route], [upsample]  Darknet's copies split over threads, in either layout (reshape.c).
 *
 * What moves numbers: folding, Winograd's transforms (F(4,3)'s constants up to 8 and 1/24 cost
 * ~1e-5 relative per layer) and the blocked products reassociate sums;
 * oneDNN's fused leaky ReLU multiplies by 0.1f where Darknet multiplies by the double 0.1 (one
 * ulp on ~20 % of negative outputs, dnnl.c); the heads' logistic is a float exponential (≤ 2 ulp
 * from Darknet's double one, logistic.c); raw outputs move by ~4e-5 and detections match
 * reference numerics (test/native/fast.test.ts). The maxpool, shortcut, the other activations
 * and every parallel split are bit-identical to Darknet's loops.
 * This file is the policy (which layer gets which kernel, what memory that may cost); the
 * kernels are dnnl.c, wino43.c, layers.c, logistic.c, direct.c, winograd.c, im2col.c and matmul.c, and
 * the transformed weights live in the network's side table (weights.h). */
#include "fast.h"

#include <math.h>

#include "guard/guard.h"
#include "layers.h"
#include "direct.h"
#include "dnnl.h"
#include "first.h"
#include "reshape.h"
#include "winograd.h"
#include "wino43.h"

/* Darknet's, declared only in its src/ headers. */
void forward_convolutional_layer(layer l, network net);
void forward_shortcut_layer(const layer l, network net);
void forward_maxpool_layer(const layer l, network net);
void forward_route_layer(const layer l, network net);
void forward_upsample_layer(const layer l, network net);

static int direct_fits(const layer *l) {
  return l->groups == 1 && l->size > 1 && l->c * l->size * l->size <= DN_DIRECT_MAX_K;
}

/* The transformed weights are 16/9 the size of the weights they replace, and the deep, small
 * maps at the end of a backbone (yolov3's 13×13 stage) hold most of a network's weights while
 * gaining least (a 7×7 tile grid pads 13 to 14 and makes thin products). Layers are converted
 * largest map first while the extra memory stays within this share of the network's weights:
 * all of yolov3-tiny's, yolov3's down to part of its 13×13 stage (+~120 MB). */
#define WINOGRAD_EXTRA_SHARE 0.55

/* Winograd F(4,3) makes its transformed weights during the pass (wino43.c), so it costs no memory
 * and takes every 3×3 stride-1 layer of ≥ 64 channels whose map it tiles well: its products per
 * output (36 per 6×6 tile, the tiles padded to the kernel's blocks) at most this share of a direct
 * convolution's 9. Measured against oneDNN's direct kernel on 512→1024 / 256→512 / 128→256
 * layers: 13×13 maps (16 tiles, 0.38 of direct) 10–15 % faster, 26×26 (0.33) ~40 %, 52×52 ~2×;
 * 10×10 (yolov3-320's deepest, 0.64) 30 % slower, so left to oneDNN. */
#define WINO43_MAX_PRODUCTS 0.45

static int wino43_fits(const layer *l) {
  return l->size == 3 && l->stride == 1 && l->pad == 1 && l->groups == 1 && l->c >= DN_WINOGRAD_MIN_C &&
         l->c % 16 == 0 && dn_wino43_filters_ok(l->n) && l->out_w == l->w && l->out_h == l->h &&
         dn_wino43_products_share(l->h, l->w) <= WINO43_MAX_PRODUCTS;
}

/* The layer's weights replaced by their Winograd transform in the side table: only those are
 * read from now on. */
static void winograd_weights(dn_fast_table *t, int i, layer *l, size_t floats,
                             void (*transform)(const float *, int, int, float *), void (*forward)(layer, network)) {
  float *u = dn_malloc(floats * sizeof(float));
  transform(l->weights, l->n, l->c, u);
  dn_fast_table_set(t, i, u, floats);
  l->forward = forward;
  dn_free(l->weights);
  l->weights = NULL;
}

/* Layers i (plain convolutions that fit) sorted by map size, largest first (stable). */
static int by_map_size(const network *net, int *cand, int ncand, int i) {
  const layer *l = &net->layers[i];
  int j = ncand;
  while (j > 0 && net->layers[cand[j - 1]].w * net->layers[cand[j - 1]].h < l->w * l->h) { cand[j] = cand[j - 1]; j--; }
  cand[j] = i;
  return ncand + 1;
}

static int winograd_fits(const layer *l, size_t workspace) {
  return l->size == 3 && l->stride == 1 && l->pad == 1 && l->groups == 1 && l->c >= DN_WINOGRAD_MIN_C &&
         l->out_w == l->w && l->out_h == l->h &&
         dn_winograd_workspace(l->c, l->n, l->h, l->w) <= workspace;
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

static void make_wino43(dn_fast_table *t, int i, layer *l) {
  if (l->batch_normalize) fold_batchnorm(l);
  winograd_weights(t, i, l, dn_wino43_packed_floats(l->n, l->c), dn_wino43_pack, dn_fast_conv_wino43);
}

static void make_first(dn_fast_table *t, int i, layer *l) {
  if (l->batch_normalize) fold_batchnorm(l);
  winograd_weights(t, i, l, dn_first_packed_floats(l->n, l->c), dn_first_pack, dn_fast_conv_first);
}

static int plain_conv(const layer *l) {
  return l->type == CONVOLUTIONAL && !l->xnor && !l->binary && l->forward == forward_convolutional_layer &&
         l->n % l->groups == 0 && l->c % l->groups == 0;
}

static void make_winograd(dn_fast_table *t, int i, layer *l) {
  winograd_weights(t, i, l, (size_t)16 * l->n * l->c, dn_winograd_weights, dn_fast_conv_winograd);
}

static void make_direct(dn_fast_table *t, int i, layer *l) {
  int k = l->c * l->size * l->size;
  size_t floats = dn_direct_packed_floats(l->n, k);
  float *packed = dn_malloc(floats * sizeof(float));
  dn_direct_pack(l->weights, l->n, k, packed);
  dn_fast_table_set(t, i, packed, floats);
  l->forward = dn_fast_conv_direct;
}

/* Converts the candidates (largest map first) whose extra floats — `grow` per filter and channel
 * beyond the 9 they replace — keep the total within `share` of the network's weights. */
static void convert_within(network *net, dn_fast_table *t, const int *cand, int ncand, double grow, double share,
                           double weights, void (*make)(dn_fast_table *, int, layer *)) {
  double extra = 0;
  for (int j = 0; j < ncand; j++) {
    layer *l = &net->layers[cand[j]];
    double more = grow * l->n * l->c;
    if (extra + more > share * weights) continue;
    extra += more;
    if (l->batch_normalize) fold_batchnorm(l);
    make(t, cand[j], l);
  }
}

dn_fast_table *dn_make_fast(network *net) {
  dn_fast_table *t = dn_fast_table_new(net->n);
  size_t workspace = 0; /* what parse_network_cfg allocated: the largest layer's need */
  double weights = 0;
  for (int i = 0; i < net->n; i++) {
    if (net->layers[i].workspace_size > workspace) workspace = net->layers[i].workspace_size;
    weights += net->layers[i].nweights;
  }
  int *cand = dn_malloc((size_t)net->n * sizeof(int));
  int ncand = 0;
  /* Winograd F(4,3) beside oneDNN (it keeps oneDNN's NHWC between layers), no memory beyond the
   * weights it replaces */
  if (dn_dnnl_available() && dn_wino43_available())
    for (int i = 0; i < net->n; i++)
      if (plain_conv(net->layers + i) && wino43_fits(net->layers + i)) make_wino43(t, i, net->layers + i);
  /* the first layer's kernel, in the same NHWC domain */
  if (dn_dnnl_available())
    for (int i = 0; i < net->n; i++)
      if (plain_conv(net->layers + i) && !dn_fast_table_has(t, i) && dn_first_fits(net->layers + i)) make_first(t, i, net->layers + i);
  /* oneDNN, where it is loaded, takes every other plain convolution it can run */
  if (dn_dnnl_available())
    for (int i = 0; i < net->n; i++) {
      layer *l = &net->layers[i];
      if (!plain_conv(l) || l->groups != 1 || dn_fast_table_has(t, i)) continue;
      if (l->batch_normalize) fold_batchnorm(l);
      dn_dnnl_prepare(t, i, l);
    }
  /* Winograd F(2,3) (without oneDNN): 16 − 9 more floats per filter and channel */
  ncand = 0;
  for (int i = 0; i < net->n; i++) {
    layer *l = &net->layers[i];
    if (!plain_conv(l) || dn_fast_table_has(t, i) || !winograd_fits(l, workspace)) continue;
    ncand = by_map_size(net, cand, ncand, i);
  }
  convert_within(net, t, cand, ncand, 7.0, WINOGRAD_EXTRA_SHARE, weights, make_winograd);
  dn_free(cand);
  for (int i = 0; i < net->n; i++) {
    layer *l = &net->layers[i];
    if (dn_fast_table_has(t, i)) continue; /* oneDNN or Winograd */
    if (plain_conv(l)) {
      if (l->batch_normalize) fold_batchnorm(l);
      l->forward = dn_fast_conv_gemm;
      if (direct_fits(l)) make_direct(t, i, l);
    } else if (l->type == SHORTCUT && l->forward == forward_shortcut_layer && l->w == l->out_w && l->h == l->out_h &&
               l->c == l->out_c) {
      l->forward = dn_fast_shortcut;
    } else if (l->type == YOLO) {
      l->forward = dn_fast_yolo;
    } else if (l->type == ROUTE && l->forward == forward_route_layer && dn_fast_route_fits(net, l)) {
      l->forward = dn_fast_route;
    } else if (l->type == UPSAMPLE && l->forward == forward_upsample_layer && dn_fast_upsample_fits(l)) {
      l->forward = dn_fast_upsample;
    } else if (l->type == MAXPOOL && l->forward == forward_maxpool_layer) {
      l->forward = dn_fast_maxpool;
    }
  }
  return t;
}

const char *dn_fast_kernel_name(const layer *l) {
  void (*fn)(layer, network) = l->forward;
  if (fn == dn_fast_conv_dnnl) return "onednn";
  if (fn == dn_fast_conv_wino43) return "winograd4x4";
  if (fn == dn_fast_conv_first) return "first3x3";
  if (fn == dn_fast_conv_winograd) return "winograd2x2";
  if (fn == dn_fast_conv_direct) return "direct";
  if (fn == dn_fast_conv_gemm) return "gemm";
  if (fn == (void (*)(layer, network))dn_fast_shortcut || fn == (void (*)(layer, network))dn_fast_maxpool ||
      fn == (void (*)(layer, network))dn_fast_yolo || fn == (void (*)(layer, network))dn_fast_route ||
      fn == (void (*)(layer, network))dn_fast_upsample)
    return "fast";
  return "darknet";
}
