// The ObjectWrap around one Darknet network*. Argument checks and conversions only: policy
// (defaults, validation of files, queueing) lives in lib/.
#pragma once
#include <napi.h>

#include <atomic>
#include <cstddef>
#include <vector>

#include "ops.h"

namespace dnn {

struct DetectImage;  // workers.h

class Network : public Napi::ObjectWrap<Network> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Network(const Napi::CallbackInfo &info);
  ~Network() override;

  // Used by the workers (network_workers.cc).
  dn_network *net() const { return net_; }
  void Attach(Napi::Env env, dn_network *net);
  void EndWork(Napi::Env env);  // a worker finished: release the busy flag, honour a pending dispose

 private:
  Napi::Value Load(const Napi::CallbackInfo &info);
  Napi::Value Forward(const Napi::CallbackInfo &info);
  Napi::Value Detect(const Napi::CallbackInfo &info);
  Napi::Value Classify(const Napi::CallbackInfo &info);
  std::vector<DetectImage> ImagesArg(Napi::Env env, Napi::Value images);
  Napi::Value Dims(const Napi::CallbackInfo &info);
  Napi::Value Layers(const Napi::CallbackInfo &info);
  Napi::Value Outputs(const Napi::CallbackInfo &info);
  Napi::Value Memory(const Napi::CallbackInfo &info);
  Napi::Value Dispose(const Napi::CallbackInfo &info);
  Napi::Value IsDisposed(const Napi::CallbackInfo &info);
  Napi::Value GetThreads(const Napi::CallbackInfo &info);
  void SetThreads(const Napi::CallbackInfo &info, const Napi::Value &value);
  Napi::Value IsFast(const Napi::CallbackInfo &info);

  void CheckUsable(Napi::Env env, bool needLoaded = true);  // disposed / busy / not loaded
  void BeginWork(Napi::Env env);
  void Free(Napi::Env env);

  dn_network *net_ = nullptr;
  std::atomic<bool> busy_{false};
  bool disposed_ = false;
  bool disposeRequested_ = false;
  int64_t externalBytes_ = 0;
};

}  // namespace dnn
