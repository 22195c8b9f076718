/* The memory-safety invariants of the operations, in one place (invariants.c). TypeScript
 * validates every option and input first, with its own BAD_INPUT messages; a failure here is an
 * internal assertion (the bridge reports it as a DARKNET error), and keeps Darknet from reading
 * or writing out of bounds when these functions are driven directly (test/fuzz). */
#ifndef DN_OPS_INVARIANTS_H
#define DN_OPS_INVARIANTS_H
#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 0, or -1 with err (`what`: detection, classification): k images (1 ≤ k ≤ batch), each buffer w·h·c bytes, c 1, 3 or 4, a 3-channel
 * network, and no side under 2 pixels once letterboxed (letterbox != 0) or resized to the network. */
int dn_check_images(const dn_network *net, const char *what, const dn_image_in *images, int k, int letterbox, char *err,
                    size_t errlen);
/* 1 when a w × h image would have a side under 2 pixels once letterboxed or resized to the
 * network (dn_check_images refuses it) */
int dn_image_too_thin(const dn_network *net, int w, int h, int letterbox);
/* 0, or -1 with err: a finite detection threshold (Darknet counts boxes with `> thresh` and writes
 * those not `<= thresh`: with NaN it counts none and writes all, past the array). */
int dn_check_threshold(float thresh, char *err, size_t errlen);
/* 0, or -1 with err: len is the batch × inputs floats a raw pass reads. */
int dn_check_input(const dn_network *net, size_t len, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
