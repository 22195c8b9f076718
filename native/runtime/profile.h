#ifndef DN_PROFILE_H
#define DN_PROFILE_H
#include "darknet.h"

/* DARKNET_NODE_PROFILE=1 in the environment: per-layer times of every pass, printed to stderr. */
int dn_profile_enabled(void);
/* Darknet's network_predict, timed layer by layer. */
void dn_predict_profiled(network *net, float *input);

#endif
