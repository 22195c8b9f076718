// Module entry. Context-aware (Napi::Addon keeps per-environment instance data, no JS handles in
// globals), so the addon loads in worker_threads and in several threads at once.
#include <napi.h>

#include "network.h"

namespace dnn {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    DefineAddon(exports, {
                             InstanceValue("Network", Network::Define(env), napi_enumerable),
                             InstanceMethod<&Addon::Capabilities>("capabilities", napi_enumerable),
                         });
  }

 private:
  Napi::Value Capabilities(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
#ifdef GPU
    o.Set("cuda", true);
#else
    o.Set("cuda", false);
#endif
#ifdef CUDNN
    o.Set("cudnn", true);
#else
    o.Set("cudnn", false);
#endif
#if DN_OPENMP
    o.Set("openmp", true);
#else
    o.Set("openmp", false);
#endif
    o.Set("darknetCommit", DARKNET_COMMIT);
    o.Set("darknetSource", DARKNET_ORIGIN);
    return o;
  }
};

}  // namespace dnn

using DarknetAddon = dnn::Addon;
NODE_API_ADDON(DarknetAddon)
