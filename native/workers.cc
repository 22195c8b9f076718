#include "workers.h"

#include <cstdlib>
#include <cstring>

#include "errors.h"
#include "guard.h"

namespace dnn {

NetworkWorker::NetworkWorker(Napi::Env env, Network *self)
    : Napi::AsyncWorker(env, "darknet"), self_(self), deferred_(Napi::Promise::Deferred::New(env)) {
  self_->Ref();  // the wrapper (and its network) outlives the work, even if JS drops it
}

void NetworkWorker::Execute() {
  try {
    Run();
  } catch (const CodedError &e) {
    code_ = e.code;
    SetError(e.what());
  } catch (const std::exception &e) {
    SetError(e.what());
  } catch (...) {
    SetError("unknown native error");
  }
}

void NetworkWorker::Finish() {
  self_->EndWork(Env());
  self_->Unref();
}

void NetworkWorker::OnOK() {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  try {
    Napi::Value v = Result(env);
    Finish();
    deferred_.Resolve(v);
  } catch (const Napi::Error &e) {
    Finish();
    deferred_.Reject(e.Value());
  }
}

void NetworkWorker::OnError(const Napi::Error &e) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  Napi::Error err = MakeError(env, code_, e.Message());
  Finish();
  deferred_.Reject(err.Value());
}


// ---- load ----

LoadWorker::LoadWorker(Napi::Env env, Network *self, std::string cfg, std::string weights, bool hasWeights)
    : NetworkWorker(env, self), cfg_(std::move(cfg)), weights_(std::move(weights)), hasWeights_(hasWeights) {}

void LoadWorker::Run() {
  char err[DN_GUARD_MSG_BYTES];
  if (dn_load(cfg_.c_str(), hasWeights_ ? weights_.c_str() : nullptr, &loaded_, err, sizeof err) != 0)
    throw CodedError("DARKNET", std::string(err));
}

Napi::Value LoadWorker::Result(Napi::Env env) {
  self_->Attach(env, loaded_);
  loaded_ = nullptr;
  return env.Undefined();
}

// ---- forward ----

ForwardWorker::ForwardWorker(Napi::Env env, Network *self, std::vector<float> input)
    : NetworkWorker(env, self), input_(std::move(input)) {}

void ForwardWorker::Run() {
  char err[DN_GUARD_MSG_BYTES];
  if (dn_forward(self_->net(), input_.data(), input_.size(), err, sizeof err) != 0)
    throw CodedError("DARKNET", std::string(err));
}

// ---- detect ----

DetectWorker::DetectWorker(Napi::Env env, Network *self, std::vector<unsigned char> pixels, DetectParams p)
    : NetworkWorker(env, self), pixels_(std::move(pixels)), p_(p) {}

DetectWorker::~DetectWorker() { dn_free(boxes_.data); }  // allocated by the guard's allocator

void DetectWorker::Run() {
  char err[DN_GUARD_MSG_BYTES];
  if (dn_detect(self_->net(), pixels_.data(), p_.width, p_.height, p_.channels, p_.letterbox ? 1 : 0,
                p_.thresh, p_.hier, p_.nms, &boxes_, err, sizeof err) != 0)
    throw CodedError("DARKNET", std::string(err));
}

Napi::Value DetectWorker::Result(Napi::Env env) {
  size_t n = static_cast<size_t>(boxes_.count) * (5 + static_cast<size_t>(boxes_.classes));
  Napi::Float32Array data = Napi::Float32Array::New(env, n);
  if (n) std::memcpy(data.Data(), boxes_.data, n * sizeof(float));
  Napi::Object out = Napi::Object::New(env);
  out.Set("data", data);
  out.Set("count", boxes_.count);
  out.Set("classes", boxes_.classes);
  return out;
}

}  // namespace dnn
