/* Fast numerics for CPU inference networks (see fast.c): which kernel each layer runs. */
#ifndef DN_FAST_H
#define DN_FAST_H
#include "darknet.h"
#include "weights.h"

/* Inside a guarded call, after the weights are read and the network made lean: installs the
 * fast forward functions and returns the side table of transformed weights they read (the
 * caller owns it: dn_fast_table_free after free_network's last pass). */
dn_fast_table *dn_make_fast(network *net);
/* Which kernel a layer's forward function is ("onednn", "winograd4x4", …; "darknet" for Darknet's
 * own), for DARKNET_NODE_PROFILE's table. */
const char *dn_fast_kernel_name(const layer *l);

#endif
