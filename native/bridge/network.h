// The ObjectWrap around one Darknet network. It converts JavaScript values to C types and keeps
// the object's own state safe (disposed, busy, loaded); every option and input rule is checked
// once, in TypeScript (lib/), and the memory-safety invariants of the data are ops/invariants.c.
#pragma once
#include <napi.h>

#include <utility>

#include <atomic>
#include <cstddef>
#include <vector>

#include "compute_thread.h"
#include "ops/ops.h"
#include "work_target.h"

namespace dnn {

struct DetectImage;  // network_workers.h

class Network : public Napi::ObjectWrap<Network>, public WorkTarget {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Network(const Napi::CallbackInfo &info);
  ~Network() override;

  // WorkTarget: used by the workers (network_workers.cc, classify_worker.cc).
  dn_network *net() const override { return net_; }
  void Attach(Napi::Env env, dn_network *net) override;
  void EndWork(Napi::Env env) override;
  void Hold() override { Ref(); }
  void Unhold() override { Unref(); }
  void Compute(const std::function<void()> &fn) override { compute_.Run(fn); }

 private:
  Napi::Value Load(const Napi::CallbackInfo &info);
  Napi::Value Forward(const Napi::CallbackInfo &info);
  Napi::Value Detect(const Napi::CallbackInfo &info);
  Napi::Value DetectJpeg(const Napi::CallbackInfo &info);
  Napi::Value Classify(const Napi::CallbackInfo &info);
  std::vector<DetectImage> ImagesArg(Napi::Env env, Napi::Value images);
  Napi::Value Layers(const Napi::CallbackInfo &info);
  Napi::Value Outputs(const Napi::CallbackInfo &info);
  Napi::Value Memory(const Napi::CallbackInfo &info);
  Napi::Value LoadStats(const Napi::CallbackInfo &info);
  Napi::Value Dispose(const Napi::CallbackInfo &info);
  Napi::Value IsDisposed(const Napi::CallbackInfo &info);
  Napi::Value GetThreads(const Napi::CallbackInfo &info);
  void SetThreads(const Napi::CallbackInfo &info, const Napi::Value &value);
  Napi::Value IsFast(const Napi::CallbackInfo &info);

  void CheckUsable(Napi::Env env, bool needLoaded = true);  // disposed / busy / not loaded
  void BeginWork(Napi::Env env);
  // Marks the network busy, then queues a worker of type W(env, this, args…): its promise
  template <class W, class... A>
  Napi::Value Start(Napi::Env env, A &&...args) {
    BeginWork(env);
    auto *w = new W(env, this, std::forward<A>(args)...);
    Napi::Promise p = w->Promise();
    w->Queue();
    return p;
  }
  void Free(Napi::Env env);

  dn_network *net_ = nullptr;
  std::atomic<bool> busy_{false};
  bool disposed_ = false;
  bool disposeRequested_ = false;
  int64_t externalBytes_ = 0;
  ComputeThread compute_;  // where passes run; declared last, so ended first
};

}  // namespace dnn
