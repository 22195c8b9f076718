/* Loading a network (parse, read weights, make lean and fast) and freeing it. Each step that
 * runs Darknet runs inside dn_guard_call. */
#include "load.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "devices.h"
#include "fast/fast.h"
#include "guard/guard.h"
#include "guard/rand.h"
#include "handle.h"
#include "lean.h"
#include "weights_io.h"

/* Serializes network construction (GPU builds switch the global gpu_index for it). */
static pthread_mutex_t dn_parse_lock = PTHREAD_MUTEX_INITIALIZER;

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
  if (c->o->lean && c->o->fast && c->o->device < 0) c->h->fast = dn_make_fast(c->h->net); /* set last: a failed
                                                                       call's allocations are gone */
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
   * flag and the rand() stream make_yolo_layer reseeds are this thread's own (guard/rand.c). Reading
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
  dn_fast_table_free(h->fast); /* after free_network: no pass reads it any more */
  free(h->scratch);
  free(h);
}

