/* The side table of fast numerics' transformed weights (Winograd's, the direct kernel's packed
 * ones), one slot per layer, owned by the network handle (ops/handle.h) and freed with it.
 * Darknet's own layer fields are never borrowed for them. */
#ifndef DN_FAST_WEIGHTS_H
#define DN_FAST_WEIGHTS_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dn_fast_table dn_fast_table;

/* A table for a network of n layers, all slots empty (inside a guarded call). */
dn_fast_table *dn_fast_table_new(int n);
void dn_fast_table_free(dn_fast_table *t);
/* Slot i takes ownership of w (dn_malloc'd, `floats` floats). */
void dn_fast_table_set(dn_fast_table *t, int i, float *w, size_t floats);
int dn_fast_table_has(const dn_fast_table *t, int i);
/* All transformed weights, in floats (memory accounting). */
size_t dn_fast_table_floats(const dn_fast_table *t);

/* Darknet calls a layer's forward function with the layer and a copy of the network, and
 * forward_network sets net.index to the layer's index: the fast forward functions find their
 * weights through the table the calling thread entered for this pass. */
void dn_fast_enter(const dn_fast_table *t);
/* Inside a pass on a thread that entered a table: layer i's transformed weights. */
const float *dn_fast_weights(int layer);

#ifdef __cplusplus
}
#endif
#endif
