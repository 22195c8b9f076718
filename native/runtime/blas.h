#ifndef DN_BLAS_H
#define DN_BLAS_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The BLAS the fast convolutions use: writes its description, returns 0 when there is none. */
int dn_blas_name(char *out, size_t len);

#ifdef __cplusplus
}
#endif
#endif
