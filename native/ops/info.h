/* What the bridge reads off a loaded network (info.c). */
#ifndef DN_OPS_INFO_H
#define DN_OPS_INFO_H
#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

int dn_input_size(const dn_network *net);   /* floats per image */
/* The input size and batch; returns the layer count. */
int dn_net_dims(const dn_network *net, int *w, int *h, int *c, int *batch);
int dn_layer_count(const dn_network *net);
void dn_layer_info_at(const dn_network *net, int i, dn_layer_info *out);
/* Last forward's output of layer i (all batch items): pointer into the network, and its length. */
const float *dn_layer_output(const dn_network *net, int i, size_t *len);
void dn_network_memory(const dn_network *net, dn_memory *out);
/* The index of the layer whose output network_predict returns (the last one that is not [cost]),
 * and its floats per image. */
int dn_output_layer(const dn_network *net, int *outputs);

int dn_threads(const dn_network *net);   /* the compute threads a forward pass uses */
/* 0 when `threads` (0 = all cores) compute threads can be created now; -1 with the reason
 * (libgomp would end the process where the OS refuses them). */
int dn_check_threads(int threads, char *err, size_t errlen);
void dn_set_network_threads(dn_network *net, int threads);
int dn_is_fast(const dn_network *net);

#ifdef __cplusplus
}
#endif
#endif
