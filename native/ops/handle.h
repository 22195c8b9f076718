/* The handle around Darknet's network: what ops/ keeps beside it. Only ops/ sees it. */
#ifndef DN_OPS_HANDLE_H
#define DN_OPS_HANDLE_H
#include "darknet.h"
#include "fast/weights.h"
#include "types.h"

struct dn_network {
  network *net;
  int lean;
  float **pool; /* lean mode: output buffers shared by layers (owned here, not by the layers) */
  int npool;
  dn_fast_table *fast; /* fast numerics' transformed weights (fast/), NULL: Darknet's kernels */
  int threads; /* compute threads per forward pass; 0 = all cores */
  int device;  /* CUDA device, -1 = CPU */
  float *scratch; /* detect's image buffers (letterbox.c), grown as needed, libc memory; freed
                     after a call that needed more than a large photo's (pass.c) */
  size_t scratch_len;
  unsigned char *pixels; /* dn_detect_jpeg's decoded image, kept for the next call up to a large
                            photo's size (detect_jpeg.c), libc memory */
  size_t pixels_len;
  struct dn_wmap *wcache; /* the compiled-weights cache this network's weights point into
                             (ops/weights_cache.c), NULL: they are its own */
  dn_load_stats stats;
};

#endif
