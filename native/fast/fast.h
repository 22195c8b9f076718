/* Fast numerics for CPU inference networks (see fast.c): which kernel each layer runs. */
#ifndef DN_FAST_H
#define DN_FAST_H
#include "darknet.h"
#include "weights.h"

/* Inside a guarded call, after the weights are read and the network made lean: installs the
 * fast forward functions and returns the side table of transformed weights they read (the
 * caller owns it: dn_fast_table_free after free_network's last pass). */
dn_fast_table *dn_make_fast(network *net);

#endif
