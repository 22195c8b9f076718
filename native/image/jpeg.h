#ifndef DN_JPEG_H
#define DN_JPEG_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  unsigned char *pixels; /* width × height × 3, RGB; the caller frees it */
  int width, height;
} dn_jpeg_image;

/* 1 and the pixels when buf is a clean YCbCr or greyscale JPEG of at most max_pixels pixels and
 * libjpeg.so.62 could be loaded; 0 otherwise (the caller decodes some other way). Never exits. */
int dn_jpeg_decode(const unsigned char *buf, size_t len, long max_pixels, dn_jpeg_image *out);
int dn_jpeg_available(void);
/* what decodes, for capabilities(); NULL when nothing does */
const char *dn_jpeg_version(void);

#ifdef __cplusplus
}
#endif
#endif
