/* What every forward pass of ops/ shares (pass.c): the batch, the image scratch, the pass. */
#ifndef DN_OPS_PASS_H
#define DN_OPS_PASS_H
#include "handle.h"

/* network_predict (profiled when asked) with the network's fast side table entered: inside a
 * guarded call, after dn_set_threads. */
void dn_pass_predict(struct dn_network *h, float *input);
/* Tell every layer the batch is b (≤ the batch its buffers were sized for). */
void dn_set_layers_batch(network *net, int b);
/* Grow the network's image scratch for these images (outside the guard; -1 with err), and give
 * back an oversized one after the call. */
int dn_reserve_scratch(struct dn_network *h, const dn_image_in *images, int k, char *err, size_t errlen);
void dn_trim_scratch(struct dn_network *h);

#endif
