#include "file_worker.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "errors.h"
#include "promise_worker.h"

namespace dnn {
namespace {

std::string ErrnoName(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case EISDIR: return "EISDIR";
    case EACCES: return "EACCES";
    case ENOTDIR: return "ENOTDIR";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    default: return "EIO";
  }
}

class ReadHeadWorker : public PromiseWorker {
 public:
  ReadHeadWorker(Napi::Env env, std::string path, size_t max)
      : PromiseWorker(env, "darknet:readHead"), path_(std::move(path)), max_(max) {}

 protected:
  void Run() override {
    int fd = open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) Fail(errno);
    struct stat st;
    if (fstat(fd, &st) != 0) {
      int e = errno;
      close(fd);
      Fail(e);
    }
    if (!S_ISREG(st.st_mode)) {
      close(fd);
      throw CodedError(S_ISDIR(st.st_mode) ? "EISDIR" : "ENOTREG", "not a regular file");
    }
    size_ = static_cast<double>(st.st_size);
    // sized by the file (and one byte to see a longer one), not by max_: a buffer of max_ bytes
    // would be cleared, and so faulted in, page by page (a cfg's limit is 1 MB)
    size_t want = static_cast<size_t>(st.st_size) < max_ ? static_cast<size_t>(st.st_size) + 1 : max_;
    data_.resize(want);
    size_t got = 0;
    while (got < max_) {
      if (got == data_.size()) data_.resize(std::min(max_, 2 * data_.size() + 4096));  // it grew meanwhile
      ssize_t n = read(fd, data_.data() + got, data_.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int e = errno;
        close(fd);
        Fail(e);
      }
      if (n == 0) break;  // the end, wherever the file ends now
      got += static_cast<size_t>(n);
    }
    close(fd);
    data_.resize(got);
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    Napi::Uint8Array data = Napi::Uint8Array::New(env, data_.size());
    if (!data_.empty()) std::memcpy(data.Data(), data_.data(), data_.size());
    o.Set("data", data);
    o.Set("size", size_);
    return o;
  }

 private:
  [[noreturn]] static void Fail(int e) { throw CodedError(ErrnoName(e), std::strerror(e)); }

  std::string path_;
  size_t max_;
  std::vector<unsigned char> data_;
  double size_ = 0;
};

}  // namespace

Napi::Value ReadHead(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  // lib/files.ts checks both; here only what memory safety needs
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) Throw(env, "BAD_INPUT", "readHead(path, maxBytes)");
  double max = info[1].As<Napi::Number>().DoubleValue();
  if (!(max >= 0 && max <= (1 << 30))) Throw(env, "BAD_INPUT", "readHead: maxBytes out of range");
  auto *w = new ReadHeadWorker(env, info[0].As<Napi::String>().Utf8Value(), static_cast<size_t>(max));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace dnn
