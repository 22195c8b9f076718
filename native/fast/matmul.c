/* The BLAS products of fast numerics, with the same bytes for any thread count.
 *
 * A multithreaded sgemm splits C between its threads by their number, and where a split lands
 * decides which of the BLAS's micro-kernels computes an element: the edge kernels sum in another
 * order than the main one. OpenBLAS's Haswell kernels (forced on some machines by
 * OPENBLAS_CORETYPE=Haswell) do, so detections changed with `threads`. Here the products are cut
 * into tiles chosen from their shape alone, and each tile is one single-threaded sgemm on
 * whichever thread takes it: the tiles' bounds, hence every element's arithmetic, are the same
 * for 1 thread or 16. Tiles split the longer side of C, so the operand packed again for every
 * tile is the smaller one; they are long enough (TILE_MIN) for that packing to stay a few percent
 * of the product. */
#include "matmul.h"

#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif
#if DN_BLAS
#include <cblas.h>
#endif

/* Darknet's, declared only in its src/ headers. */
void gemm(int TA, int TB, int M, int N, int K, float ALPHA, float *A, int lda, float *B, int ldb, float BETA, float *C,
          int ldc);

#define TASKS 16        /* tiles per call when the shape allows: balance for up to ~8 threads */
#define TILE_MIN 128    /* shortest side a tile is cut to */
#define TILE_ALIGN 16   /* tile bounds on multiples of the micro-kernels' widths */
#define SERIAL_FLOPS 2e6 /* below this a parallel region costs more than it saves */

#if DN_BLAS
/* One tile, on the calling thread only: OpenBLAS's OpenMP build runs single-threaded inside a
 * parallel region, and newer versions that nest where the ICV allows read this thread's: one. */
static void tile(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc) {
#ifdef _OPENMP
  if (omp_in_parallel()) omp_set_num_threads(1);
#endif
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}

/* How one product is cut: `parts` tiles of `step` along rows (by_rows) or columns. */
typedef struct {
  int by_rows, parts, step;
} plan;

static plan make_plan(int count, int m, int n) {
  plan p = {m > n, 1, m > n ? m : n};
  int side = p.step;
  int want = (TASKS + count - 1) / count;
  int parts = side / TILE_MIN;
  if (parts > want) parts = want;
  if (parts > 1) {
    int step = (side + parts - 1) / parts;
    step = (step + TILE_ALIGN - 1) / TILE_ALIGN * TILE_ALIGN;
    p.step = step;
    p.parts = (side + step - 1) / step;
  }
  return p;
}

static void run(const plan *p, int t, int m, int n, int k, const float *a, size_t sa, int lda, const float *b, size_t sb,
                int ldb, float *c, size_t sc, int ldc) {
  int i = t / p->parts, part = t % p->parts;
  const float *ai = a + (size_t)i * sa, *bi = b + (size_t)i * sb;
  float *ci = c + (size_t)i * sc;
  int lo = part * p->step, len = p->by_rows ? m : n;
  int hi = lo + p->step < len ? lo + p->step : len;
  if (p->by_rows)
    tile(hi - lo, n, k, ai + (size_t)lo * lda, lda, bi, ldb, ci + (size_t)lo * ldc, ldc);
  else
    tile(m, hi - lo, k, ai, lda, bi + lo, ldb, ci + lo, ldc);
}

void dn_matmul_batch(int count, int m, int n, int k, const float *a, size_t sa, int lda, const float *b, size_t sb,
                     int ldb, float *c, size_t sc, int ldc) {
  if (count <= 0 || m <= 0 || n <= 0) return;
  plan p = make_plan(count, m, n);
  int tasks = count * p.parts;
#ifdef _OPENMP
  if (tasks > 1 && 2.0 * m * n * k * count >= SERIAL_FLOPS && omp_get_max_threads() > 1) {
#pragma omp parallel for schedule(dynamic, 1)
    for (int t = 0; t < tasks; t++) run(&p, t, m, n, k, a, sa, lda, b, sb, ldb, c, sc, ldc);
    return;
  }
  /* Outside a parallel region OpenBLAS would take this thread's OpenMP count: one, for now. */
  int saved = omp_get_max_threads();
  omp_set_num_threads(1);
#endif
  for (int t = 0; t < tasks; t++) run(&p, t, m, n, k, a, sa, lda, b, sb, ldb, c, sc, ldc);
#ifdef _OPENMP
  omp_set_num_threads(saved);
#endif
}

#else
/* Darknet's gemm splits C's rows over OpenMP threads, each element summed the same way whatever
 * the split: thread-invariant as it is. It accumulates into C. */
void dn_matmul_batch(int count, int m, int n, int k, const float *a, size_t sa, int lda, const float *b, size_t sb,
                     int ldb, float *c, size_t sc, int ldc) {
  for (int i = 0; i < count; i++) {
    float *ci = c + (size_t)i * sc;
    for (int r = 0; r < m; r++) memset(ci + (size_t)r * ldc, 0, (size_t)n * sizeof(float));
    gemm(0, 0, m, n, k, 1, (float *)(a + (size_t)i * sa), lda, (float *)(b + (size_t)i * sb), ldb, 1, ci, ldc);
  }
}
#endif

void dn_matmul(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc) {
  dn_matmul_batch(1, m, n, k, a, 0, lda, b, 0, ldb, c, 0, ldc);
}
