/* Fast numerics' replacement forward functions, installed in Darknet's layer.forward by fast.c:
 * declared apart from the files that define them (layers.c, dnnl.c, wino43.c, reshape.c) so that layout.c, which
 * recognises layers by them, depends on no kernel file (they depend on it). */
#ifndef DN_FAST_FORWARDS_H
#define DN_FAST_FORWARDS_H
#include "darknet.h"

/* [convolutional], batch-norm already folded: im2col in bands + sgemm (1×1: sgemm alone). */
void dn_fast_conv_gemm(layer l, network net);
/* [convolutional] 3×3 stride 1 by Winograd F(2×2,3×3); weights from the side table. */
void dn_fast_conv_winograd(layer l, network net);
/* [convolutional] with a shallow kernel, by output rows; packed weights from the side table. */
void dn_fast_conv_direct(layer l, network net);
/* [convolutional] by oneDNN (dnnl.c); blocked weights from the side table. */
void dn_fast_conv_dnnl(layer l, network net);
/* [convolutional] 3×3 stride 1 by Winograd F(4×4,3×3) on AVX-512 (wino43.c); NHWC like oneDNN's. */
void dn_fast_conv_wino43(layer l, network net);
/* [convolutional] 3×3 stride 1 on ≤ 3 channels (an image network's first layer) on AVX-512
 * (first.c): NCHW in, NHWC or NCHW out. */
void dn_fast_conv_first(layer l, network net);
void dn_fast_shortcut(const layer l, network net);
void dn_fast_maxpool(const layer l, network net);
void dn_fast_yolo(const layer l, network net);
/* [route] and [upsample] reading and writing either layout (reshape.c). */
void dn_fast_route(const layer l, network net);
void dn_fast_upsample(const layer l, network net);

#endif
