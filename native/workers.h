// AsyncWorkers for Network: each holds a Deferred and a Ref on its Network for its whole life,
// runs Darknet on the libuv pool, and turns every C++ exception into a rejected promise.
#pragma once
#include <napi.h>

#include <string>
#include <vector>

#include "network.h"

namespace dnn {

class NetworkWorker : public Napi::AsyncWorker {
 public:
  NetworkWorker(Napi::Env env, Network *self);
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  virtual void Run() = 0;                                     // worker thread
  virtual Napi::Value Result(Napi::Env env) { return env.Undefined(); }  // main thread
  Network *self_;

 private:
  void Execute() final;
  void OnOK() final;
  void OnError(const Napi::Error &e) final;
  void Finish();
  Napi::Promise::Deferred deferred_;
  std::string code_ = "NATIVE";
};

class LoadWorker : public NetworkWorker {
 public:
  LoadWorker(Napi::Env env, Network *self, std::string cfg, std::string weights, bool hasWeights);

 private:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;
  std::string cfg_, weights_;
  bool hasWeights_;
  dn_network *loaded_ = nullptr;
};

class ForwardWorker : public NetworkWorker {
 public:
  ForwardWorker(Napi::Env env, Network *self, std::vector<float> input);

 private:
  void Run() override;
  std::vector<float> input_;
};

struct DetectParams {
  int width, height, channels;
  bool letterbox;
  float thresh, hier, nms;
};

class DetectWorker : public NetworkWorker {
 public:
  DetectWorker(Napi::Env env, Network *self, std::vector<unsigned char> pixels, DetectParams p);
  ~DetectWorker() override;

 private:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;
  std::vector<unsigned char> pixels_;
  DetectParams p_;
  dn_boxes boxes_{};
};

}  // namespace dnn
