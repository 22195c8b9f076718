// One long-lived thread per network on which its passes run (forward, detect, classify).
//
// Why: libuv hands each call to any of its pool threads, and OpenMP keeps one team of worker
// threads per calling thread. A pass on a pool thread whose team slept through the last calls
// wakes that team, runs on cold caches, and shares the cores with the previous team's workers
// still spinning: yolov3-tiny-416 took ~23 ms a call that way and ~18.5 ms with every call on one
// thread (UV_THREADPOOL_SIZE=1), on two cores. The libuv thread still carries the call (it waits
// here), so the pool is no more occupied than before.
//
// At most kMaxComputeThreads networks hold one at a time (the first to run a pass; dispose gives
// it back): each thread brings an OpenMP team of one thread per core, and libgomp ends the whole
// process when it cannot create a team (a pids limit, a container's TasksMax). Before, teams
// lived only on libuv's pool threads (4 by default); now at most that many more. Further networks
// run their passes on the pool thread that carries the call, as they did before.
#pragma once
#include <pthread.h>

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>

namespace dnn {

class ComputeThread {
 public:
  ComputeThread() = default;
  ~ComputeThread() { Stop(); }
  ComputeThread(const ComputeThread &) = delete;
  ComputeThread &operator=(const ComputeThread &) = delete;

  static constexpr int kMaxComputeThreads = 4;

  // Runs fn on the thread (started on first use) and waits for it; what fn throws is rethrown
  // here. Where no thread can be started (or kMaxComputeThreads are held), fn runs on the caller. One call at a time (the
  // network's busy flag).
  void Run(const std::function<void()> &fn);
  // Ends the thread (its OpenMP team goes with it) once idle; a later Run starts a new one.
  void Stop();

 private:
  static void *Main(void *self);

  std::mutex mu_;
  std::condition_variable cv_;
  pthread_t thread_{};
  bool started_ = false;
  bool stop_ = false;
  const std::function<void()> *job_ = nullptr;
  bool done_ = false;
  std::exception_ptr error_;
};

}  // namespace dnn
