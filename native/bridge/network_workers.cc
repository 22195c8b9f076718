#include "network_workers.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "errors.h"
#include "guard/guard.h"
#include "jpeg_worker.h"

namespace dnn {

NetworkWorker::NetworkWorker(Napi::Env env, WorkTarget *self) : PromiseWorker(env, "darknet"), self_(self) {
  self_->Hold();
}

void NetworkWorker::Release(Napi::Env env) {
  try {
    self_->EndWork(env);
  } catch (...) {
    self_->Unhold();
    throw;
  }
  self_->Unhold();
}

// ---- load ----

LoadWorker::LoadWorker(Napi::Env env, WorkTarget *self, LoadParams p, Napi::Function progress)
    : NetworkWorker(env, self), p_(std::move(p)) {
  if (!progress.IsEmpty()) {
    progress_ = Napi::ThreadSafeFunction::New(env, progress, "darknet:load-progress", 0, 1);
    hasProgress_ = true;
  }
}

LoadWorker::~LoadWorker() {
  if (hasProgress_) progress_.Release();
  if (loaded_) dn_free_network(loaded_);  // the load finished but its result was never delivered
}

void LoadWorker::Progress(void *ctx, size_t done, size_t total) {
  auto *self = static_cast<LoadWorker *>(ctx);
  auto *data = new std::pair<double, double>(static_cast<double>(done), static_cast<double>(total));
  napi_status st = self->progress_.NonBlockingCall(data, [](Napi::Env env, Napi::Function fn, std::pair<double, double> *d) {
    if (env != nullptr && !fn.IsEmpty()) fn.Call({Napi::Number::New(env, d->first), Napi::Number::New(env, d->second)});
    delete d;
  });
  if (st != napi_ok) delete data;
}

void LoadWorker::Run() {
  char err[DN_GUARD_MSG];
  dn_load_opts o{};
  o.lean = p_.lean ? 1 : 0;
  o.fast = p_.fast ? 1 : 0;
  o.threads = p_.threads;
  o.device = p_.device;
  o.progress = hasProgress_ ? &LoadWorker::Progress : nullptr;
  o.progress_ctx = this;
  o.cache_dir = p_.hasCacheDir ? p_.cacheDir.c_str() : nullptr;
  // Darknet reads its cfg with fopen(path): the text goes through an anonymous in-memory file
  // named by /proc/self/fd, so no temporary file is written, left behind or needed.
  int fd = -1;
  std::string path = p_.cfg;
  if (p_.hasCfgText) {
    fd = memfd_create("darknet-cfg", MFD_CLOEXEC);
    if (fd < 0) throw CodedError("NATIVE", std::string("memfd_create: ") + std::strerror(errno));
    const char *at = p_.cfgText.data();
    size_t left = p_.cfgText.size();
    while (left > 0) {
      ssize_t n = write(fd, at, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        int e = errno;
        close(fd);
        throw CodedError("NATIVE", std::string("writing the cfg to memory: ") + std::strerror(e));
      }
      at += n;
      left -= static_cast<size_t>(n);
    }
    path = "/proc/self/fd/" + std::to_string(fd);
  }
  int rc = dn_load(path.c_str(), p_.hasWeights ? p_.weights.c_str() : nullptr, &o, &loaded_, err, sizeof err);
  if (fd >= 0) close(fd);
  if (rc != 0) {
    std::string msg(err);
    // Darknet's messages name the path it opened: name the user's file instead
    for (size_t at = msg.find(path); fd >= 0 && at != std::string::npos; at = msg.find(path, at + p_.cfg.size()))
      msg.replace(at, path.size(), p_.cfg);
    throw CodedError("DARKNET", msg);
  }
}

Napi::Value LoadWorker::Result(Napi::Env env) {
  self_->Attach(env, loaded_);
  loaded_ = nullptr;
  return env.Undefined();
}

// ---- forward ----

ForwardWorker::ForwardWorker(Napi::Env env, WorkTarget *self) : NetworkWorker(env, self) {}

void ForwardWorker::Run() {
  self_->Compute([this] {
    char err[DN_GUARD_MSG];
    size_t len = 0;
    float *input = dn_forward_input(self_->net(), &len);
    if (dn_forward(self_->net(), input, len, err, sizeof err) != 0) throw CodedError("DARKNET", std::string(err));
  });
}

// ---- detect ----

DetectWorker::DetectWorker(Napi::Env env, WorkTarget *self, std::vector<DetectImage> images, DetectParams p)
    : NetworkWorker(env, self), images_(std::move(images)), p_(p), boxes_(images_.size()) {}

DetectWorker::~DetectWorker() {
  for (auto &b : boxes_) dn_boxes_free(&b);
}

void DetectWorker::Run() {
  char err[DN_GUARD_MSG];
  std::vector<dn_image_in> in(images_.size());
  for (size_t i = 0; i < images_.size(); i++)
    in[i] = dn_image_in{images_[i].pixels.data(), images_[i].pixels.size(), images_[i].width, images_[i].height, images_[i].channels};
  int rc = 0;
  self_->Compute([&] {
    rc = dn_detect(self_->net(), in.data(), static_cast<int>(in.size()), p_.letterbox ? 1 : 0, p_.thresh, p_.hier, p_.nms,
                   boxes_.data(), err, sizeof err);
  });
  if (rc != 0) throw CodedError("DARKNET", std::string(err));
}

// { data, count, classes } of one image's boxes
static Napi::Object BoxesValue(Napi::Env env, const dn_boxes &b) {
  size_t n = static_cast<size_t>(b.count) * (5 + static_cast<size_t>(b.classes));
  Napi::Float32Array data = Napi::Float32Array::New(env, n);
  if (n) std::memcpy(data.Data(), b.data, n * sizeof(float));
  Napi::Object out = Napi::Object::New(env);
  out.Set("data", data);
  out.Set("count", b.count);
  out.Set("classes", b.classes);
  return out;
}

Napi::Value DetectWorker::Result(Napi::Env env) {
  Napi::Array all = Napi::Array::New(env, boxes_.size());
  for (size_t i = 0; i < boxes_.size(); i++) all.Set(i, BoxesValue(env, boxes_[i]));
  return all;
}

// ---- detect from a JPEG ----

DetectJpegWorker::DetectJpegWorker(Napi::Env env, WorkTarget *self, Napi::Uint8Array bytes, long maxPixels, DetectParams p)
    : NetworkWorker(env, self), bytes_(Napi::Persistent(bytes)), data_(bytes.Data()), length_(bytes.ByteLength()),
      maxPixels_(maxPixels), p_(p) {}

DetectJpegWorker::DetectJpegWorker(Napi::Env env, WorkTarget *self, std::string path, long maxPixels, DetectParams p)
    : NetworkWorker(env, self), path_(std::move(path)), maxPixels_(maxPixels), p_(p) {}

DetectJpegWorker::~DetectJpegWorker() { dn_boxes_free(&boxes_); }

void DetectJpegWorker::Run() {
  if (!path_.empty()) {
    if (!ReadJpegFile(path_, file_)) return;  // unreadable: the usual path says why
    data_ = file_.data();
    length_ = file_.size();
  }
  char err[DN_GUARD_MSG];
  int rc = 1;
  self_->Compute([&] {
    rc = dn_detect_jpeg(self_->net(), data_, length_, maxPixels_, p_.letterbox ? 1 : 0, p_.thresh, p_.hier, p_.nms, &boxes_,
                        &width_, &height_, err, sizeof err);
  });
  if (rc < 0) throw CodedError("DARKNET", std::string(err));
  outcome_ = rc;
}

Napi::Value DetectJpegWorker::Result(Napi::Env env) {
  if (outcome_ == 1) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("width", width_);
  o.Set("height", height_);
  if (outcome_ == 2) o.Set("thin", true);
  else o.Set("boxes", BoxesValue(env, boxes_));
  return o;
}

}  // namespace dnn
