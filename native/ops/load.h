/* Loading and freeing a network (load.c). */
#ifndef DN_OPS_LOAD_H
#define DN_OPS_LOAD_H
#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int lean;    /* inference-only: training buffers freed, batch-norm copies aliased, layer outputs
                  shared between layers whose lifetimes do not overlap (numerics unchanged) */
  int fast;    /* fast numerics (fast/): folded batch-norm, BLAS convolutions; needs lean, CPU */
  int threads; /* compute threads per forward pass, 0 = all cores */
  int device;  /* CUDA device, -1 = CPU */
  dn_progress_fn progress;
  void *progress_ctx;
  int weight_layers; /* the weights file holds only this many leading layers (what Darknet's
                        `partial` cuts, checked in TypeScript): the rest keep their random
                        initialisation, as with Darknet's loader. 0: all layers */
  const char *cache_dir; /* compiled-weights cache directory (weights_cache.h), NULL: none */
} dn_load_opts;

const dn_load_stats *dn_network_load_stats(const dn_network *net);

/* cfg/weights are file paths; weights may be NULL (random init, for training or tests). */
int dn_load(const char *cfg, const char *weights, const dn_load_opts *opts, dn_network **out, char *err, size_t errlen);
void dn_free_network(dn_network *net);

#ifdef __cplusplus
}
#endif
#endif
