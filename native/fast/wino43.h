/* Winograd F(4×4,3×3) on AVX-512 for fast numerics (wino43.c): the packed weights it reads, the
 * workspace a layer needs, and whether this CPU can run it. Its forward function is declared in
 * forwards.h. */
#ifndef DN_FAST_WINO43_H
#define DN_FAST_WINO43_H
#include <stddef.h>

/* 1 where the CPU has AVX-512 (the kernel's only implementation). */
int dn_wino43_available(void);
/* Whether n filters divide into the kernel's panels (multiples of 32). */
int dn_wino43_filters_ok(int n);
/* Winograd's products for an h × w map (36 per 4×4 tile, tiles padded to the kernel's blocks)
 * over a direct convolution's 9 per output. */
double dn_wino43_products_share(int h, int w);
/* Floats of a layer's packed weights r[n/32][c][9][32]: the layer's own size. */
size_t dn_wino43_packed_floats(int n, int c);
/* r from Darknet's weights w[n][c][3][3] (batch-norm folded). */
void dn_wino43_pack(const float *w, int n, int c, float *r);
/* Bytes of workspace a pass of the layer uses with this many threads (transformed input,
 * products, an NHWC copy of an NCHW input, U's per-thread corners). */
size_t dn_wino43_workspace(int c, int n, int h, int w, int threads);

#endif
