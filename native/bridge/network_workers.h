// AsyncWorkers for Network: each holds a Deferred and a reference on its network for its whole life,
// runs Darknet from the libuv pool (passes on the network's own compute thread, compute_thread.h),
// and turns every C++ exception into a rejected promise.
#pragma once
#include <napi.h>

#include <string>
#include <vector>

#include "promise_worker.h"
#include "work_target.h"

namespace dnn {

class NetworkWorker : public PromiseWorker {
 public:
  NetworkWorker(Napi::Env env, WorkTarget *self);

 protected:
  WorkTarget *self_;

 private:
  void Release(Napi::Env env) final;  // ends the network's busy state, drops the reference
};

struct LoadParams {
  std::string cfg, weights;
  std::string cfgText;  // when set, Darknet parses this text and `cfg` only names it
  bool hasCfgText = false;
  bool hasWeights = false;
  bool lean = true;
  int device = -1;  // CUDA device, -1 = CPU
  bool fast = true;  // fast numerics (native/fast/); false = Darknet's own kernels
  int threads = 0;   // compute threads, 0 = all cores
  std::string cacheDir;  // compiled-weights cache directory (lib/ resolves and creates it)
  bool hasCacheDir = false;
};

class LoadWorker : public NetworkWorker {
 public:
  // progress: optional JS function (bytesRead, totalBytes), called through a thread-safe function.
  LoadWorker(Napi::Env env, WorkTarget *self, LoadParams p, Napi::Function progress);
  ~LoadWorker() override;

 private:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;
  static void Progress(void *ctx, size_t done, size_t total);
  LoadParams p_;
  Napi::ThreadSafeFunction progress_;
  bool hasProgress_ = false;
  dn_network *loaded_ = nullptr;
};

class ForwardWorker : public NetworkWorker {
 public:
  // the input is already in the network's own buffer (dn_forward_input)
  ForwardWorker(Napi::Env env, WorkTarget *self);

 private:
  void Run() override;
};

struct DetectImage {
  std::vector<unsigned char> pixels;  // a copy: JS may reuse its buffer while Darknet runs
  int width, height, channels;
};

struct DetectParams {
  bool letterbox;
  float thresh, hier, nms;
};

// One forward pass over 1..batch images; resolves to one { data, count, classes } per image.
class DetectWorker : public NetworkWorker {
 public:
  DetectWorker(Napi::Env env, WorkTarget *self, std::vector<DetectImage> images, DetectParams p);
  ~DetectWorker() override;

 private:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;
  std::vector<DetectImage> images_;
  DetectParams p_;
  std::vector<dn_boxes> boxes_;
};

// detect() from a JPEG (its bytes, or a file read here) in one call: decoded on the compute thread
// (ops/detect_jpeg.c). Resolves to { boxes, width, height }; { width, height, thin: true } when the
// image is too thin for the network (nothing ran); null when the native decoder does not take it.
class DetectJpegWorker : public NetworkWorker {
 public:
  DetectJpegWorker(Napi::Env env, WorkTarget *self, Napi::Uint8Array bytes, long maxPixels, DetectParams p);
  DetectJpegWorker(Napi::Env env, WorkTarget *self, std::string path, long maxPixels, DetectParams p);
  ~DetectJpegWorker() override;

 private:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;
  Napi::Reference<Napi::Uint8Array> bytes_;  // the caller's bytes, alive until the worker ends
  const uint8_t *data_ = nullptr;
  size_t length_ = 0;
  std::string path_;
  std::vector<uint8_t> file_;
  long maxPixels_;
  DetectParams p_;
  int outcome_ = 1;  // dn_detect_jpeg's: 0 detected, 1 not decoded here, 2 too thin
  int width_ = 0, height_ = 0;
  dn_boxes boxes_{};
};

}  // namespace dnn
