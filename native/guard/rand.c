/* Darknet's random state, per thread. Darknet draws from libc's rand() (augmentation, dropout,
 * random initial weights) and reseeds it with srand(0) whenever it builds a [yolo], [region] or
 * [detection] layer: one process-wide stream that every network shares. A network loaded on one
 * thread would reset a Trainer's stream on another, and two Trainers would interleave theirs.
 * compat/prelude.h routes rand()/srand() here: each thread has its own stream, the same
 * generator and sequence as glibc's rand() for the same seed (random_r with a 128-byte state). */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rand.h"

/* The thread pointer of the thread whose load skips random initialisation, or NULL. Compared
 * inline with the reader's own for each of yolov3's 62 M initial weights: a thread-local here
 * would cost a __tls_get_addr call per read (half of a load), and an initial-exec one needs
 * static TLS that a dlopen'd module may not get ("cannot allocate memory in static TLS block").
 * Not volatile: the compiler then reads it once per initialisation loop and turns the skipping
 * loop into plain stores of zeros (yolov3's parse: ~1 s → ~0.1 s on a busy 2-core machine). It
 * is written under the construction lock, before and after the constructors run; a thread that
 * reads it without the lock (a Trainer's) compares it with its own thread pointer, never equal. */
void *dn_g_skip_thread;

static __thread struct random_data tl_data;
static __thread char tl_state[128];
static __thread int tl_seeded;

void dn_srand(unsigned seed) {
  memset(&tl_data, 0, sizeof tl_data);
  initstate_r(seed, tl_state, sizeof tl_state, &tl_data);
  tl_seeded = 1;
}

int dn_rand(void) {
  if (!tl_seeded) dn_srand(1); /* rand() before any srand() is seeded with 1 */
  int32_t r;
  random_r(&tl_data, &r);
  return r;
}
