/* Matrix products whose results do not depend on the thread count (see matmul.c). */
#ifndef DN_MATMUL_H
#define DN_MATMUL_H
#include <stddef.h>

/* C (m×n, row stride ldc) = A (m×k) · B (k×n, row stride ldb). */
void dn_matmul(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc);

/* count independent products of the same shape, the i-th at a + i·sa, b + i·sb, c + i·sc. */
void dn_matmul_batch(int count, int m, int n, int k, const float *a, size_t sa, int lda, const float *b, size_t sb,
                     int ldb, float *c, size_t sc, int ldc);

#endif
