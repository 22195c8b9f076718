// The one AsyncWorker shape of the addon: work on the libuv pool that settles a promise.
//
// Run() executes on a pool thread; a CodedError (or any exception) it throws rejects the promise
// with that code. Result() builds the value on the main thread. Release() runs exactly once on the
// main thread whatever happens (subclasses drop their references there).
//
// Why OnWorkComplete is replaced: node-addon-api's version opens a HandleScope and settles the
// promise through N-API calls, and with C++ exceptions on, those calls throw when the environment
// is being torn down (a worker_thread terminated, or calling process.exit(), while the work ran).
// Thrown from a libuv completion callback, that ends in std::terminate: the whole process aborts.
// Here every N-API step is guarded; a dying environment is simply not told.
#pragma once
#include <napi.h>

#include <string>

#include "errors.h"

namespace dnn {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, const char *name, const char *code = "NATIVE")
      : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)), code_(code) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  virtual void Run() = 0;                                                // pool thread
  virtual Napi::Value Result(Napi::Env env) { return env.Undefined(); }  // main thread
  virtual void Release(Napi::Env) {}                                     // main thread, once
  // Delivers the outcome (main thread, after Release). A worker whose events travel through a
  // thread-safe function overrides it to settle behind them (train_worker.cc).
  virtual void Settle(Napi::Env, bool failed, Napi::Value outcome) {
    if (failed) deferred_.Reject(outcome);
    else deferred_.Resolve(outcome);
  }
  Napi::Promise::Deferred Deferred() const { return deferred_; }

 private:
  void Execute() final {
    try {
      Run();
    } catch (const CodedError &e) {
      Fail(e.code, e.what());
    } catch (const std::exception &e) {
      Fail(code_, e.what());
    } catch (...) {
      Fail(code_, "unknown native error");
    }
  }

  void Fail(const std::string &code, const std::string &message) {
    failed_ = true;
    code_ = code;
    message_ = message;
  }

  void OnWorkComplete(Napi::Env env, napi_status status) final {
    bool released = false;
    try {
      Napi::HandleScope scope(env);
      Napi::Value value, error;
      if (status == napi_cancelled) Fail(code_, "cancelled");
      if (!failed_) {
        try {
          value = Result(env);
        } catch (const Napi::Error &e) {
          failed_ = true;
          error = e.Value();
        } catch (const std::exception &e) {
          Fail(code_, e.what());  // e.g. bad_alloc building the result: still a rejection
        }
      }
      if (failed_ && error.IsEmpty()) error = MakeError(env, code_, message_).Value();
      released = true;
      Release(env);
      Settle(env, failed_, failed_ ? error : value);
    } catch (...) {
      // the environment is going away: nothing can be delivered to it
    }
    if (!released) {
      try {
        Release(env);
      } catch (...) {
      }
    }
    Destroy();
  }

  Napi::Promise::Deferred deferred_;
  std::string code_;
  std::string message_;
  bool failed_ = false;
};

}  // namespace dnn
