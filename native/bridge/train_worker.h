// train(options, onProgress) → { promise, stop() }: Darknet's trainer on a libuv worker.
#pragma once
#include <napi.h>

namespace dnn {
Napi::Value Train(const Napi::CallbackInfo &info);
}
