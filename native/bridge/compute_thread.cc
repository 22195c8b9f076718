#include "compute_thread.h"

#include <atomic>

namespace dnn {

// Darknet's passes and oneDNN's kernels run here: the stack libuv gives its own pool threads
// (glibc's default of 8 MB), not a platform default that may be far smaller (musl: 128 KB).
static constexpr size_t kStackBytes = size_t{8} << 20;

// compute threads alive in the process (every addon instance: worker_threads share the process)
static std::atomic<int> live{0};

void ComputeThread::Run(const std::function<void()> &fn) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!started_) {
    if (live.fetch_add(1) >= kMaxComputeThreads) {
      live.fetch_sub(1);
      lock.unlock();
      fn();  // enough teams alive: the caller's pool thread and its team, as before
      return;
    }
    pthread_attr_t attr;
    bool ok = pthread_attr_init(&attr) == 0;
    if (ok) {
      pthread_attr_setstacksize(&attr, kStackBytes);
      ok = pthread_create(&thread_, &attr, Main, this) == 0;
      pthread_attr_destroy(&attr);
    }
    if (!ok) {
      live.fetch_sub(1);
      lock.unlock();
      fn();  // no thread to be had: the caller's, as before
      return;
    }
    started_ = true;
    stop_ = false;
  }
  job_ = &fn;
  done_ = false;
  error_ = nullptr;
  cv_.notify_all();
  cv_.wait(lock, [this] { return done_; });
  job_ = nullptr;
  std::exception_ptr error = error_;
  error_ = nullptr;
  lock.unlock();
  if (error) std::rethrow_exception(error);
}

void ComputeThread::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_) return;
    stop_ = true;
  }
  cv_.notify_all();
  pthread_join(thread_, nullptr);
  std::lock_guard<std::mutex> lock(mu_);
  started_ = false;
  live.fetch_sub(1);
}

void *ComputeThread::Main(void *p) {
  auto *t = static_cast<ComputeThread *>(p);
  std::unique_lock<std::mutex> lock(t->mu_);
  for (;;) {
    t->cv_.wait(lock, [t] { return t->stop_ || (t->job_ && !t->done_); });
    if (t->job_ && !t->done_) {
      const std::function<void()> *job = t->job_;
      lock.unlock();
      std::exception_ptr error;
      try {
        (*job)();
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      t->error_ = error;
      t->done_ = true;
      t->cv_.notify_all();
      continue;
    }
    return nullptr;  // stop_, and no job waiting
  }
}

}  // namespace dnn
