// Module entry. Context-aware (Napi::Addon keeps per-environment instance data, no JS handles in
// globals), so the addon loads in worker_threads and in several threads at once.
#include <napi.h>

#include <string>

#include "fast/dnnl_lib.h"
#include "file_worker.h"
#include "image/jpeg.h"
#include "jpeg_worker.h"
#include "runtime/blas.h"
#include "runtime/threads.h"
#include "network.h"
#include "prepare_worker.h"
#include "ops/ops.h"
#include "train_worker.h"

namespace dnn {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    DefineAddon(exports, {
                             InstanceValue("Network", Network::Define(env), napi_enumerable),
                             InstanceMethod<&Addon::Capabilities>("capabilities", napi_enumerable),
                             InstanceMethod<&Addon::TrainJob>("train", napi_enumerable),
                             InstanceMethod<&Addon::Jpeg>("decodeJpeg", napi_enumerable),
                             InstanceMethod<&Addon::Prepare>("prepareKernels", napi_enumerable),
                             InstanceMethod<&Addon::Head>("readHead", napi_enumerable),
                         });
  }

 private:
  Napi::Value TrainJob(const Napi::CallbackInfo &info) { return Train(info); }
  Napi::Value Jpeg(const Napi::CallbackInfo &info) { return DecodeJpeg(info); }
  Napi::Value Prepare(const Napi::CallbackInfo &info) { return PrepareKernels(info); }
  Napi::Value Head(const Napi::CallbackInfo &info) { return ReadHead(info); }
  Napi::Value Capabilities(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("cuda", dn_gpu_compiled() != 0);
    o.Set("cudnn", dn_cudnn_compiled() != 0);
    size_t cudnn = dn_cudnn_version();
    o.Set("cudnnVersion", cudnn ? Napi::Value(Napi::Number::New(env, static_cast<double>(cudnn))) : env.Null());
    int n = dn_device_count();
    Napi::Array devices = Napi::Array::New(env, n);
    for (int i = 0; i < n; i++) {
      dn_device_info d;
      dn_device_at(i, &d);
      Napi::Object dev = Napi::Object::New(env);
      dev.Set("index", i);
      dev.Set("name", d.name);
      dev.Set("memory", static_cast<double>(d.memory));
      dev.Set("computeCapability", std::to_string(d.major) + "." + std::to_string(d.minor));
      devices.Set(i, dev);
    }
    o.Set("devices", devices);
#if DN_OPENMP
    o.Set("openmp", true);
#else
    o.Set("openmp", false);
#endif
    char blas[160];
    o.Set("blas", dn_blas_name(blas, sizeof blas) ? Napi::Value(Napi::String::New(env, blas)) : env.Null());
    o.Set("defaultThreads", dn_default_threads());
    const char *jpeg = dn_jpeg_version();
    o.Set("jpeg", jpeg ? Napi::Value(Napi::String::New(env, jpeg)) : env.Null());
    const char *dnnl = dn_dnnl_version();
    o.Set("dnnl", dnnl ? Napi::Value(Napi::String::New(env, dnnl)) : env.Null());
    o.Set("darknetCommit", DARKNET_COMMIT);
    o.Set("darknetSource", DARKNET_ORIGIN);
    // sha256 of the Darknet files this binary compiled (scripts/native-build.mjs darknetSourceHash)
    o.Set("darknetSourceHash", DARKNET_SOURCE_HASH);
    return o;
  }
};

}  // namespace dnn

using DarknetAddon = dnn::Addon;
NODE_API_ADDON(DarknetAddon)
