/* What this build and the machine offer (devices.c). */
#ifndef DN_OPS_DEVICES_H
#define DN_OPS_DEVICES_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* GPU builds: visible CUDA devices and the cuDNN version (0 when not compiled in). */
typedef struct {
  char name[128];
  size_t memory;
  int major, minor;
} dn_device_info;
int dn_gpu_compiled(void);
int dn_cudnn_compiled(void);
int dn_device_count(void);
void dn_device_at(int i, dn_device_info *out);
size_t dn_cudnn_version(void);

#ifdef __cplusplus
}
#endif
#endif
