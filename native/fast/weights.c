/* See weights.h. The table is read through a thread-local pointer because Darknet's forward
 * signature (layer, network) has no room for ours; a pass looks it up once per layer. */
#include "weights.h"

#include "guard/guard.h"

struct dn_fast_table {
  int n;
  float **w;
  unsigned char *borrowed; /* 1: w[i] points into a compiled-weights cache mapping (not ours to free) */
  size_t floats;
};

static __thread const dn_fast_table *tl_entered;

dn_fast_table *dn_fast_table_new(int n) {
  dn_fast_table *t = dn_calloc(1, sizeof *t);
  t->n = n;
  t->w = dn_calloc(n > 0 ? (size_t)n : 1, sizeof(float *));
  t->borrowed = dn_calloc(n > 0 ? (size_t)n : 1, 1);
  return t;
}

void dn_fast_table_free(dn_fast_table *t) {
  if (!t) return;
  for (int i = 0; i < t->n; i++) if (!t->borrowed[i]) dn_free(t->w[i]);
  dn_free(t->w);
  dn_free(t->borrowed);
  dn_free(t);
}

static void drop_slot(dn_fast_table *t, int i) {
  if (!t->borrowed[i]) dn_free(t->w[i]);
  t->w[i] = NULL;
  t->borrowed[i] = 0;
}

void dn_fast_table_set(dn_fast_table *t, int i, float *w, size_t floats) {
  drop_slot(t, i);
  t->w[i] = w;
  t->floats += floats;
}

void dn_fast_table_borrow(dn_fast_table *t, int i, const float *w) {
  drop_slot(t, i); /* the slot's floats were counted when it was set; a borrowed copy is the same size */
  t->w[i] = (float *)w;
  t->borrowed[i] = 1;
}

void dn_fast_table_add_floats(dn_fast_table *t, size_t floats) { t->floats += floats; }

int dn_fast_table_count(const dn_fast_table *t) { return t->n; }

const float *dn_fast_table_get(const dn_fast_table *t, int i) { return t->w[i]; }

int dn_fast_table_has(const dn_fast_table *t, int i) { return t->w[i] != NULL; }

size_t dn_fast_table_floats(const dn_fast_table *t) { return t ? t->floats : 0; }

void dn_fast_enter(const dn_fast_table *t) { tl_entered = t; }

const float *dn_fast_weights(int layer) {
  const dn_fast_table *t = tl_entered;
  /* an internal assertion: every fast pass enters its network's table (ops/pass.c) */
  if (!t || layer < 0 || layer >= t->n || !t->w[layer])
    dn_guard_fail("internal: fast weights of layer %d are missing (no side table entered for this pass)", layer);
  return t->w[layer];
}
