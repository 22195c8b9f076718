/* Loading a network (parse, read weights, make lean and fast) and freeing it. Each step that
 * runs Darknet runs inside dn_guard_call. */
#include "load.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "devices.h"
#include "fast/fast.h"
#include "guard/guard.h"
#include "guard/rand.h"
#include "handle.h"
#include "lean.h"
#include "weights_cache.h"
#include "weights_io.h"

/* Serializes network construction (GPU builds switch the global gpu_index for it). */
static pthread_mutex_t dn_parse_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct {
  const char *cfg, *weights;
  const dn_load_opts *o;
  struct dn_network *h;
  int may_write; /* a miss may write the cache (not on the reload that follows a write) */
  int written;   /* out: the cache was written; the network is still on private memory */
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

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Inference networks with a whole weights file may use the compiled-weights cache: a hit maps
 * the weights the numerics use (no read, no transform); a miss builds them from the .weights as
 * before, then writes the cache and moves the network onto the mapping (so the first copy
 * shares too). The cache is an accelerator: whatever goes wrong with it, the load goes on with
 * private memory and the note says why. */
static void do_weights_and_lean(void *p) {
  load_ctx *c = p;
  struct dn_network *h = c->h;
  const dn_load_opts *o = c->o;
  dn_load_stats *st = &h->stats;
  int fast = o->lean && o->fast && o->device < 0;
  int use_cache = o->cache_dir && c->weights && o->lean && o->device < 0 && o->weight_layers <= 0;
  dn_cache_key key;
  double t = now_ms();
  if (use_cache && dn_cache_key_make(c->cfg, c->weights, fast, &key, st->note, sizeof st->note) != 0) {
    use_cache = 0;
    st->cache = DN_CACHE_FAILED;
  }
  double key_ms = now_ms() - t; /* the cache's time: finding its file is part of using it */
  if (use_cache) {
    t = now_ms();
    dn_make_lean(h);
    st->lean_ms = now_ms() - t;
    t = now_ms();
    int rc = dn_cache_attach(h, o->cache_dir, &key, fast, st->note, sizeof st->note);
    st->cache_ms = key_ms + now_ms() - t;
    if (rc > 0) {
      st->cache = rc;
      st->note[0] = 0;
      st->mapped = dn_cache_mapped_bytes(h);
      if (o->progress) o->progress(o->progress_ctx, key.wsize, key.wsize); /* nothing left to read */
      return;
    }
  }
  t = now_ms();
  if (c->weights) dn_read_weights(h->net, c->weights, o->weight_layers, o->progress, o->progress_ctx);
  st->read_ms = now_ms() - t;
  if (o->lean && !h->lean) {
    t = now_ms();
    dn_make_lean(h);
    st->lean_ms = now_ms() - t;
  }
  /* Fast numerics fold batch-norm into the weights: inference-only, CPU-only networks. */
  t = now_ms();
  void **orig = NULL;
  if (use_cache) {
    orig = dn_malloc((size_t)h->net->n * sizeof *orig);
    for (int i = 0; i < h->net->n; i++) orig[i] = (void *)h->net->layers[i].forward;
  }
  if (fast) h->fast = dn_make_fast(h->net); /* set last: a failed call's allocations are gone */
  st->transform_ms = now_ms() - t;
  if (use_cache && !c->may_write) st->cache = DN_CACHE_FAILED; /* the file just written did not load */
  if (use_cache && c->may_write) {
    t = now_ms();
    char why[256];
    if (!dn_cache_key_still(c->weights, &key)) {
      st->cache = DN_CACHE_FAILED;
      snprintf(st->note, sizeof st->note, "the weights file changed while it was read: not cached");
    } else if (dn_cache_write(h, o->cache_dir, &key, orig, why, sizeof why) != 0) {
      st->cache = DN_CACHE_FAILED;
      snprintf(st->note, sizeof st->note, "%s", why);
    } else {
      st->cache = DN_CACHE_BUILT;
      c->written = 1; /* dn_load reloads from the file: the note keeps why it was (re)built */
    }
    st->cache_ms = key_ms + now_ms() - t;
  }
  dn_free(orig);
}

static int load_once(const char *cfg, const char *weights, const dn_load_opts *o, int may_write, dn_network **out,
                     int *written, char *err, size_t errlen);

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
  dn_network *h;
  int written = 0;
  if (load_once(cfg, weights, o, 1, &h, &written, err, errlen) != 0) return -1;
  if (written) {
    /* The cache was just written from this network's private weights. Rather than map the file
     * beside them (both resident at once: ~770 MB for yolov3), free the network and load it
     * again from the file (parse + map, a fraction of the first load); should that find the
     * file unusable, it reads the .weights again without writing. */
    dn_load_stats first = h->stats;
    dn_free_network(h);
    if (load_once(cfg, weights, o, 0, &h, &written, err, errlen) != 0) return -1;
    dn_load_stats *st = &h->stats;
    st->parse_ms += first.parse_ms;
    st->lean_ms += first.lean_ms;
    st->read_ms += first.read_ms;
    st->transform_ms += first.transform_ms;
    st->cache_ms += first.cache_ms;
    if (st->cache == DN_CACHE_HIT) {
      st->cache = DN_CACHE_BUILT;
      snprintf(st->note, sizeof st->note, "%s", first.note);
    }
  }
  *out = h;
  return 0;
}

static int load_once(const char *cfg, const char *weights, const dn_load_opts *o, int may_write, dn_network **out,
                     int *written, char *err, size_t errlen) {
  int device = o->device;
  struct dn_network *h = calloc(1, sizeof *h);
  if (!h) { snprintf(err, errlen, "out of memory"); return -1; }
  h->threads = o->threads;
  h->device = device;
  load_ctx c = {cfg, weights, o, h, may_write, 0};
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
  double t0 = now_ms();
  int rc = dn_guard_call(do_parse, &c, err, errlen);
  h->stats.parse_ms = now_ms() - t0;
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
  *written = c.written;
  return 0;
}


/* free_network() leaves the workspace, yolo masks, LR schedule and counters behind: a few MB per
 * load/dispose cycle in a long-running process. Free them before handing over. */
void dn_free_network(dn_network *h) {
  if (!h) return;
  network *net = h->net;
  if (net) {
    dn_cache_detach(h); /* before Darknet frees the layers: pointers into the mapping are not its */
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
  dn_cache_detach(h);
  free(h->scratch);
  free(h->pixels);
  free(h);
}


const dn_load_stats *dn_network_load_stats(const dn_network *h) { return &h->stats; }
