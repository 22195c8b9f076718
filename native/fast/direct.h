/* Convolution by output rows for layers with few input channels (see direct.c). */
#ifndef DN_DIRECT_H
#define DN_DIRECT_H
#include <stddef.h>

/* Applied to each finished output row (the activation) while it is still in cache. */
typedef void (*dn_row_fn)(void *ctx, float *row, int n);

/* Floats of the packed weights for m filters of k = c·size² products. */
size_t dn_direct_packed_floats(int m, int k);
void dn_direct_pack(const float *weights, int m, int k, float *packed);
/* Workspace bytes dn_direct_conv needs with this many threads. */
size_t dn_direct_workspace(int k, int out_w, int threads);
/* out (m × out_h × out_w) = conv(in (c × h × w)) + bias, then finish() on every row; at most
 * `threads` threads (each output row is the same sum on any of them). */
void dn_direct_conv(const float *in, const float *packed, const float *bias, float *out, int c, int h, int w, int m,
                    int size, int stride, int pad, int out_h, int out_w, int threads, float *workspace,
                    dn_row_fn finish, void *ctx);

#endif
