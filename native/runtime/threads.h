#ifndef DN_THREADS_H
#define DN_THREADS_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Compute threads for the calling thread's next forward pass (0 = all cores). */
void dn_set_threads(int threads);
int dn_default_threads(void);
/* 0 when the OS grants `threads` threads right now; -1 with the reason otherwise. */
int dn_threads_grantable(int threads, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
