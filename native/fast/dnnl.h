/* Fast numerics' convolutions by oneDNN (libdnnl.so.2, loaded on first use; see dnnl.c). */
#ifndef DN_FAST_DNNL_H
#define DN_FAST_DNNL_H
#include <stddef.h>

#include "darknet.h"
#include "dnnl_lib.h"
#include "forwards.h"
#include "weights.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Inside a guarded load, batch-norm already folded: layer i of net gets oneDNN's weights in side
 * table slot i and dn_fast_conv_dnnl as its forward function. 0 when oneDNN cannot run it (the
 * layer is left as it was). */
int dn_dnnl_prepare(dn_fast_table *t, int i, layer *l);
/* the floats of the side-table slot dn_dnnl_prepare makes for l with this library, this CPU and
 * this thread count (what the compiled-weights cache writes); 0 without oneDNN */
size_t dn_dnnl_slot_floats(const layer *l);
/* Whether a stored slot of `floats` floats holds l's weights in the blocked layout it records
 * (read back from the compiled-weights cache, whose key names this library and CPU); 0 without oneDNN. */
int dn_dnnl_slot_fits(const layer *l, const float *slot, size_t floats);

#ifdef __cplusplus
}
#endif
#endif
