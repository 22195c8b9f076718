/* Whether oneDNN runs fast numerics' convolutions in this process (native/fast/dnnl.c). */
#ifndef DN_FAST_DNNL_LIB_H
#define DN_FAST_DNNL_LIB_H

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when oneDNN was found and loaded (the first call loads it; DARKNET_NODE_DNNL_LIB names another
 * library file, and one that cannot be loaded leaves fast numerics on their own kernels). */
int dn_dnnl_available(void);
/* "oneDNN 2.6.3 (avx512_core)", or NULL when it is not available. */
const char *dn_dnnl_version(void);

#ifdef __cplusplus
}
#endif
#endif
