#pragma once
#include <napi.h>

namespace dnn {
// prepareKernels(): Promise<void>, on the libuv pool: loads the fast numerics' convolution library
// (oneDNN, ~40 MB to map and relocate) ahead of a network load that will need it, so that lib/
// can start it before the work it does in JavaScript (reading and validating the cfg, sizing the
// weights) and the two overlap. Never rejects: an absent library is found the same way later.
Napi::Value PrepareKernels(const Napi::CallbackInfo &info);
}  // namespace dnn
