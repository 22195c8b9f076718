#include "classify_worker.h"

#include <cstring>
#include <string>

#include "errors.h"
#include "guard/guard.h"

namespace dnn {

ClassifyWorker::ClassifyWorker(Napi::Env env, WorkTarget *self, std::vector<DetectImage> images, dn_prep prep)
    : NetworkWorker(env, self), images_(std::move(images)), prep_(prep) {}

void ClassifyWorker::Run() {
  char err[DN_GUARD_MSG];
  std::vector<dn_image_in> in(images_.size());
  for (size_t i = 0; i < images_.size(); i++)
    in[i] = dn_image_in{images_[i].pixels.data(), images_[i].pixels.size(), images_[i].width, images_[i].height, images_[i].channels};
  dn_output_layer(self_->net(), &outputs_);
  out_.resize(static_cast<size_t>(outputs_) * in.size());
  int rc = 0;
  self_->Compute([&] { rc = dn_classify(self_->net(), in.data(), static_cast<int>(in.size()), prep_, out_.data(), err, sizeof err); });
  if (rc != 0) throw CodedError("DARKNET", std::string(err));
}

Napi::Value ClassifyWorker::Result(Napi::Env env) {
  Napi::Array all = Napi::Array::New(env, images_.size());
  size_t n = static_cast<size_t>(outputs_);
  for (size_t i = 0; i < images_.size(); i++) {
    Napi::Float32Array v = Napi::Float32Array::New(env, n);
    if (n) std::memcpy(v.Data(), out_.data() + i * n, n * sizeof(float));
    all.Set(i, v);
  }
  return all;
}

}  // namespace dnn
