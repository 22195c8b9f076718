/* Fast numerics for CPU inference networks (see fast.c) and the compute-thread setting. */
#ifndef DN_FAST_H
#define DN_FAST_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct dn_network;

/* Inside a guarded call, after the weights are read and the network made lean. */
void dn_make_fast(struct dn_network *h);
/* The BLAS the fast convolutions use: writes its description, returns 0 when there is none. */
int dn_blas_name(char *out, size_t len);
/* Compute threads for the calling thread's next forward pass (0 = all cores). */
void dn_set_threads(int threads);
int dn_default_threads(void);
/* 0 when the OS grants `threads` threads right now; -1 with the reason otherwise. */
int dn_threads_grantable(int threads, char *err, size_t errlen);

/* DARKNET_NODE_PROFILE=1 in the environment: per-layer times of every pass, printed to stderr. */
int dn_profile_enabled(void);
typedef struct network network;
void dn_predict_profiled(network *net, float *input);

#ifdef __cplusplus
}
#endif

#endif
