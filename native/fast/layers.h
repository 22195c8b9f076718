/* Fast numerics' forward functions defined in layers.c (declared in forwards.h), and their limits. */
#ifndef DN_FAST_LAYERS_H
#define DN_FAST_LAYERS_H
#include "darknet.h"
#include "forwards.h"

/* Up to this kernel depth (c·size²) the row-by-row direct kernel beats im2col + sgemm. */
#define DN_DIRECT_MAX_K 576
/* 3×3 stride-1 layers with at least this many input channels for Winograd to pay off. */
#define DN_WINOGRAD_MIN_C 64

#endif
