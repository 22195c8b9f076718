/* Detection (detect.c). */
#ifndef DN_OPS_DETECT_H
#define DN_OPS_DETECT_H
#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* `darknet detector test` for k images (1 ≤ k ≤ the network's batch) in one forward pass; out
 * holds k results. Each image's boxes are decoded from its own slice of the outputs. */
int dn_detect(dn_network *net, const dn_image_in *images, int k, int letterbox, float thresh, float hier, float nms,
              dn_boxes *out, char *err, size_t errlen);
/* Frees one result's boxes (and empties it); safe on an empty one. */
void dn_boxes_free(dn_boxes *b);

#ifdef __cplusplus
}
#endif
#endif
