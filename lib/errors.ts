/** Every failure the library reports, from TypeScript checks or from the native bridge. */
export type DarknetErrorCode =
  | 'ENOENT' // a file does not exist
  | 'EIO' // a file exists but cannot be read
  | 'CFG_PARSE' // .cfg syntax: option before a section, line without `=`, empty value
  | 'CFG_INVALID' // .cfg semantics: bad value, out-of-range index, shape mismatch, too large
  | 'CFG_UNSUPPORTED' // a section or option this build does not run
  | 'WEIGHTS_HEADER' // .weights header missing or malformed
  | 'WEIGHTS_SIZE' // .weights byte count does not match the cfg
  | 'WEIGHTS_HASH' // a downloaded model's sha256 differs from the published or recorded one
  | 'DOWNLOAD' // a model download failed (network, HTTP status, unexpected size)
  | 'IMAGE_DECODE' // encoded image bytes could not be decoded
  | 'BAD_INPUT' // wrong argument or option type/range, pixel buffer of the wrong length
  | 'DISPOSED' // used after dispose()
  | 'NO_GPU' // a GPU was asked for and this build or machine has none
  | 'DATASET' // a training image or label file is missing or malformed
  | 'DARKNET' // Darknet itself failed (exit/assert/error trapped by the native guard)
  | 'NATIVE' // any other native failure
  | 'FFMPEG_MISSING' // video needs the ffmpeg program and it is not installed (or not at ffmpegPath)
  | 'STREAM' // a video stream could not be opened, or broke off: ffmpeg failed or was killed
  | 'STREAM_TIMEOUT' // a video stream stalled: no frame within the timeout
  | 'NATIVE_MISSING'; // the compiled addon is not found

export class DarknetError extends Error {
  override readonly name = 'DarknetError';
  readonly code: DarknetErrorCode;
  /** The file the error is about, when there is one. */
  readonly file?: string;
  /** 1-based line in `file` (cfg errors). */
  readonly line?: number;
  /** 0-based position of the offending input in a detectBatch() call. */
  readonly index?: number;

  constructor(code: DarknetErrorCode, message: string, opts: { file?: string; line?: number; index?: number; cause?: unknown } = {}) {
    const which = opts.index !== undefined ? `input ${opts.index}: ` : '';
    const where = opts.file ? `${opts.file}${opts.line ? `:${opts.line}` : ''}: ` : '';
    super(`${which}${where}${message}`, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    if (opts.file !== undefined) this.file = opts.file;
    if (opts.line !== undefined) this.line = opts.line;
    if (opts.index !== undefined) this.index = opts.index;
  }
}

/** The same error, naming which input of a batch call it is about. */
export function atIndex(e: unknown, index: number): unknown {
  if (!(e instanceof DarknetError)) return e;
  const message = e.file && e.message.startsWith(`${e.file}: `) ? e.message.slice(e.file.length + 2) : e.message;
  return new DarknetError(e.code, message, { ...(e.file === undefined ? {} : { file: e.file }), index, cause: e.cause ?? e });
}

/** The codes the native bridge throws with; any other (its internal BUSY/NOT_LOADED, a bug if seen) becomes NATIVE. */
const NATIVE_CODES = new Set<string>(['BAD_INPUT', 'DISPOSED', 'DARKNET', 'NATIVE']);

/** Turns an error thrown by the native binding into a DarknetError (keeping its code). */
export function fromNative(err: unknown, file?: string): DarknetError {
  if (err instanceof DarknetError) return err;
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' && NATIVE_CODES.has(e.code) ? (e.code as DarknetErrorCode) : 'NATIVE';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return new DarknetError(code, message, file === undefined ? { cause: err } : { file, cause: err });
}

/**
 * What a public method rejects with: the library's own errors and the native binding's (which
 * carry one of its codes) as DarknetError with the caller's stack; anything else — an exception
 * thrown by the caller's own code, such as a throwing getter or a Proxy in the options or an
 * image object — as itself, untouched.
 */
export function publicError(e: unknown, site: Error): unknown {
  if (e instanceof DarknetError) return withCallSite(e, site);
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NATIVE_CODES.has(code)) return withCallSite(fromNative(e), site);
  return e;
}

/**
 * Captures the caller's stack before an await so that an error raised later (on a worker
 * thread, after the await) points at the user's call site, as sharp does.
 */
export function callSite(): Error {
  const holder = new Error();
  Error.captureStackTrace?.(holder, callSite);
  return holder;
}

export function withCallSite<E extends Error>(err: E, site: Error): E {
  if (site.stack) {
    const frames = site.stack.split('\n').slice(1).join('\n');
    err.stack = `${err.name}: ${err.message}\n${frames}`;
  }
  return err;
}
