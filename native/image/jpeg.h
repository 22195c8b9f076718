#ifndef DN_JPEG_H
#define DN_JPEG_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  unsigned char *pixels; /* width × height × 3, RGB: `into` when it was large enough, else the caller frees it */
  int width, height;
  int owned; /* 1: pixels were allocated here (free them); 0: they are `into` */
  int parts; /* how many parts it was decoded in (1 or 2) */
} dn_jpeg_image;

/* 1 and the pixels when buf is a clean YCbCr or greyscale JPEG of at most max_pixels pixels and
 * libjpeg.so.62 could be loaded; 0 otherwise (the caller decodes some other way). Never exits.
 * The pixels go into `into` (into_len bytes) when it holds them, else into a new allocation:
 * a caller decoding image after image reuses pages already faulted in (on a virtual machine a
 * fresh 768×576 buffer's first touches cost more than decoding it). `into` may be NULL; after a
 * failed decode its contents are undefined. parts: 2 decodes a large sequential image in two
 * parts on two OpenMP threads of the calling thread's team (the same bytes as one part); 1 on the
 * calling thread alone. */
int dn_jpeg_decode(const unsigned char *buf, size_t len, long max_pixels, unsigned char *into, size_t into_len, int parts,
                   dn_jpeg_image *out);
int dn_jpeg_available(void);
/* what decodes, for capabilities(); NULL when nothing does */
const char *dn_jpeg_version(void);

#ifdef __cplusplus
}
#endif
#endif
