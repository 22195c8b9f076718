// What a network worker needs of the network it runs on (network.h implements it): the handle,
// the busy state it ends, and a reference that keeps the wrapper alive while the work runs. An
// interface, so that network.cc can create workers and workers never include network.h.
#pragma once
#include <napi.h>

#include <functional>

#include "ops/ops.h"

namespace dnn {

class WorkTarget {
 public:
  virtual dn_network *net() const = 0;
  virtual void Attach(Napi::Env env, dn_network *net) = 0;  // a load finished
  virtual void EndWork(Napi::Env env) = 0;  // release the busy flag, honour a pending dispose
  virtual void Hold() = 0;                  // the wrapper outlives the work, even if JS drops it
  virtual void Unhold() = 0;
  // Runs a pass (fn) on the network's own compute thread and waits (compute_thread.h).
  virtual void Compute(const std::function<void()> &fn) = 0;

 protected:
  ~WorkTarget() = default;
};

}  // namespace dnn
