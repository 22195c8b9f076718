/* Which layer outputs fast numerics keep in oneDNN's NHWC layout between layers (layout.c). */
#ifndef DN_FAST_LAYOUT_H
#define DN_FAST_LAYOUT_H
#include "darknet.h"

/* 1: layer i's output is NHWC (its shape is Darknet's, the order of its floats is n, h, w, c);
 * 0: Darknet's NCHW. Decided from the network's wiring alone, the same on every pass. */
int dn_fast_nhwc(const network *net, int i);

#endif
