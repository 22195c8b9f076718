#include "jpeg_worker.h"

#include <cstdlib>

#include "errors.h"
#include "jpeg.h"
#include "promise_worker.h"

namespace dnn {
namespace {

class JpegWorker : public PromiseWorker {
 public:
  JpegWorker(Napi::Env env, Napi::Uint8Array bytes, long maxPixels)
      : PromiseWorker(env, "darknet:decodeJpeg"),
        bytes_(Napi::Persistent(bytes)),  // keeps the caller's bytes alive while the pool reads them
        data_(bytes.Data()),
        length_(bytes.ByteLength()),
        maxPixels_(maxPixels) {}
  ~JpegWorker() override { std::free(image_.pixels); }

 protected:
  void Run() override { decoded_ = dn_jpeg_decode(data_, length_, maxPixels_, &image_) != 0; }

  Napi::Value Result(Napi::Env env) override {
    if (!decoded_) return env.Null();
    size_t n = static_cast<size_t>(image_.width) * image_.height * 3;
    Napi::Object o = Napi::Object::New(env);
    o.Set("data", Napi::Buffer<uint8_t>::Copy(env, image_.pixels, n));
    o.Set("width", image_.width);
    o.Set("height", image_.height);
    return o;
  }

  void Release(Napi::Env) override { bytes_.Reset(); }

 private:
  Napi::Reference<Napi::Uint8Array> bytes_;
  const uint8_t *data_;
  size_t length_;
  long maxPixels_;
  dn_jpeg_image image_{};
  bool decoded_ = false;
};

}  // namespace

Napi::Value DecodeJpeg(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      !info[1].IsNumber())
    throw MakeError(env, "DARKNET", "decodeJpeg(bytes: Uint8Array, maxPixels: number)");
  auto *w = new JpegWorker(env, info[0].As<Napi::Uint8Array>(), static_cast<long>(info[1].As<Napi::Number>().Int64Value()));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace dnn
