/* Reading a .weights file (weights_io.c). */
#ifndef DN_OPS_WEIGHTS_IO_H
#define DN_OPS_WEIGHTS_IO_H
#include "darknet.h"
#include "types.h"

/* load_weights() with every read checked and progress reported, inside a guarded call; layers > 0
 * reads only the parameters of the first `layers` layers (load_weights_upto's cutoff). */
void dn_read_weights(network *net, const char *path, int layers, dn_progress_fn progress, void *ctx);

#endif
