// The classifier's pass on the libuv pool: images in, the output layer's values per image out.
#pragma once
#include <napi.h>

#include <vector>

#include "network_workers.h"

namespace dnn {

class ClassifyWorker : public NetworkWorker {
 public:
  ClassifyWorker(Napi::Env env, WorkTarget *self, std::vector<DetectImage> images, dn_prep prep);

 private:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;
  std::vector<DetectImage> images_;
  dn_prep prep_;
  int outputs_ = 0;
  std::vector<float> out_;
};

}  // namespace dnn
