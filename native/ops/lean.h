/* Inference-only networks (lean.c) and the memory accounting that knows their layout. */
#ifndef DN_OPS_LEAN_H
#define DN_OPS_LEAN_H
#include "handle.h"

void dn_make_lean(struct dn_network *h);          /* inside a guarded call */
void dn_release_lean(struct dn_network *h);       /* before free_network */
void dn_account(const struct dn_network *h, dn_memory *out);

#endif
