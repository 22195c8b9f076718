#include "train_worker.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "errors.h"
#include "guard/guard.h"
#include "promise_worker.h"
#include "ops/train.h"

namespace dnn {

namespace {

struct Progress {
  int iteration;
  float loss, avgLoss, rate;
  double seen;
  int width, height;
  std::string checkpoint;
};

class TrainWorker : public PromiseWorker {
 public:
  TrainWorker(Napi::Env env, Napi::Object o, Napi::Function onProgress, std::shared_ptr<std::atomic<bool>> stop)
      : PromiseWorker(env, "darknet:train", "DARKNET"), stop_(std::move(stop)) {
    auto str = [&](const char *k) {
      Napi::Value v = o.Get(k);
      if (!v.IsString()) Throw(env, "BAD_INPUT", std::string(k) + " must be a string");
      return v.As<Napi::String>().Utf8Value();
    };
    auto num = [&](const char *k) {
      Napi::Value v = o.Get(k);
      if (!v.IsNumber()) Throw(env, "BAD_INPUT", std::string(k) + " must be a number");
      return v.As<Napi::Number>().Int32Value();
    };
    cfg_ = str("cfg");
    hasWeights_ = o.Get("weights").IsString();
    if (hasWeights_) weights_ = str("weights");
    prefix_ = str("prefix");
    maxBatches_ = num("maxBatches");
    checkpointEvery_ = num("checkpointEvery");
    clearSeen_ = o.Get("clearSeen").ToBoolean().Value();
    seed_ = o.Get("seed").ToNumber().Uint32Value();
    if (!o.Get("weightLayers").IsUndefined()) weightLayers_ = num("weightLayers");
    Napi::Value paths = o.Get("paths");
    if (!paths.IsArray()) Throw(env, "BAD_INPUT", "paths must be an array");
    Napi::Array a = paths.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) paths_.push_back(a.Get(i).ToString().Utf8Value());
    if (paths_.empty()) Throw(env, "BAD_INPUT", "no training images");
    progress_ = Napi::ThreadSafeFunction::New(env, onProgress, "darknet:train-progress", 0, 1);
  }
  ~TrainWorker() override { progress_.Release(); }

 private:
  static int OnStep(void *ctx, const dn_train_progress *p) {
    auto *self = static_cast<TrainWorker *>(ctx);
    self->lastIteration_ = p->iteration;
    self->lastAvgLoss_ = p->avg_loss;
    auto *data = new Progress{p->iteration, p->loss, p->avg_loss, p->rate, static_cast<double>(p->seen),
                              p->w, p->h, p->checkpoint ? p->checkpoint : ""};
    napi_status st = self->progress_.BlockingCall(data, [](Napi::Env env, Napi::Function fn, Progress *d) {
      if (env != nullptr) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("iteration", d->iteration);
        o.Set("loss", d->loss);
        o.Set("avgLoss", d->avgLoss);
        o.Set("learningRate", d->rate);
        o.Set("imagesSeen", d->seen);
        o.Set("width", d->width);
        o.Set("height", d->height);
        if (!d->checkpoint.empty()) o.Set("checkpoint", d->checkpoint);
        fn.Call({o});
      }
      delete d;
    });
    if (st != napi_ok) delete data;
    return self->stop_->load() ? 1 : 0;
  }

  void Run() override {
    std::vector<char *> paths;
    for (auto &s : paths_) paths.push_back(s.data());
    dn_train_params p{cfg_.c_str(), hasWeights_ ? weights_.c_str() : nullptr, paths.data(), static_cast<int>(paths.size()),
                      maxBatches_, checkpointEvery_, clearSeen_ ? 1 : 0, prefix_.c_str(), seed_, weightLayers_};
    char msg[DN_GUARD_MSG + 4096];
    int rc = dn_train(&p, &TrainWorker::OnStep, this, msg, sizeof msg);
    if (rc < 0) throw CodedError("DARKNET", msg);
    finalPath_ = msg;
    stopped_ = rc == 1;
  }

  // Progress events wait in the thread-safe function's queue; the outcome joins the same queue
  // behind them, so the promise settles after every iteration was reported.
  struct Outcome {
    Napi::Promise::Deferred deferred;
    Napi::Reference<Napi::Value> value;
    bool failed;
  };
  static void Deliver(Napi::Env env, Outcome *o) {
    try {
      Napi::HandleScope scope(env);
      Napi::Value v = o->value.Value();
      if (o->failed) o->deferred.Reject(v);
      else o->deferred.Resolve(v);
    } catch (...) {
      // the environment is going away: nothing can be delivered to it
    }
  }
  void Settle(Napi::Env env, bool failed, Napi::Value outcome) override {
    auto *o = new Outcome{Deferred(), Napi::Persistent(outcome), failed};
    napi_status st = progress_.NonBlockingCall(o, [](Napi::Env env, Napi::Function, Outcome *o) {
      if (env != nullptr) Deliver(env, o);
      else o->value.SuppressDestruct();  // no environment left to delete the reference in
      delete o;
    });
    if (st != napi_ok) {  // the queue is closing: settle now
      Deliver(env, o);
      delete o;
    }
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("weights", finalPath_);
    o.Set("stopped", stopped_);
    o.Set("iterations", lastIteration_);
    o.Set("avgLoss", lastAvgLoss_);
    return o;
  }

  std::shared_ptr<std::atomic<bool>> stop_;
  Napi::ThreadSafeFunction progress_;
  std::string cfg_, weights_, prefix_, finalPath_;
  bool hasWeights_ = false, clearSeen_ = false, stopped_ = false;
  uint32_t seed_ = 0;
  int maxBatches_ = 0, checkpointEvery_ = 0, weightLayers_ = 0;
  int lastIteration_ = 0;
  float lastAvgLoss_ = 0;
  std::vector<std::string> paths_;
};

}  // namespace

// train({ cfg, weights?, weightLayers?, paths, maxBatches, checkpointEvery, prefix, clearSeen, seed }, onProgress)
//   → { promise: Promise<{ weights, stopped }>, stop(): void }
Napi::Value Train(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject() || !info[1].IsFunction()) Throw(env, "BAD_INPUT", "train(options, onProgress)");
  auto stop = std::make_shared<std::atomic<bool>>(false);
  auto *w = new TrainWorker(env, info[0].As<Napi::Object>(), info[1].As<Napi::Function>(), stop);
  Napi::Object job = Napi::Object::New(env);
  job.Set("promise", w->Promise());
  job.Set("stop", Napi::Function::New(env, [stop](const Napi::CallbackInfo &i) {
            stop->store(true);
            return i.Env().Undefined();
          }));
  w->Queue();
  return job;
}

}  // namespace dnn
