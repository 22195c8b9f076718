/* Scratch memory for the layers of a fast pass (oneDNN's blocked tensors, Winograd's transformed
 * tiles). Darknet's workspace (its im2col buffer, the size of the largest layer's need) first: a
 * network runs one pass at a time, and its pages stay mapped between passes (fresh pages cost
 * ~10 µs each to fault in on a busy machine: yolov3's second layer took 140 ms instead of 7 on a
 * new buffer). Where it is too small (a network whose im2col needs are smaller than a kernel's,
 * more threads than the load planned for), the calling thread's own buffer, kept for the same
 * reason: libc memory, so that it outlives the guarded call that grew it. */
#include "scratch.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "guard/guard.h"

typedef struct {
  void *p;
  size_t bytes;
} scratch;
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static void scratch_free(void *s) {
  if (s) free(((scratch *)s)->p);
  free(s);
}
static void scratch_init(void) { pthread_key_create(&scratch_key, scratch_free); }

static char *thread_scratch(size_t bytes) {
  pthread_once(&scratch_once, scratch_init);
  scratch *s = pthread_getspecific(scratch_key);
  if (!s) {
    s = calloc(1, sizeof *s);
    if (!s || pthread_setspecific(scratch_key, s) != 0) {
      free(s);
      dn_guard_fail("out of memory for a layer's scratch");
    }
  }
  if (s->bytes < bytes) {
    free(s->p);
    s->p = NULL;
    s->bytes = 0;
    if (posix_memalign(&s->p, 64, bytes) != 0) dn_guard_fail("out of memory for a layer's %zu-byte scratch", bytes);
    s->bytes = bytes;
  }
  return s->p;
}

char *dn_scratch_for(const network *net, size_t bytes) {
  size_t workspace = 0;
  for (int i = 0; i < net->n; i++)
    if (net->layers[i].workspace_size > workspace) workspace = net->layers[i].workspace_size;
  if (net->workspace && bytes + 64 <= workspace) return (char *)(((uintptr_t)net->workspace + 63) & ~(uintptr_t)63);
  return thread_scratch(bytes);
}
