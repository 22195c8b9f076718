#include "prepare_worker.h"

#include "fast/dnnl_lib.h"
#include "promise_worker.h"

namespace dnn {
namespace {

class PrepareWorker : public PromiseWorker {
 public:
  explicit PrepareWorker(Napi::Env env) : PromiseWorker(env, "darknet:prepareKernels") {}

 protected:
  void Run() override { dn_dnnl_available(); }  // once per process (pthread_once inside)
};

}  // namespace

Napi::Value PrepareKernels(const Napi::CallbackInfo &info) {
  auto *w = new PrepareWorker(info.Env());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace dnn
