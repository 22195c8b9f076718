#ifndef DN_LAYER_NAMES_H
#define DN_LAYER_NAMES_H
#include "darknet.h"

/* Darknet's layer type names, all of them (its layer_name() misses several). */
const char *dn_layer_type_name(LAYER_TYPE t);

#endif
