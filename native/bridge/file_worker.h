#pragma once
#include <napi.h>

namespace dnn {
// readHead(path, maxBytes): Promise<{ data: Uint8Array, size: number }>, on the libuv pool: a
// regular file's first maxBytes bytes (up to its end) and its size, in one trip to the pool where
// Node's fs takes one per open, stat, read and close (each ~0.3–1 ms while a process starts;
// lib/files.ts readHead owns the rules). Rejects with the errno's name as the code (ENOENT,
// EISDIR, …), or ENOTREG for anything but a regular file, opened with O_NONBLOCK so that a FIFO
// without a writer cannot hang the pool.
Napi::Value ReadHead(const Napi::CallbackInfo &info);
}  // namespace dnn
