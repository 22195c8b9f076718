/* Scratch memory for one layer of a fast pass (scratch.c). */
#ifndef DN_FAST_SCRATCH_H
#define DN_FAST_SCRATCH_H
#include <stddef.h>

#include "darknet.h"

/* `bytes` of scratch, 64-byte aligned, valid until the calling thread's next call: Darknet's
 * workspace where it is large enough, else the calling thread's own buffer (grown as needed,
 * kept for its next pass; freed at thread exit). Inside a guarded call (fails through it). */
char *dn_scratch_for(const network *net, size_t bytes);

#endif
