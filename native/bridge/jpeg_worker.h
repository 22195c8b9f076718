#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace dnn {
// decodeJpeg(bytes: Uint8Array | path: string, maxPixels: number, into?: Uint8Array):
//   Promise<{ data, width, height } | null> on the libuv pool; null means "not decoded here"
// (lib/input.ts then uses sharp). data is `into` itself when the pixels fit in it (its first
// width × height × 3 bytes), else a new buffer.
Napi::Value DecodeJpeg(const Napi::CallbackInfo &info);
// A JPEG file's bytes (up to 256 MiB), read on the calling thread; false when it cannot be read
// (the caller's other decoder then reports why).
bool ReadJpegFile(const std::string &path, std::vector<uint8_t> &into);
}  // namespace dnn
