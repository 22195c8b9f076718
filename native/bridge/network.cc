#include "network.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <sys/mman.h>
#include <string>
#include <vector>

#include "errors.h"
#include "classify_worker.h"
#include "network_workers.h"

namespace dnn {

Napi::Function Network::Define(Napi::Env env) {
  return DefineClass(env, "Network",
                     {
                         InstanceMethod<&Network::Load>("load"),
                         InstanceMethod<&Network::Forward>("forward"),
                         InstanceMethod<&Network::Detect>("detect"),
                         InstanceMethod<&Network::DetectJpeg>("detectJpeg"),
                         InstanceMethod<&Network::Classify>("classify"),
                         InstanceMethod<&Network::Layers>("layers"),
                         InstanceMethod<&Network::Outputs>("output"),
                         InstanceMethod<&Network::Memory>("memory"),
                         InstanceMethod<&Network::LoadStats>("loadStats"),
                         InstanceMethod<&Network::Dispose>("dispose"),
                         InstanceAccessor<&Network::IsDisposed>("disposed"),
                         InstanceAccessor<&Network::GetThreads, &Network::SetThreads>("threads"),
                         InstanceAccessor<&Network::IsFast>("fast"),
                     });
}

Network::Network(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Network>(info) {}

// The finalizer: a network the user never disposed is freed when its wrapper is collected.
// A worker holds a Ref, so this never runs while Darknet is using the network.
Network::~Network() {
  compute_.Stop();  // a pass still running (an environment torn down under it) ends first
  if (net_) {
    dn_free_network(net_);
    net_ = nullptr;
    if (externalBytes_) {
      Napi::MemoryManagement::AdjustExternalMemory(Env(), -externalBytes_);
      externalBytes_ = 0;
    }
  }
}

// The object's own invariants: lib/ never calls a disposed, busy or unloaded network (its queue
// serializes calls and its handles check disposal), so a failure here is an internal assertion.
void Network::CheckUsable(Napi::Env env, bool needLoaded) {
  if (disposed_) Throw(env, "DISPOSED", "the network has been disposed");
  if (busy_.load()) Throw(env, "DARKNET", "internal: the network is in use by another call (calls must be serialized)");
  if (needLoaded && !net_) Throw(env, "DARKNET", "internal: the network is not loaded");
}

void Network::BeginWork(Napi::Env env) {
  bool expected = false;
  if (!busy_.compare_exchange_strong(expected, true))
    Throw(env, "DARKNET", "internal: the network is in use by another call (calls must be serialized)");
}

static int64_t TotalBytes(const dn_memory &m) {
  return static_cast<int64_t>(m.weights + m.activations + m.workspace + m.training);
}

void Network::EndWork(Napi::Env env) {
  busy_.store(false);
  if (disposeRequested_) {
    Free(env);
  } else if (net_) {
    // a detect grows or returns its image buffers: V8 hears of the difference
    dn_memory m;
    dn_network_memory(net_, &m);
    int64_t now = TotalBytes(m);
    if (now != externalBytes_) Napi::MemoryManagement::AdjustExternalMemory(env, now - externalBytes_);
    externalBytes_ = now;
  }
}

void Network::Attach(Napi::Env env, dn_network *net) {
  net_ = net;
  dn_memory m;
  dn_network_memory(net, &m);
  externalBytes_ = TotalBytes(m);
  Napi::MemoryManagement::AdjustExternalMemory(env, externalBytes_);
}

void Network::Free(Napi::Env env) {
  disposeRequested_ = false;
  compute_.Stop();  // idle: no work runs on a network being freed
  if (net_) {
    dn_free_network(net_);
    net_ = nullptr;
  }
  if (externalBytes_) {
    Napi::MemoryManagement::AdjustExternalMemory(env, -externalBytes_);
    externalBytes_ = 0;
  }
}

static std::string PathArg(const Napi::CallbackInfo &info, size_t i, const char *what) {
  if (!info[i].IsString()) Throw(info.Env(), "BAD_INPUT", std::string(what) + " must be a string path");
  std::string s = info[i].As<Napi::String>().Utf8Value();
  if (s.empty() || s.find('\0') != std::string::npos) Throw(info.Env(), "BAD_INPUT", std::string(what) + " is not a valid path");
  return s;
}

// A JavaScript number as a C int: a conversion, not a rule (lib/ checks every range first); a
// value no int can hold would make the cast undefined.
static int IntArg(Napi::Env env, Napi::Value v, const char *name) {
  if (!v.IsNumber()) Throw(env, "BAD_INPUT", std::string(name) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= INT32_MIN && d <= INT32_MAX) || d != std::floor(d)) Throw(env, "BAD_INPUT", std::string(name) + " must be an integer");
  return static_cast<int>(d);
}

// OpenMP's team for a pass: libgomp ends the process when the OS refuses its threads, so whether
// they can be created is asked here (lib/ checks the range).
static int ThreadsArg(Napi::Env env, Napi::Value v) {
  int threads = IntArg(env, v, "threads");
  char err[256];
  if (dn_check_threads(threads, err, sizeof err) != 0) Throw(env, "BAD_INPUT", std::string("threads: ") + err);
  return threads;
}

// load(cfgPath: string, weightsPath: string | null,
//      { lean = true, fast = true, threads = 0, device = -1, onProgress? }): Promise<void>
Napi::Value Network::Load(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  CheckUsable(env, false);
  if (net_) Throw(env, "DARKNET", "internal: the network is already loaded");
  LoadParams p;
  p.cfg = PathArg(info, 0, "cfg");
  p.hasWeights = !(info[1].IsNull() || info[1].IsUndefined());
  if (p.hasWeights) p.weights = PathArg(info, 1, "weights");
  Napi::Function progress;
  if (info.Length() > 2 && info[2].IsObject()) {
    Napi::Object o = info[2].As<Napi::Object>();
    Napi::Value lean = o.Get("lean"), device = o.Get("device"), cb = o.Get("onProgress"), fast = o.Get("fast"),
                threads = o.Get("threads"), text = o.Get("cfgText"), cache = o.Get("cacheDir");
    if (cache.IsString()) {
      p.cacheDir = cache.As<Napi::String>().Utf8Value();
      if (p.cacheDir.empty() || p.cacheDir.find('\0') != std::string::npos) Throw(env, "BAD_INPUT", "cacheDir is not a valid path");
      p.hasCacheDir = true;
    } else if (!cache.IsUndefined() && !cache.IsNull()) {
      Throw(env, "BAD_INPUT", "cacheDir must be a string");
    }
    if (text.IsString()) {
      p.cfgText = text.As<Napi::String>().Utf8Value();
      p.hasCfgText = true;
    } else if (!text.IsUndefined()) {
      Throw(env, "BAD_INPUT", "cfgText must be a string");
    }
    if (!lean.IsUndefined()) p.lean = lean.ToBoolean().Value();
    if (!fast.IsUndefined()) p.fast = fast.ToBoolean().Value();
    if (!threads.IsUndefined()) p.threads = ThreadsArg(env, threads);
    if (!device.IsUndefined()) p.device = IntArg(env, device, "device");
    if (cb.IsFunction()) progress = cb.As<Napi::Function>();
    else if (!cb.IsUndefined() && !cb.IsNull()) Throw(env, "BAD_INPUT", "onProgress must be a function");
  } else if (info.Length() > 2 && !info[2].IsUndefined()) {
    Throw(env, "BAD_INPUT", "load options must be an object");
  }
  return Start<LoadWorker>(env, std::move(p), progress);
}

// forward(input: Float32Array of batch × inputs): Promise<void>
Napi::Value Network::Forward(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    Throw(env, "BAD_INPUT", "input must be a Float32Array");
  Napi::Float32Array a = info[0].As<Napi::Float32Array>();
  // lib/handle.ts checks the length for users (BAD_INPUT); here it is the memory-safety invariant
  // (Darknet reads batch × inputs floats), so a caller past TypeScript gets an internal error
  int w, h, c, batch;
  dn_net_dims(net_, &w, &h, &c, &batch);
  size_t expected = static_cast<size_t>(dn_input_size(net_)) * static_cast<size_t>(batch);
  if (a.ElementLength() != expected)
    Throw(env, "DARKNET", "internal: input has " + std::to_string(a.ElementLength()) + " floats, the network takes " +
                              std::to_string(expected) + " (batch " + std::to_string(batch) + " × " +
                              std::to_string(w) + "×" + std::to_string(h) + "×" + std::to_string(c) + ")");
  // into the network's own buffer, whose pages stay mapped (no pass runs: CheckUsable), rather
  // than a fresh copy per call (its page faults cost ~5 ms for yolov3-416's input)
  size_t len = 0;
  float *dst = dn_forward_input(net_, &len);
  if (len != expected) Throw(env, "DARKNET", "internal: the network's input buffer does not hold its batch");
  std::memcpy(dst, a.Data(), len * sizeof(float));
  return Start<ForwardWorker>(env);
}

static float FloatArg(const Napi::CallbackInfo &info, size_t i, const char *name) {
  if (!info[i].IsNumber()) Throw(info.Env(), "BAD_INPUT", std::string(name) + " must be a number");
  return static_cast<float>(info[i].As<Napi::Number>().DoubleValue());
}

// detect(images: { data: Uint8Array (HWC), width, height, channels }[], letterbox, thresh, hier, nms)
//   : Promise<{ data: Float32Array, count, classes }[]> — one forward pass, 1..batch images
Napi::Value Network::Detect(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  DetectParams p{};
  p.letterbox = info[1].ToBoolean().Value();
  p.thresh = FloatArg(info, 2, "thresh");
  p.hier = FloatArg(info, 3, "hierThresh");
  p.nms = FloatArg(info, 4, "nms");
  std::vector<DetectImage> images = ImagesArg(env, info[0]);
  return Start<DetectWorker>(env, std::move(images), p);
}

// detectJpeg(source: Uint8Array | path, maxPixels, letterbox, thresh, hier, nms)
//   : Promise<{ boxes, width, height } | { width, height, thin: true } | null> — detect() of one
// JPEG, decoded in the same call; null: not a JPEG the native decoder takes (lib/ decodes it itself)
Napi::Value Network::DetectJpeg(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  bool bytes = info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array;
  if (!bytes && !info[0].IsString()) Throw(env, "BAD_INPUT", "source must be a Uint8Array or a path");
  if (!info[1].IsNumber()) Throw(env, "BAD_INPUT", "maxPixels must be a number");
  long maxPixels = static_cast<long>(info[1].As<Napi::Number>().Int64Value());
  DetectParams p{};
  p.letterbox = info[2].ToBoolean().Value();
  p.thresh = FloatArg(info, 3, "thresh");
  p.hier = FloatArg(info, 4, "hierThresh");
  p.nms = FloatArg(info, 5, "nms");
  if (bytes) return Start<DetectJpegWorker>(env, info[0].As<Napi::Uint8Array>(), maxPixels, p);
  return Start<DetectJpegWorker>(env, info[0].As<Napi::String>().Utf8Value(), maxPixels, p);
}

// classify(images: as detect's, prep: 'letterbox' | 'resize' | 'crop'): Promise<Float32Array[]>
//   — one forward pass, 1..batch images; each result is the output layer's values for that image
Napi::Value Network::Classify(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  std::string mode = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
  dn_prep prep;
  if (mode == "letterbox") prep = DN_PREP_LETTERBOX;
  else if (mode == "resize") prep = DN_PREP_RESIZE;
  else if (mode == "crop") prep = DN_PREP_CROP;
  else Throw(env, "BAD_INPUT", "preprocessing must be 'letterbox', 'resize' or 'crop'");
  std::vector<DetectImage> images = ImagesArg(env, info[0]);
  return Start<ClassifyWorker>(env, std::move(images), prep);
}

// The pixels of detect's and classify's images, converted and copied (their counts and sizes are
// checked by ops/invariants.c against the network).
std::vector<DetectImage> Network::ImagesArg(Napi::Env env, Napi::Value value) {
  if (!value.IsArray()) Throw(env, "BAD_INPUT", "images must be an array");
  Napi::Array arr = value.As<Napi::Array>();
  std::vector<DetectImage> images;
  images.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    if (!v.IsObject()) Throw(env, "BAD_INPUT", "image " + std::to_string(i) + " must be an object");
    Napi::Object o = v.As<Napi::Object>();
    Napi::Value d = o.Get("data");
    if (!d.IsTypedArray() || d.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      Throw(env, "BAD_INPUT", "image " + std::to_string(i) + ": data must be a Uint8Array");
    Napi::Uint8Array px = d.As<Napi::Uint8Array>();
    DetectImage im;
    im.width = IntArg(env, o.Get("width"), "width");
    im.height = IntArg(env, o.Get("height"), "height");
    im.channels = IntArg(env, o.Get("channels"), "channels");
    im.pixels.assign(px.Data(), px.Data() + px.ElementLength());
    images.push_back(std::move(im));
  }
  return images;
}

// threads: compute threads of the next forward passes (0 = all cores; reads back the effective count).
Napi::Value Network::GetThreads(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  CheckUsable(env, true);
  return Napi::Number::New(env, dn_threads(net_));
}

void Network::SetThreads(const Napi::CallbackInfo &info, const Napi::Value &value) {
  Napi::Env env = info.Env();
  CheckUsable(env, true);  // not while a pass runs: the setting is read at its start
  dn_set_network_threads(net_, ThreadsArg(env, value));
}

Napi::Value Network::IsFast(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  CheckUsable(env, true);
  return Napi::Boolean::New(env, dn_is_fast(net_) != 0);
}

Napi::Value Network::Layers(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  int n = dn_layer_count(net_);
  Napi::Array arr = Napi::Array::New(env, n);
  for (int i = 0; i < n; i++) {
    dn_layer_info li;
    dn_layer_info_at(net_, i, &li);
    Napi::Object o = Napi::Object::New(env);
    o.Set("type", li.type);
    o.Set("w", li.w); o.Set("h", li.h); o.Set("c", li.c);
    o.Set("outW", li.out_w); o.Set("outH", li.out_h); o.Set("outC", li.out_c);
    o.Set("n", li.n); o.Set("size", li.size); o.Set("stride", li.stride);
    o.Set("batch", li.batch); o.Set("outputs", li.outputs);
    o.Set("classes", li.classes); o.Set("total", li.total);
    Napi::Array mask = Napi::Array::New(env, li.nmask);
    for (int k = 0; k < li.nmask; k++) mask.Set(k, li.mask[k]);
    o.Set("mask", mask);
    arr.Set(i, o);
  }
  return arr;
}

// A Float32Array copy of len floats. Fresh pages cost ~14 µs each to fault in on a busy VM, so a
// copy of 512 KB or more (yolov3-416's heads: 2.7 MB and 0.7 MB, ~12 ms of faults together) goes
// into memory that asks for 2 MB pages (one fault each, ~0.2 ms), handed to JavaScript as an
// external buffer freed with it. Where external buffers are refused (runtimes with V8's
// sandbox), or memory is short, a plain copy.
static constexpr size_t kHugePage = size_t{2} << 20;

static void FreeCopy(napi_env, void *data, void *) { std::free(data); }

static Napi::Float32Array CopyOut(Napi::Env env, const float *src, size_t len) {
  size_t bytes = len * sizeof(float);
  if (bytes >= kHugePage / 4) {
    void *p = nullptr;
    size_t padded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    if (posix_memalign(&p, kHugePage, padded) == 0) {
#ifdef MADV_HUGEPAGE
      madvise(p, padded, MADV_HUGEPAGE);  // advice only: ignored where huge pages are off
#endif
      std::memcpy(p, src, bytes);
      napi_value ab;
      if (napi_create_external_arraybuffer(env, p, bytes, FreeCopy, nullptr, &ab) == napi_ok)
        return Napi::Float32Array::New(env, len, Napi::ArrayBuffer(env, ab), 0);
      std::free(p);
      // a pending exception from the refusal is cleared: the plain copy below stands in
      if (env.IsExceptionPending()) env.GetAndClearPendingException();
    }
  }
  Napi::Float32Array out = Napi::Float32Array::New(env, len);
  if (len) std::memcpy(out.Data(), src, bytes);
  return out;
}

// output(layerIndex): Float32Array copy of that layer's output from the last forward pass.
Napi::Value Network::Outputs(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  int n = dn_layer_count(net_);
  if (!info[0].IsNumber()) Throw(env, "BAD_INPUT", "layer index must be a number");
  int64_t i = info[0].As<Napi::Number>().Int64Value();
  if (i < 0 || i >= n) Throw(env, "DARKNET", "internal: layer index " + std::to_string(i) + " out of range [0, " + std::to_string(n) + ")");
  size_t len = 0;
  const float *src = dn_layer_output(net_, static_cast<int>(i), &len);
  return CopyOut(env, src, src ? len : 0);
}

// memory(): { weights, activations, workspace, training, total } in bytes.
Napi::Value Network::Memory(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  dn_memory m;
  dn_network_memory(net_, &m);
  Napi::Object o = Napi::Object::New(env);
  o.Set("weights", static_cast<double>(m.weights));
  o.Set("activations", static_cast<double>(m.activations));
  o.Set("workspace", static_cast<double>(m.workspace));
  o.Set("training", static_cast<double>(m.training));
  o.Set("total", static_cast<double>(TotalBytes(m)));
  return o;
}

// loadStats(): { parseMs, leanMs, readMs, transformMs, cacheMs, cache, mappedBytes, note } of the load.
Napi::Value Network::LoadStats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  const dn_load_stats *s = dn_network_load_stats(net_);
  static const char *const kCache[] = {"off", "hit", "built", "copied", "failed"};
  Napi::Object o = Napi::Object::New(env);
  o.Set("parseMs", s->parse_ms);
  o.Set("leanMs", s->lean_ms);
  o.Set("readMs", s->read_ms);
  o.Set("transformMs", s->transform_ms);
  o.Set("cacheMs", s->cache_ms);
  o.Set("cache", s->cache >= 0 && s->cache <= DN_CACHE_FAILED ? kCache[s->cache] : "failed");
  o.Set("mappedBytes", static_cast<double>(s->mapped));
  o.Set("note", s->note);
  return o;
}

// dispose(): frees now, or as soon as the in-flight call finishes; never under a running worker.
Napi::Value Network::Dispose(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (disposed_) return env.Undefined();
  disposed_ = true;
  if (busy_.load()) disposeRequested_ = true;
  else Free(env);
  return env.Undefined();
}

Napi::Value Network::IsDisposed(const Napi::CallbackInfo &info) { return Napi::Boolean::New(info.Env(), disposed_); }

}  // namespace dnn
