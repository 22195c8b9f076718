/* Winograd F(2×2, 3×3) convolution for fast numerics (see winograd.c). */
#ifndef DN_WINOGRAD_H
#define DN_WINOGRAD_H
#include <stddef.h>

/* Workspace bytes dn_winograd_conv needs for a c → m channel layer on an h × w map. */
size_t dn_winograd_workspace(int c, int m, int h, int w);
/* u (16 × m × c) from 3×3 weights w (m × c × 3 × 3). */
void dn_winograd_weights(const float *w, int m, int c, float *u);
/* out (m × h × w) = conv3×3(in (c × h × w), stride 1, pad 1) + bias. */
void dn_winograd_conv(const float *in, const float *u, const float *bias, float *out, int c, int m, int h, int w,
                      float *workspace);

#endif
