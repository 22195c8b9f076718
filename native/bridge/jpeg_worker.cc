#include "jpeg_worker.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "errors.h"
#include "image/jpeg.h"
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
  // a file: read here, on the pool, so that a detect from a path costs one trip to it
  JpegWorker(Napi::Env env, std::string path, long maxPixels)
      : PromiseWorker(env, "darknet:decodeJpeg"), path_(std::move(path)), maxPixels_(maxPixels) {}
  ~JpegWorker() override {
    if (image_.owned) std::free(image_.pixels);
  }
  // the caller's buffer to decode into when the image fits (kept alive, and not touched by
  // JavaScript meanwhile: lib/pixel-scratch.ts lends it to one decode at a time)
  void Into(Napi::Uint8Array into) {
    into_ = Napi::Persistent(into);
    intoData_ = into.Data();
    intoLength_ = into.ByteLength();
  }

 protected:
  void Run() override {
    if (!path_.empty()) {
      if (!ReadJpegFile(path_, file_)) return;  // unreadable: the caller's other decoder reports it
      data_ = file_.data();
      length_ = file_.size();
    }
    // one part: a libuv pool thread has no OpenMP team of its own to lend, nor should get one
    decoded_ = dn_jpeg_decode(data_, length_, maxPixels_, intoData_, intoLength_, 1, &image_) != 0;
  }

  Napi::Value Result(Napi::Env env) override {
    if (!decoded_) return env.Null();
    size_t n = static_cast<size_t>(image_.width) * image_.height * 3;
    Napi::Object o = Napi::Object::New(env);
    o.Set("data", image_.owned ? Napi::Value(Napi::Buffer<uint8_t>::Copy(env, image_.pixels, n)) : into_.Value());
    o.Set("width", image_.width);
    o.Set("height", image_.height);
    return o;
  }

  void Release(Napi::Env) override {
    bytes_.Reset();
    into_.Reset();
  }

 private:
  Napi::Reference<Napi::Uint8Array> bytes_;
  Napi::Reference<Napi::Uint8Array> into_;
  uint8_t *intoData_ = nullptr;
  size_t intoLength_ = 0;
  std::string path_;
  std::vector<uint8_t> file_;
  const uint8_t *data_ = nullptr;
  size_t length_ = 0;
  long maxPixels_;
  dn_jpeg_image image_{};
  bool decoded_ = false;
};

}  // namespace

bool ReadJpegFile(const std::string &path, std::vector<uint8_t> &into) {
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  bool ok = std::fseek(f, 0, SEEK_END) == 0;
  long size = ok ? std::ftell(f) : -1;
  // 256 MiB: far beyond any JPEG of maxPixels' default; larger ones are left to sharp
  ok = ok && size > 0 && size <= (256L << 20) && std::fseek(f, 0, SEEK_SET) == 0;
  if (ok) {
    into.resize(static_cast<size_t>(size));
    ok = std::fread(into.data(), 1, into.size(), f) == into.size();
  }
  std::fclose(f);
  return ok;
}

Napi::Value DecodeJpeg(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  bool bytes = info.Length() >= 2 && info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array;
  bool path = info.Length() >= 2 && info[0].IsString();
  if ((!bytes && !path) || !info[1].IsNumber()) throw MakeError(env, "DARKNET", "decodeJpeg(bytes: Uint8Array | path: string, maxPixels: number)");
  long maxPixels = static_cast<long>(info[1].As<Napi::Number>().Int64Value());
  auto *w = bytes ? new JpegWorker(env, info[0].As<Napi::Uint8Array>(), maxPixels)
                  : new JpegWorker(env, info[0].As<Napi::String>().Utf8Value(), maxPixels);
  if (info.Length() >= 3 && info[2].IsTypedArray() && info[2].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array)
    w->Into(info[2].As<Napi::Uint8Array>());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace dnn
