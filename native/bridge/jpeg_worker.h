#pragma once
#include <napi.h>

namespace dnn {
// decodeJpeg(bytes: Uint8Array | path: string, maxPixels: number, into?: Uint8Array):
//   Promise<{ data, width, height } | null> on the libuv pool; null means "not decoded here"
// (lib/input.ts then uses sharp). data is `into` itself when the pixels fit in it (its first
// width × height × 3 bytes), else a new buffer.
Napi::Value DecodeJpeg(const Napi::CallbackInfo &info);
}  // namespace dnn
