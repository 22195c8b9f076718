/* Winograd F(4×4,3×3) on AVX-512 for fast numerics (wino43.c): the transformed weights, the
 * workspace a layer needs, and whether this CPU can run it. Its forward function is declared in
 * forwards.h. */
#ifndef DN_FAST_WINO43_H
#define DN_FAST_WINO43_H
#include <stddef.h>

/* 1 where the CPU has AVX-512 (the kernel's only implementation). */
int dn_wino43_available(void);
/* Floats of a layer's transformed weights U[36][c][n]: 4× its weights. */
size_t dn_wino43_floats(int n, int c);
/* U from Darknet's weights w[n][c][3][3] (batch-norm folded). */
void dn_wino43_weights(const float *w, int n, int c, float *u);
/* Bytes of Darknet's workspace a pass of the layer uses (transformed input, products, an NHWC
 * copy of an NCHW input). */
size_t dn_wino43_workspace(int c, int n, int h, int w);

#endif
