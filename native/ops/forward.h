/* The raw forward pass (forward.c). */
#ifndef DN_OPS_FORWARD_H
#define DN_OPS_FORWARD_H
#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A pass on batch × inputs floats (len: their count, checked). */
int dn_forward(dn_network *net, const float *input, size_t len, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
