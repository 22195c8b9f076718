#pragma once
#include <napi.h>

namespace dnn {
// decodeJpeg(bytes: Uint8Array | path: string, maxPixels: number): Promise<{ data, width, height } | null>
// on the libuv pool; null means "not decoded here" (lib/input.ts then uses sharp).
Napi::Value DecodeJpeg(const Napi::CallbackInfo &info);
}  // namespace dnn
