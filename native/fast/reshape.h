/* Fast numerics' [route] and [upsample] (reshape.c; their forward functions are in forwards.h):
 * whether a layer's wiring is one they handle. */
#ifndef DN_FAST_RESHAPE_H
#define DN_FAST_RESHAPE_H
#include "darknet.h"
#include "forwards.h"

/* A route whose inputs all have its spatial size and batch, their channels adding up to its own. */
int dn_fast_route_fits(const network *net, const layer *l);
/* A forward (not reversed) upsample. */
int dn_fast_upsample_fits(const layer *l);

#endif
