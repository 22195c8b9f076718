/* Darknet calls for the bridge. Each public function runs its Darknet work inside dn_guard_call. */
#include "ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include "fast.h"
#include "guard.h"
#include "letterbox.h"
#include "nms.h"
#include "ops_internal.h"

/* Darknet's layer_name() misses upsample, l2norm, logistic, … ("none"): name them all. */
const char *dn_layer_type_name(LAYER_TYPE t) {
  switch (t) {
    case CONVOLUTIONAL: return "convolutional";
    case DECONVOLUTIONAL: return "deconvolutional";
    case CONNECTED: return "connected";
    case MAXPOOL: return "maxpool";
    case SOFTMAX: return "softmax";
    case DETECTION: return "detection";
    case DROPOUT: return "dropout";
    case CROP: return "crop";
    case ROUTE: return "route";
    case COST: return "cost";
    case NORMALIZATION: return "normalization";
    case AVGPOOL: return "avgpool";
    case LOCAL: return "local";
    case SHORTCUT: return "shortcut";
    case ACTIVE: return "activation";
    case RNN: return "rnn";
    case GRU: return "gru";
    case LSTM: return "lstm";
    case CRNN: return "crnn";
    case BATCHNORM: return "batchnorm";
    case REGION: return "region";
    case YOLO: return "yolo";
    case ISEG: return "iseg";
    case REORG: return "reorg";
    case UPSAMPLE: return "upsample";
    case LOGXENT: return "logistic";
    case L2NORM: return "l2norm";
    default: return "none";
  }
}

typedef struct {
  const char *cfg, *weights;
  const dn_load_opts *o;
  struct dn_network *h;
} load_ctx;

#ifdef GPU
void cuda_set_device(int n);
cublasHandle_t blas_handle(void);
#ifdef CUDNN
cudnnHandle_t cudnn_handle(void);
#endif
#endif

static void do_parse(void *p) {
  load_ctx *c = p;
#ifdef GPU
  cuda_set_device(c->o->device); /* check_error → a guarded error, not an exit */
  /* cuda.c creates each device's cuBLAS and cuDNN handles on first use, unsynchronized (static
   * init flags): make that first use here, under the construction lock, before any forward
   * pass of another thread can race it. */
  blas_handle();
#ifdef CUDNN
  cudnn_handle();
#endif
#endif
  c->h->net = parse_network_cfg((char *)c->cfg);
}

static void do_weights_and_lean(void *p) {
  load_ctx *c = p;
  if (c->weights) dn_read_weights(c->h->net, c->weights, c->o->weight_layers, c->o->progress, c->o->progress_ctx);
  if (c->o->lean) dn_make_lean(c->h);
  /* Fast numerics fold batch-norm into the weights: inference-only, CPU-only networks. */
  if (c->o->lean && c->o->fast && c->o->device < 0) dn_make_fast(c->h);
}

int dn_load(const char *cfg, const char *weights, const dn_load_opts *o, dn_network **out, char *err, size_t errlen) {
  *out = NULL;
  int device = o->device;
#ifndef GPU
  if (device >= 0) {
    snprintf(err, errlen, "this build of darknet-node has no CUDA support (rebuild with DARKNET_GPU=ON)");
    return -1;
  }
#else
  /* darknet_gpu.node runs GPU networks only: a CUDA build of Darknet allocates device memory in
   * every layer constructor and trains through the global gpu_index, so CPU networks live in
   * darknet.node (lib/native.ts routes them there). */
  if (device < 0) {
    snprintf(err, errlen, "the GPU addon runs GPU networks only (CPU networks load in darknet.node)");
    return -1;
  }
  if (device >= dn_device_count()) {
    snprintf(err, errlen, "CUDA device %d does not exist (%d visible)", device, dn_device_count());
    return -1;
  }
#endif
  struct dn_network *h = calloc(1, sizeof *h);
  if (!h) { snprintf(err, errlen, "out of memory"); return -1; }
  h->threads = o->threads;
  h->device = device;
  load_ctx c = {cfg, weights, o, h};
  /* Construction is serialized (GPU builds switch the global gpu_index for it); the skip-init
   * flag and the rand() stream make_yolo_layer reseeds are this thread's own (rand.c). Reading
   * weights (most of a load) runs in parallel. */
  pthread_mutex_lock(&dn_parse_lock);
  /* A prefix file leaves the later layers as initialised: they must be drawn. */
  dn_g_skip_thread = weights && o->weight_layers <= 0 ? DN_THREAD_ID() : NULL;
#ifdef GPU
  /* parse_network_cfg copies the global gpu_index into the network and allocates on the current
   * device: set both for this network only, and restore them for the next. */
  int saved_gpu = gpu_index;
  gpu_index = device;
#endif
  int rc = dn_guard_call(do_parse, &c, err, errlen);
#ifdef GPU
  gpu_index = saved_gpu;
#endif
  dn_g_skip_thread = NULL;
  pthread_mutex_unlock(&dn_parse_lock);
  if (rc == 0 && dn_guard_call(do_weights_and_lean, &c, err, errlen) != 0) {
    dn_free_network(h);
    return -1;
  }
  if (rc != 0) { free(h); return -1; }
  *out = h;
  return 0;
}

/* free_network() leaves the workspace, yolo masks, LR schedule and counters behind: a few MB per
 * load/dispose cycle in a long-running process. Free them before handing over. */
void dn_free_network(dn_network *h) {
  if (!h) return;
  network *net = h->net;
  if (net) {
    dn_release_lean(h);
    for (int i = 0; i < net->n; i++) {
      layer *l = &net->layers[i];
      if ((l->type == YOLO || l->type == REGION) && l->mask) { dn_free(l->mask); l->mask = NULL; }
      if (l->loss) { dn_free(l->loss); l->loss = NULL; } /* softmax's, not freed by free_layer (found by fuzzing) */
    }
    dn_free(net->workspace); net->workspace = NULL;
    dn_free(net->seen); dn_free(net->t); dn_free(net->cost);
    dn_free(net->steps); dn_free(net->scales);
    net->seen = NULL; net->t = NULL; net->cost = NULL; net->steps = NULL; net->scales = NULL;
    free_network(net);
  }
  free(h->scratch);
  free(h);
}

int dn_input_size(const dn_network *h) { return h->net->inputs; }

int dn_threads(const dn_network *h) { return h->threads > 0 ? h->threads : dn_default_threads(); }
int dn_check_threads(int threads, char *err, size_t errlen) {
  return dn_threads_grantable(threads > 0 ? threads : dn_default_threads(), err, errlen);
}
void dn_set_network_threads(dn_network *h, int threads) { h->threads = threads; }
int dn_is_fast(const dn_network *h) { return h->fast; }

int dn_net_dims(const dn_network *hd, int *w, int *h, int *c, int *batch) {
  const network *net = hd->net;
  *w = net->w; *h = net->h; *c = net->c; *batch = net->batch;
  return net->n;
}

int dn_layer_count(const dn_network *h) { return h->net->n; }

void dn_layer_info_at(const dn_network *h, int i, dn_layer_info *o) {
  const layer *l = &h->net->layers[i];
  memset(o, 0, sizeof *o);
  strncpy(o->type, dn_layer_type_name(l->type), sizeof o->type - 1);
  o->w = l->w; o->h = l->h; o->c = l->c;
  o->out_w = l->out_w; o->out_h = l->out_h; o->out_c = l->out_c;
  o->n = l->n; o->size = l->size; o->stride = l->stride; o->batch = l->batch;
  o->outputs = l->outputs; o->classes = l->classes; o->total = l->total;
  if (l->type == YOLO && l->mask) {
    o->nmask = l->n < 16 ? l->n : 16;
    for (int k = 0; k < o->nmask; k++) o->mask[k] = l->mask[k];
  }
}

const float *dn_layer_output(const dn_network *h, int i, size_t *len) {
  const layer *l = &h->net->layers[i];
  *len = (size_t)l->outputs * (size_t)l->batch;
  return l->output;
}

void dn_network_memory(const dn_network *h, dn_memory *out) { dn_account(h, out); }

int dn_gpu_compiled(void) {
#ifdef GPU
  return 1;
#else
  return 0;
#endif
}

int dn_cudnn_compiled(void) {
#ifdef CUDNN
  return 1;
#else
  return 0;
#endif
}

int dn_device_count(void) {
#ifdef GPU
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) return 0;
  return n;
#else
  return 0;
#endif
}

void dn_device_at(int i, dn_device_info *o) {
  memset(o, 0, sizeof *o);
#ifdef GPU
  struct cudaDeviceProp p;
  if (cudaGetDeviceProperties(&p, i) != cudaSuccess) return;
  strncpy(o->name, p.name, sizeof o->name - 1);
  o->memory = p.totalGlobalMem;
  o->major = p.major;
  o->minor = p.minor;
#else
  (void)i;
#endif
}

size_t dn_cudnn_version(void) {
#ifdef CUDNN
  return cudnnGetVersion();
#else
  return 0;
#endif
}

/* ---- forward ---- */

typedef struct {
  network *net;
  float *input;
} forward_ctx;

static void do_forward(void *p) {
  forward_ctx *c = p;
  if (dn_profile_enabled()) dn_predict_profiled(c->net, c->input);
  else network_predict(c->net, c->input);
}

int dn_forward(dn_network *h, const float *input, size_t len, char *err, size_t errlen) {
  (void)len; /* checked by the caller against dn_input_size × batch */
  forward_ctx c = {h->net, (float *)input};
  dn_set_threads(h->threads);
  return dn_guard_call(do_forward, &c, err, errlen);
}

/* ---- detect ---- */

typedef struct {
  struct dn_network *h;
  const dn_image_in *images;
  int k;
  int letterbox;
  float thresh, hier, nms;
  dn_boxes *out;
  int shifted; /* the batch item the heads point at while decoding (0 otherwise) */
} detect_ctx;

static int is_head(const layer *l) { return l->type == YOLO || l->type == REGION || l->type == DETECTION; }

/* yolo_num_detections counts `objectness > thresh` but get_yolo_detections skips only
 * `<= thresh`, so a NaN objectness is written past the end of the detection array (heap
 * overflow). Non-finite outputs mean corrupt weights anyway: refuse them. */
static void check_finite_heads(const network *net, int k) {
  for (int i = 0; i < net->n; i++) {
    const layer *l = &net->layers[i];
    if (!is_head(l)) continue;
    for (size_t j = 0; j < (size_t)l->outputs * k; j++)
      if (!isfinite(l->output[j]))
        dn_guard_fail("network output of layer %d (%s) is not finite: the weights are corrupt or diverged",
                      i, dn_layer_type_name(l->type));
  }
}

static void check_image(const network *net, const dn_image_in *im, int letterbox) {
  /* resize_image divides by (new size - 1): a side of 1 pixel makes its sampling index NaN and
   * reads far out of bounds (found by fuzzing). Letterboxing a very thin image, or a network
   * 1 pixel wide, gets there; compute the sizes exactly as letterbox_image does. */
  int new_w = net->w, new_h = net->h;
  if (letterbox) {
    if (((float)net->w / im->w) < ((float)net->h / im->h)) new_h = (im->h * net->w) / im->w;
    else new_w = (im->w * net->h) / im->h;
  }
  if (new_w < 2 || new_h < 2)
    dn_guard_fail("a %dx%d image cannot be %s to %dx%d: Darknet's resize needs at least 2 pixels per side",
                  im->w, im->h, letterbox ? "letterboxed" : "resized", new_w, new_h);
}

/* Runs k ≤ batch images. On the CPU the layers are told the batch is k (every buffer was sized
 * for the full batch, so a smaller one fits); a GPU network's cuDNN descriptors are fixed to the
 * full batch, so the unused slots are zero-filled and computed. */
void dn_set_layers_batch(network *net, int b) {
  net->batch = b;
  for (int i = 0; i < net->n; i++) net->layers[i].batch = b;
}

/* get_network_boxes reads batch item 0 only, and treats a batch of 2 as an image and its mirror
 * (avg_flipped_yolo): the heads are pointed at item b's slice and told the batch is 1 while it
 * decodes (dn_detect puts both back, also after a failure). */
static void shift_heads(network *net, int b) {
  for (int i = 0; i < net->n; i++) {
    layer *l = &net->layers[i];
    if (!is_head(l)) continue;
    l->output += (long)b * l->outputs;
    l->batch = 1;
  }
}

static void decode(detect_ctx *c, int b) {
  network *net = c->h->net;
  const dn_image_in *in = &c->images[b];
  shift_heads(net, b);
  c->shifted = b;
  /* Without letterboxing the boxes are already relative to the whole image: pass the network's
   * own size so that correct_yolo_boxes' letterbox correction is the identity. */
  int iw = c->letterbox ? in->w : net->w, ih = c->letterbox ? in->h : net->h;
  int nboxes = 0;
  detection *dets = get_network_boxes(net, iw, ih, c->thresh, c->hier, 0, 1, &nboxes);
  shift_heads(net, -b);
  c->shifted = 0;
  int classes = net->layers[net->n - 1].classes;
  /* dn_nms_sort leaves exactly what do_nms_sort would, without its classes × n² loop (seconds
   * for the thousands of candidates of an untrained network); Darknet's runs if it is short of memory */
  if (c->nms > 0 && dn_nms_sort(dets, nboxes, classes, c->nms) != 0) do_nms_sort(dets, nboxes, classes, c->nms);
  size_t stride = 5 + (size_t)classes;
  float *data = dn_malloc((nboxes ? nboxes : 1) * stride * sizeof(float));
  for (int i = 0; i < nboxes; i++) {
    float *row = data + i * stride;
    row[0] = dets[i].bbox.x; row[1] = dets[i].bbox.y; row[2] = dets[i].bbox.w; row[3] = dets[i].bbox.h;
    row[4] = dets[i].objectness;
    memcpy(row + 5, dets[i].prob, classes * sizeof(float));
  }
  free_detections(dets, nboxes);
  c->out[b] = (dn_boxes){data, nboxes, classes};
}

static void do_detect(void *p) {
  detect_ctx *c = p;
  network *net = c->h->net;
  /* The images below have 3 channels; a network reading more would read past them. */
  if (net->c != 3) dn_guard_fail("the network takes %d input channels; detection feeds 3 (RGB)", net->c);
  int full = net->batch;
  if (c->k < 1 || c->k > full) dn_guard_fail("%d images for a network of batch %d", c->k, full);
  for (int b = 0; b < c->k; b++) check_image(net, &c->images[b], c->letterbox);

  /* Darknet's load_image_color + letterbox_image (or resize_image), written straight into the
   * network's input slots (letterbox.c: same arithmetic, no allocation) */
  int inputs = net->inputs;
  for (int b = 0; b < c->k; b++) {
    const dn_image_in *im = &c->images[b];
    dn_letterbox(im->pixels, im->w, im->h, im->c, net->w, net->h, c->letterbox, net->input + (size_t)b * inputs, c->h->scratch);
  }
  int run = c->h->device >= 0 ? full : c->k;
  if (run > c->k) memset(net->input + (size_t)c->k * inputs, 0, (size_t)(run - c->k) * inputs * sizeof(float));
  if (run != full) dn_set_layers_batch(net, run);
  if (dn_profile_enabled()) dn_predict_profiled(net, net->input);
  else network_predict(net, net->input);
  check_finite_heads(net, c->k);
  for (int b = 0; b < c->k; b++) decode(c, b);
}

/* 50 MB. A 1920 × 1080 photo's buffers at 608 (3·1920·1080 + 3·608·1080 ≈ 8.2 M floats) stay;
 * a 4K frame's (30 M floats) are returned after the call. */
#define DN_SCRATCH_KEEP_FLOATS ((size_t)12 << 20)

int dn_detect(dn_network *hd, const dn_image_in *images, int k, int letterbox, float thresh, float hier, float nms,
              dn_boxes *out, char *err, size_t errlen) {
  memset(out, 0, (size_t)(k > 0 ? k : 0) * sizeof *out);
  if (dn_reserve_scratch(hd, images, k, err, errlen) != 0) return -1;
  detect_ctx ctx = {hd, images, k, letterbox, thresh, hier, nms, out, 0};
  int full = hd->net->batch;
  dn_set_threads(hd->threads);
  int rc = dn_guard_call(do_detect, &ctx, err, errlen);
  /* the heads and the full batch are put back here, also when the guard unwound past do_detect */
  if (ctx.shifted) shift_heads(hd->net, -ctx.shifted);
  dn_set_layers_batch(hd->net, full);
  /* a failed call's allocations, results decoded so far included, were freed by the guard */
  if (rc != 0) memset(out, 0, (size_t)k * sizeof *out);
  dn_trim_scratch(hd);
  return rc;
}

int dn_reserve_scratch(dn_network *hd, const dn_image_in *images, int k, char *err, size_t errlen) {
  /* The images' scratch space, kept with the network between calls (libc memory: it must
   * outlive a failed guarded call, whose own allocations are freed). */
  size_t need = 0;
  for (int b = 0; b < k; b++) {
    size_t n = dn_letterbox_scratch(images[b].w, images[b].h, hd->net->w);
    if (n > need) need = n;
  }
  if (need > hd->scratch_len) {
    float *grown = realloc(hd->scratch, need * sizeof(float));
    if (!grown) { snprintf(err, errlen, "out of memory for a %zu-float image buffer", need); return -1; }
    hd->scratch = grown;
    hd->scratch_len = need;
  }
  return 0;
}

void dn_trim_scratch(dn_network *hd) {
  /* Image buffers for a typical photo stay for the next call; one huge image's do not stay for
   * the network's life (a 16k² input needs 3 GB of them). */
  if (hd->scratch_len > DN_SCRATCH_KEEP_FLOATS) {
    free(hd->scratch);
    hd->scratch = NULL;
    hd->scratch_len = 0;
  }
}
