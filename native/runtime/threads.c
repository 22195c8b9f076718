/* The compute threads of a forward pass: OpenMP's per-thread team size, and a check that the OS
 * grants a thread count before libgomp is asked for it. */
#include "threads.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

void dn_set_threads(int threads) {
#ifdef _OPENMP
  /* The OpenMP thread count is a per-thread setting: this sets it for the calling libuv worker
   * (and, in OpenBLAS's OpenMP build, for the sgemm it calls). */
  omp_set_num_threads(threads > 0 ? threads : omp_get_num_procs());
#else
  (void)threads;
#endif
}

/* libgomp ends the process (gomp_fatal) when it cannot create a team's threads. Asking the OS
 * for them first, all alive at once, when a thread count is set turns a refusal into an error. */
typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t go;
  int released;
} hold;

static void *held_thread(void *arg) {
  hold *h = arg;
  pthread_mutex_lock(&h->lock);
  while (!h->released) pthread_cond_wait(&h->go, &h->lock);
  pthread_mutex_unlock(&h->lock);
  return NULL;
}

int dn_threads_grantable(int threads, char *err, size_t errlen) {
  if (threads <= 1) return 0;
  pthread_t *t = calloc((size_t)threads - 1, sizeof *t);
  if (!t) { snprintf(err, errlen, "out of memory"); return -1; }
  hold h = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
  int made = 0, rc = 0;
  for (; made < threads - 1; made++) {
    rc = pthread_create(&t[made], NULL, held_thread, &h);
    if (rc != 0) break;
  }
  pthread_mutex_lock(&h.lock);
  h.released = 1;
  pthread_cond_broadcast(&h.go);
  pthread_mutex_unlock(&h.lock);
  for (int i = 0; i < made; i++) pthread_join(t[i], NULL);
  free(t);
  if (rc != 0) snprintf(err, errlen, "the system refused thread %d of %d: %s", made + 2, threads, strerror(rc));
  return rc != 0 ? -1 : 0;
}

int dn_default_threads(void) {
#ifdef _OPENMP
  return omp_get_num_procs();
#else
  return 1;
#endif
}

