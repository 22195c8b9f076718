/* The first convolution of an image network (a 3×3 stride-1 layer of 16 filters on ≤ 3 colour
 * channels) on AVX-512 (first.c). Its forward function is declared in forwards.h. */
#ifndef DN_FAST_FIRST_H
#define DN_FAST_FIRST_H
#include <stddef.h>

#include "darknet.h"

/* Whether the kernel takes this layer on this CPU. */
int dn_first_fits(const layer *l);
/* Floats of its packed weights r[n/16][c·9][16]: the layer's own size. */
size_t dn_first_packed_floats(int n, int c);
/* r from Darknet's weights w[n][c][3][3] (batch-norm folded). */
void dn_first_pack(const float *w, int n, int c, float *r);

#endif
