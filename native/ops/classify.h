/* Classification (classify.c). */
#ifndef DN_OPS_CLASSIFY_H
#define DN_OPS_CLASSIFY_H
#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* `darknet classifier predict`'s pass for k images (1 ≤ k ≤ batch): out receives k × outputs
 * floats, the output layer's values for each image in turn. */
int dn_classify(dn_network *net, const dn_image_in *images, int k, dn_prep prep, float *out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
