/* Force-included (-include) ahead of every Darknet source file; see native/guard/guard.h for why.
 * Function-like macros, so taking the address of free/malloc still yields the libc function. */
#ifndef DN_PRELUDE_H
#define DN_PRELUDE_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h> /* cuda.c uses fabs/sqrt without including it */
#include "../guard/guard.h"
#include "../guard/rand.h"
#ifdef GPU
#include "cuda_compat.h"
#endif

#define exit(code) dn_guard_exit((code), __FILE__, __LINE__)
#define abort() dn_guard_exit(134, __FILE__, __LINE__)
#define malloc(n) dn_malloc(n)
#define calloc(n, size) dn_calloc((n), (size))
#define realloc(p, n) dn_realloc((p), (n))
#define free(p) dn_free(p)
/* Darknet prints a layer table and progress to stdout/stderr on every load; a library must not.
 * The hooks keep the last lines for error messages and echo them when DARKNET_NODE_VERBOSE=1. */
#define printf(...) dn_printf(__VA_ARGS__)
#define fprintf(stream, ...) dn_fprintf((stream), __VA_ARGS__)
#define perror(s) dn_perror(s)
/* One random stream per thread (native/guard/rand.c): a network built on one thread (make_yolo_layer
 * calls srand(0)) must not reset a Trainer's stream on another. */
#define rand() dn_rand()
#define srand(seed) dn_srand(seed)

/* Weight initialisation draws (connected/local layers) yield 0 on the thread that is loading a
 * network with weights. Inline, so the per-weight cost is one load and a branch. utils.c itself
 * defines the real generators (compat/utils_tu.c renames them there). Darknet's later
 * `float rand_uniform(float, float);` declaration redeclares this static function, which C allows. */
static inline float dn_rand_uniform_inline(float min, float max) {
  return dn_skip_init_here() ? 0.f : dn_rand_uniform_real(min, max);
}
#define rand_uniform dn_rand_uniform_inline
/* rand_normal() is only called in the weight-initialisation loops of the convolutional and
 * deconvolutional constructors (and in image.c's make_random_image, never on a loading thread).
 * Skipping, it leaves the loop: the calloc'd weights stay zeros that were never written, so the
 * ~60,000 pages of yolov3's weights are not faulted in only to be replaced — writing them was
 * most of a load on a virtual machine, and held ~250 MB that a mapped cache then freed. The
 * statement expression's `break` (a GNU C jump out of it) ends the enclosing loop; darknet.h's
 * declaration `float rand_normal();` is read first, below, so the macro never meets it. */
#include "darknet.h"
#define rand_normal() __extension__({ \
    if (dn_skip_init_here()) break;  \
    dn_rand_normal_real();           \
  })
#endif
