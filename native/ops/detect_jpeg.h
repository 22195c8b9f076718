/* detect() from a JPEG in one call (detect_jpeg.c). */
#ifndef DN_OPS_DETECT_JPEG_H
#define DN_OPS_DETECT_JPEG_H
#include <stddef.h>

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Decodes buf (a clean JPEG of at most max_pixels pixels, as image/jpeg.c takes) and runs
 * dn_detect on it. 0: detected (out, and the image's width and height); 1: not an image the
 * native decoder takes, nothing ran; 2: decoded (width, height) but too thin to letterbox or
 * resize into the network, nothing ran (TypeScript says why); -1: dn_detect failed (err). */
int dn_detect_jpeg(dn_network *net, const unsigned char *buf, size_t len, long max_pixels, int letterbox, float thresh,
                   float hier, float nms, dn_boxes *out, int *width, int *height, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
