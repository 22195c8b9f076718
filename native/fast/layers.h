/* Fast numerics' forward functions (layers.c), installed in Darknet's layer.forward by fast.c. */
#ifndef DN_FAST_LAYERS_H
#define DN_FAST_LAYERS_H
#include "darknet.h"

/* Up to this kernel depth (c·size²) the row-by-row direct kernel beats im2col + sgemm. */
#define DN_DIRECT_MAX_K 576
/* 3×3 stride-1 layers with at least this many input channels for Winograd to pay off. */
#define DN_WINOGRAD_MIN_C 64

/* [convolutional], batch-norm already folded: im2col in bands + sgemm (1×1: sgemm alone). */
void dn_fast_conv_gemm(layer l, network net);
/* [convolutional] 3×3 stride 1 by Winograd F(2×2,3×3); weights from the side table. */
void dn_fast_conv_winograd(layer l, network net);
/* [convolutional] with a shallow kernel, by output rows; packed weights from the side table. */
void dn_fast_conv_direct(layer l, network net);
void dn_fast_shortcut(const layer l, network net);
void dn_fast_maxpool(const layer l, network net);
void dn_fast_yolo(const layer l, network net);

#endif
