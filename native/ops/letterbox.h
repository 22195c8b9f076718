/* Darknet's detector-test image preparation into the network input (see letterbox.c). */
#ifndef DN_LETTERBOX_H
#define DN_LETTERBOX_H
#include <stddef.h>

/* Scratch floats dn_letterbox needs for an in_w × in_h image and a network out_w pixels wide. */
size_t dn_letterbox_scratch(int in_w, int in_h, int out_w);
/* 8-bit HWC pixels (c = 1, 3 or 4) → planar RGB floats of net_w × net_h in slot, letterboxed
 * (aspect kept, 0.5 grey bars) or stretched, exactly as Darknet's image.c. */
void dn_letterbox(const unsigned char *pixels, int w, int h, int c, int net_w, int net_h, int letterbox, float *slot,
                  float *scratch);
/* The same into slot after a center crop to the largest central square, as Darknet's
 * validate_classifier_single prepares images (needs no more scratch than dn_letterbox). */
void dn_center_crop(const unsigned char *pixels, int w, int h, int c, int net_w, int net_h, float *slot,
                    float *scratch);

#endif
