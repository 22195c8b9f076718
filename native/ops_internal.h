/* What ops.c, lean.c and weights_io.c share: the handle around Darknet's network. */
#ifndef DN_OPS_INTERNAL_H
#define DN_OPS_INTERNAL_H
#include "darknet.h"
#include "ops.h"

struct dn_network {
  network *net;
  int lean;
  float **pool; /* lean mode: output buffers shared by layers (owned here, not by the layers) */
  int npool;
  int fast;    /* fast numerics installed (fast.c) */
  int threads; /* compute threads per forward pass; 0 = all cores */
  int device;  /* CUDA device, -1 = CPU */
  float *scratch; /* detect's image buffers (letterbox.c), grown as needed, libc memory; freed
                     after a call that needed more than a large photo's (ops.c) */
  size_t scratch_len;
};

/* ops.c: Darknet's layer type names, all of them (its layer_name() misses several). */
const char *dn_layer_type_name(LAYER_TYPE t);

/* ops.c: tell every layer the batch is b (≤ the batch its buffers were sized for). */
void dn_set_layers_batch(network *net, int b);
/* ops.c: grow the network's image scratch for these images (outside the guard; -1 with err),
 * and give back an oversized one after the call. */
int dn_reserve_scratch(struct dn_network *h, const dn_image_in *images, int k, char *err, size_t errlen);
void dn_trim_scratch(struct dn_network *h);

/* fast.c: floats of a fast layer's transformed weights (kept beside Darknet's). */
size_t dn_fast_extra_floats(const layer *l);

/* lean.c */
void dn_make_lean(struct dn_network *h);          /* inside a guarded call */
void dn_release_lean(struct dn_network *h);       /* before free_network */
void dn_account(const struct dn_network *h, dn_memory *out);

/* weights_io.c: load_weights() with every read checked and progress reported; layers > 0 reads
 * only the parameters of the first `layers` layers (load_weights_upto's cutoff). */
void dn_read_weights(network *net, const char *path, int layers, dn_progress_fn progress, void *ctx);

#endif
