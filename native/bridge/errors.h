// Native errors carry a `code` that lib/errors.ts turns into a DarknetError.
#pragma once
#include <napi.h>
#include <stdexcept>
#include <string>

namespace dnn {

// Thrown on the worker thread; AsyncWorkers turn it into SetError with the code kept.
struct CodedError : std::runtime_error {
  std::string code;
  CodedError(std::string c, const std::string &msg) : std::runtime_error(msg), code(std::move(c)) {}
};

inline Napi::Error MakeError(Napi::Env env, const std::string &code, const std::string &msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

[[noreturn]] inline void Throw(Napi::Env env, const std::string &code, const std::string &msg) {
  throw MakeError(env, code, msg);
}

}  // namespace dnn
