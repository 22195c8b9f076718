/* The raw forward pass (forward.c). */
#ifndef DN_OPS_FORWARD_H
#define DN_OPS_FORWARD_H
#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A pass on batch × inputs floats (len: their count, checked). */
int dn_forward(dn_network *net, const float *input, size_t len, char *err, size_t errlen);
/* The network's own input buffer (Darknet's net->input, batch × inputs floats: *len), for a caller
 * that fills it and then passes it to dn_forward, while no pass runs on the network. Its pages
 * stay mapped between passes: a fresh 2 MB buffer per call costs ~5 ms of page faults here. */
float *dn_forward_input(dn_network *net, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
