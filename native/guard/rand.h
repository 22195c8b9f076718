/* Darknet's random state, one stream per thread, and the thread whose load skips random weight
 * initialisation (see rand.c). Included by compat/prelude.h ahead of every Darknet file. */
#ifndef DN_RAND_H
#define DN_RAND_H
#include <pthread.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Darknet's random weight initialisation yields 0 on the thread whose thread pointer this holds
 * (weights that are about to be overwritten by a .weights file: about 1.3 s of a yolov3 load);
 * other threads (a Trainer's) draw as usual. Written under ops/load.c's construction lock. */
extern void *dn_g_skip_thread;
/* GCC before 11 declares the builtin (so __has_builtin says yes) but implements it on x86-64 only
 * from 11 on; Debian 11's GCC 10 compiles the prebuilds (scripts/prebuild-linux.sh). */
#if defined(__has_builtin) && __has_builtin(__builtin_thread_pointer) && \
    (defined(__clang__) || __GNUC__ >= 11 || defined(__aarch64__))
#define DN_THREAD_ID() __builtin_thread_pointer()
#else
#define DN_THREAD_ID() ((void *)pthread_self())
#endif
static inline int dn_skip_init_here(void) { return dn_g_skip_thread == DN_THREAD_ID(); }
/* rand()/srand() for Darknet's code: one stream per thread. */
int dn_rand(void);
void dn_srand(unsigned seed);

#ifdef __cplusplus
}
#endif
#endif
