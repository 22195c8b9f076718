/* The side table of fast numerics' transformed weights (Winograd's, the direct kernel's packed
 * ones), one slot per layer, owned by the network handle (ops/handle.h) and freed with it.
 * Darknet's own layer fields are never borrowed for them. A compiled-weights cache
 * (ops/weights_cache.c) saves these slots and what dn_make_fast changed in each layer (forward
 * function, batch_normalize, weights freed), then rebuilds them from its mapping: a new change
 * that dn_make_fast makes to a layer must be recorded there too, or the cache refuses to save a
 * network it does not know how to restore (it checks forward functions against a list). */
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
/* Slot i points at w, read-only memory owned elsewhere (ops/weights_cache.c's mapping of a
 * compiled-weights cache file): never freed by the table. The floats it counts stay as they are
 * (a table rebuilt from the cache adds them with dn_fast_table_add_floats). */
void dn_fast_table_borrow(dn_fast_table *t, int i, const float *w);
void dn_fast_table_add_floats(dn_fast_table *t, size_t floats);
int dn_fast_table_count(const dn_fast_table *t);
const float *dn_fast_table_get(const dn_fast_table *t, int i);
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
