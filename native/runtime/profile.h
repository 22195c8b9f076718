#ifndef DN_PROFILE_H
#define DN_PROFILE_H
#include "darknet.h"

/* DARKNET_NODE_PROFILE=1 in the environment: per-layer times of every pass, printed to stderr. */
int dn_profile_enabled(void);
/* A pass's table: its header, one line per layer (its time in ms, from dn_profile_now), the total. */
void dn_profile_begin(void);
double dn_profile_now(void);
void dn_profile_layer(int i, const layer *l, double ms);
void dn_profile_end(void);

#endif
