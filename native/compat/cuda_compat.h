/* Lets the pinned Darknet source (written for CUDA 9/10 and cuDNN 7) build against CUDA 12/13 and
 * cuDNN 8/9. Included by prelude.h into Darknet's C files when GPU is defined; every fix is a
 * definition here, none is an edit of the submodule. */
#ifndef DN_CUDA_COMPAT_H
#define DN_CUDA_COMPAT_H
#include <cuda_runtime.h>

/* cudaThreadSynchronize (gemm.c, time_gpu) was deprecated in CUDA 4 and is gone in CUDA 12+. */
#define cudaThreadSynchronize cudaDeviceSynchronize

/* gemm_gpu stores cublasSgemm's cublasStatus_t in a cudaError_t and hands it to check_error,
 * which reads it as a CUDA runtime code: a cuBLAS failure (e.g. CUBLAS_STATUS_EXECUTION_FAILED =
 * 13) would be reported as an unrelated runtime error, or not at all. Report it as what it is. */
#include <cublas_v2.h>
static inline cudaError_t dn_cublas_status(cublasStatus_t s) {
  if (s != CUBLAS_STATUS_SUCCESS) dn_guard_fail("cuBLAS error %d (%s)", (int)s, cublasGetStatusString(s));
  return cudaSuccess;
}
#undef cublasSgemm
#define cublasSgemm(...) dn_cublas_status(cublasSgemm_v2(__VA_ARGS__))

#ifdef CUDNN
#include <cudnn.h>
#if CUDNN_MAJOR >= 8
/* cuDNN 8 removed cudnnGetConvolution{Forward,BackwardData,BackwardFilter}Algorithm and their
 * preference enums. Darknet asks for the fastest algorithm whose workspace fits 2,000,000,000
 * bytes (SPECIFY_WORKSPACE_LIMIT). The _v7 finders return candidates ranked by expected speed:
 * take the first that succeeded and fits the limit. The convolution's math is pinned to plain
 * FP32 (CUDNN_FMA_MATH) first: Darknet never set a math type, and on Ampere/Hopper cuDNN would
 * otherwise be free to run FP32 convolutions as TF32 — different numbers from the CPU. */
typedef enum { CUDNN_CONVOLUTION_FWD_NO_WORKSPACE = 0, CUDNN_CONVOLUTION_FWD_PREFER_FASTEST = 1,
               CUDNN_CONVOLUTION_FWD_SPECIFY_WORKSPACE_LIMIT = 2 } dn_cudnnConvolutionFwdPreference_t;
typedef enum { CUDNN_CONVOLUTION_BWD_DATA_NO_WORKSPACE = 0, CUDNN_CONVOLUTION_BWD_DATA_PREFER_FASTEST = 1,
               CUDNN_CONVOLUTION_BWD_DATA_SPECIFY_WORKSPACE_LIMIT = 2 } dn_cudnnConvolutionBwdDataPreference_t;
typedef enum { CUDNN_CONVOLUTION_BWD_FILTER_NO_WORKSPACE = 0, CUDNN_CONVOLUTION_BWD_FILTER_PREFER_FASTEST = 1,
               CUDNN_CONVOLUTION_BWD_FILTER_SPECIFY_WORKSPACE_LIMIT = 2 } dn_cudnnConvolutionBwdFilterPreference_t;

#define DN_CUDNN_PICK(perf, n, pref, limit, algo, fallback)                                   \
  do {                                                                                       \
    *(algo) = (fallback);                                                                    \
    for (int i_ = 0; i_ < (n); i_++) {                                                       \
      if ((perf)[i_].status != CUDNN_STATUS_SUCCESS) continue;                               \
      if ((pref) == 2 && (perf)[i_].memory > (limit)) continue;                              \
      if ((pref) == 0 && (perf)[i_].memory != 0) continue;                                   \
      *(algo) = (perf)[i_].algo;                                                             \
      break;                                                                                 \
    }                                                                                        \
  } while (0)

static inline cudnnStatus_t dn_cudnnGetConvolutionForwardAlgorithm(
    cudnnHandle_t h, cudnnTensorDescriptor_t x, cudnnFilterDescriptor_t w, cudnnConvolutionDescriptor_t conv,
    cudnnTensorDescriptor_t y, int pref, size_t limit, cudnnConvolutionFwdAlgo_t *algo) {
  cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int n = 0;
  cudnnStatus_t st = cudnnSetConvolutionMathType(conv, CUDNN_FMA_MATH);
  if (st != CUDNN_STATUS_SUCCESS) return st;
  st = cudnnGetConvolutionForwardAlgorithm_v7(h, x, w, conv, y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, perf);
  if (st != CUDNN_STATUS_SUCCESS) return st;
  DN_CUDNN_PICK(perf, n, pref, limit, algo, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM);
  return CUDNN_STATUS_SUCCESS;
}

static inline cudnnStatus_t dn_cudnnGetConvolutionBackwardDataAlgorithm(
    cudnnHandle_t h, cudnnFilterDescriptor_t w, cudnnTensorDescriptor_t dy, cudnnConvolutionDescriptor_t conv,
    cudnnTensorDescriptor_t dx, int pref, size_t limit, cudnnConvolutionBwdDataAlgo_t *algo) {
  cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
  int n = 0;
  cudnnStatus_t st = cudnnGetConvolutionBackwardDataAlgorithm_v7(h, w, dy, conv, dx, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n, perf);
  if (st != CUDNN_STATUS_SUCCESS) return st;
  DN_CUDNN_PICK(perf, n, pref, limit, algo, CUDNN_CONVOLUTION_BWD_DATA_ALGO_0);
  return CUDNN_STATUS_SUCCESS;
}

static inline cudnnStatus_t dn_cudnnGetConvolutionBackwardFilterAlgorithm(
    cudnnHandle_t h, cudnnTensorDescriptor_t x, cudnnTensorDescriptor_t dy, cudnnConvolutionDescriptor_t conv,
    cudnnFilterDescriptor_t dw, int pref, size_t limit, cudnnConvolutionBwdFilterAlgo_t *algo) {
  cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
  int n = 0;
  cudnnStatus_t st = cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, x, dy, conv, dw, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &n, perf);
  if (st != CUDNN_STATUS_SUCCESS) return st;
  DN_CUDNN_PICK(perf, n, pref, limit, algo, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0);
  return CUDNN_STATUS_SUCCESS;
}

#define cudnnGetConvolutionForwardAlgorithm dn_cudnnGetConvolutionForwardAlgorithm
#define cudnnGetConvolutionBackwardDataAlgorithm dn_cudnnGetConvolutionBackwardDataAlgorithm
#define cudnnGetConvolutionBackwardFilterAlgorithm dn_cudnnGetConvolutionBackwardFilterAlgorithm
#endif /* CUDNN_MAJOR >= 8 */
#endif /* CUDNN */
#endif
