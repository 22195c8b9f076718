/* What this build and the machine offer: CUDA, cuDNN, the visible devices. */
#include "devices.h"

#include <string.h>

#include "darknet.h"

int dn_gpu_compiled(void) {
#ifdef GPU
  return 1;
#else
  return 0;
#endif
}

int dn_cudnn_compiled(void) {
#ifdef CUDNN
  return 1;
#else
  return 0;
#endif
}

int dn_device_count(void) {
#ifdef GPU
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) return 0;
  return n;
#else
  return 0;
#endif
}

void dn_device_at(int i, dn_device_info *o) {
  memset(o, 0, sizeof *o);
#ifdef GPU
  struct cudaDeviceProp p;
  if (cudaGetDeviceProperties(&p, i) != cudaSuccess) return;
  strncpy(o->name, p.name, sizeof o->name - 1);
  o->memory = p.totalGlobalMem;
  o->major = p.major;
  o->minor = p.minor;
#else
  (void)i;
#endif
}

size_t dn_cudnn_version(void) {
#ifdef CUDNN
  return cudnnGetVersion();
#else
  return 0;
#endif
}
