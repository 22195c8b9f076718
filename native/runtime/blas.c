/* Which BLAS the fast convolutions call (capabilities().blas). */
#include "blas.h"

#include <stdio.h>

#if DN_BLAS
#include <cblas.h> /* openblas_get_config */
#endif

int dn_blas_name(char *out, size_t len) {
#if DN_BLAS
  snprintf(out, len, "%s (kernels: %s)", openblas_get_config(), openblas_get_corename());
  return 1;
#else
  snprintf(out, len, "none (Darknet's gemm)");
  return 0;
#endif
}

