/**
 * Loading a Darknet network into the native bridge, for every product on it (Detector,
 * Classifier): options checked once, the cfg edited and validated, the weights sized, then the
 * native load with progress and abort. What kind of network it must be is the caller's check.
 */
import { basename } from 'node:path';
import { parseCfg } from './cfg/parse.js';
import { serializeCfg } from './cfg/serialize.js';
import { canonicalType, setOption, type Cfg } from './cfg/types.js';
import { validateCfg, type NetworkShape } from './cfg/validate.js';
import { DarknetError, fromNative } from './errors.js';
import { MAX_CFG_BYTES, readTextFile } from './files.js';
import * as is from './is.js';
import { native, nativeGpu, preload, type NativeNetwork } from './native.js';
import * as rules from './options.js';
import type { Numerics } from './options.js';
import { readHeaderAndSize, sizeWeights, type WeightsHeader } from './weights.js';
import { cacheDirFor, pruneCache } from './weights-cache.js';

export { MAX_THREADS, type Numerics } from './options.js';

/** What every network load takes; products add their own options (class names, …). */
export interface NetworkLoadOptions {
  /** path of the Darknet .cfg */
  cfg: string;
  /** path of the .weights; `null` keeps Darknet's random initialisation (tests, training) */
  weights: string | null;
  /** images per forward pass (default 1); the cfg's training batch/subdivisions are replaced */
  batch?: number;
  /** network input size, overriding the cfg's (YOLOv3 runs at 320, 416 or 608) */
  width?: number;
  height?: number;
  /** refuse networks whose estimated memory exceeds this many bytes (default 16 GiB) */
  maxBytes?: number;
  /**
   * Keep Darknet's full training allocation (deltas, updates, per-layer outputs). Default false:
   * an inference-only network, about half the memory, with bit-identical results.
   */
  training?: boolean;
  /** called on the event loop as the .weights file is read: bytes so far, file size */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** abandons the load: the promise rejects at once (AbortError); a native load already running
   * finishes on its thread and its network is freed */
  signal?: AbortSignal;
  /** where the network runs: 'cpu' (default), 'gpu' (CUDA device 0) or a CUDA device index */
  device?: 'cpu' | 'gpu' | number;
  /**
   * 'fast' (default for CPU inference): batch-norm folded into the weights at load time and
   * convolutions through an optimized BLAS; outputs move by ~1e-5 from Darknet's and the
   * detections are the same. 'reference': Darknet's own kernels, matching `darknet detector
   * test` to 1e-4. Training networks and GPU networks always run Darknet's kernels.
   */
  numerics?: Numerics;
  /**
   * Compute threads per forward pass (default: all cores). Darknet's work runs on one libuv
   * thread plus this many OpenMP threads, so other async work in the process keeps going.
   */
  threads?: number;
  /**
   * The compiled-weights cache: the weights the numerics use (for 'fast', already folded and
   * laid out for its kernels) are written once per weights file, cfg, addon build and CPU into
   * this directory, then mapped read-only on later loads — no read, no transform, and the pages
   * are shared by every copy in the process and every process on the machine. `true` (default):
   * $DARKNET_NODE_WEIGHTS_CACHE, else $XDG_CACHE_HOME/darknet-node/compiled, else
   * ~/.cache/darknet-node/compiled; a string: that directory; `false`: none. Inference networks
   * on the CPU only; a cache that cannot be written or read is skipped (see `loadReport()`).
   */
  cache?: boolean | string;
}

/** `work` or, once `signal` aborts, its reason; `cleanup` runs when abandoned work completes. */
function abandonable<T>(work: Promise<T>, signal: AbortSignal, cleanup: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      reject(signal.reason);
      work.then(cleanup, () => undefined);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}

/** The CUDA device a `device` option names, checked against the devices this machine has; -1 = CPU. */
function resolveDevice(device: unknown): number {
  const index = rules.deviceIndex(device);
  if (index < 0) return index;
  const caps = nativeGpu().capabilities(); // NO_GPU without a GPU build, or when it cannot load
  if (index >= caps.devices.length) {
    throw new DarknetError('NO_GPU', `CUDA device ${index} requested, ${caps.devices.length} visible`);
  }
  return index;
}

function netSection(cfg: Cfg) {
  const s = cfg.sections[0];
  if (!s || canonicalType(s.type) !== 'net') throw new DarknetError('CFG_INVALID', 'the first section must be [net]', cfg.file ? { file: cfg.file } : {});
  return s;
}

/** coco.names is 625 bytes, ImageNet's 9k.names 100 KB */
const MAX_NAMES_BYTES = 4 << 20;

/** Class names from a .names file path or an array; `defaults` when none are given. */
export async function readNames(names: string | readonly string[] | undefined, defaults: () => readonly string[]): Promise<string[]> {
  if (names === undefined) return [...defaults()];
  if (typeof names === 'string') {
    return (await readTextFile(names, 'names', MAX_NAMES_BYTES)).split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
  }
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) throw is.invalid('names', 'a file path or an array of strings');
  return [...(names as string[])];
}

export interface LoadedNetwork<T> {
  /** what `accept` returned */
  product: T;
  net: NativeNetwork;
  shape: NetworkShape;
  /** the weights header, or null for a randomly initialised network */
  header: WeightsHeader | null;
}

/**
 * Checks the options, validates the cfg, lets `accept` refuse what the product cannot run (by
 * throwing) and read what it needs beside the network (class names: before the weights, a
 * mistake there costs no load), sizes the weights and loads the network natively.
 */
export async function loadNetwork<T>(options: NetworkLoadOptions, what: string, accept: (shape: NetworkShape, cfgPath: string) => T | Promise<T>): Promise<LoadedNetwork<T>> {
  is.object(options, 'options', `${what}.load needs an options object { cfg, weights }`);
  const { cfg: cfgPath, weights } = options;
  is.path('cfg', cfgPath, 'a file path');
  if (weights !== null) is.path('weights', weights, 'a file path, or null for random initialisation');
  const batch = rules.batch(options.batch ?? 1);
  const width = rules.side('width', options.width);
  const height = rules.side('height', options.height);
  const training = is.boolean('training', options.training ?? false);
  const onProgress = is.fn<NonNullable<NetworkLoadOptions['onProgress']>>('onProgress', options.onProgress);
  const device = resolveDevice(options.device);
  const numerics = rules.numerics(options.numerics, training, device);
  const threads = options.threads === undefined ? 0 : rules.threads(options.threads);
  const signal = is.signal(options.signal);
  const maxBytes = rules.maxBytes(options.maxBytes);
  const cache = rules.weightsCache(options.cache);
  const cacheLimit = cache === null ? 0 : rules.weightsCacheLimit();
  signal?.throwIfAborted();
  if (numerics === 'fast' && device < 0) preload(); // done on import unless the addon failed then

  // The weights' header and size are read beside the cfg (a few round trips through the pool
  // each) and sized once the cfg is validated: its errors still come first.
  const weightsRead = weights === null ? null : readHeaderAndSize(weights);
  weightsRead?.catch(() => undefined); // awaited below, unless the cfg fails first
  // the cache directory too (made if missing; never fails: the cache is an accelerator)
  const cacheDirReady = weights !== null && !training && device < 0 ? cacheDirFor(cache) : Promise.resolve(undefined);
  // Real cfgs are a few KB (yolov3.cfg: 8 KB); refuse to read a huge file as one.
  const text = await readTextFile(cfgPath, 'cfg', MAX_CFG_BYTES, 'CFG_PARSE');
  const cfg = parseCfg(text, { file: cfgPath });
  const net = netSection(cfg);
  // Inference runs `batch` images per pass: the cfg's training batch/subdivisions would size
  // every buffer for the training mini-batch (yolov3.cfg: 64/16 → 4 images).
  setOption(net, 'batch', batch);
  setOption(net, 'subdivisions', 1);
  if (width) setOption(net, 'width', width);
  if (height) setOption(net, 'height', height);
  const shape = validateCfg(cfg, maxBytes === undefined ? {} : { maxBytes });
  // Darknet's loaders always feed 3-channel RGB (load_image_color); a network reading more
  // channels would read past the image buffer (heap overflow, found by fuzzing).
  if (shape.channels !== 3) throw new DarknetError('CFG_UNSUPPORTED', `[net] channels=${shape.channels}: images are fed as RGB, the network must take channels=3`, { file: cfgPath });
  const product = await accept(shape, cfgPath);
  const header = weights === null || !weightsRead ? null : sizeWeights(weights, shape, basename(cfgPath), await weightsRead);
  signal?.throwIfAborted();

  const cacheDir = await cacheDirReady;
  const nativeNet = new ((device >= 0 ? nativeGpu() : native()).Network)();
  // A throwing onProgress would surface as an uncaught exception from a native callback: the
  // first one is kept, later calls are skipped, and the load rejects with it.
  let progressError: { error: unknown } | undefined;
  const progress = onProgress && ((done: number, total: number) => {
    if (progressError) return;
    try {
      onProgress(done, total);
    } catch (error) {
      progressError = { error };
    }
  });
  try {
    // the edited cfg goes to Darknet as text (an in-memory file): no temporary file to leave behind
    const loading = nativeNet.load(cfgPath, weights, { cfgText: serializeCfg(cfg), lean: !training, device, fast: numerics === 'fast', threads, ...(cacheDir ? { cacheDir } : {}), ...(progress ? { onProgress: progress } : {}) });
    await (signal ? abandonable(loading, signal, () => nativeNet.dispose()) : loading);
    // progress calls made before the load finished (a cache hit makes its only one at the end)
    // reach the event loop in the same turn as the result, just after it: let them run first
    if (progress) await new Promise<void>((resolve) => setImmediate(resolve));
    if (progressError) {
      nativeNet.dispose();
      throw progressError.error;
    }
    // a new file in the cache: the least recently used ones go if it is now over its limit
    if (cacheDir && nativeNet.loadStats().cache === 'built') await pruneCache(cacheDir, cacheLimit);
  } catch (e) {
    if ((signal?.aborted && e === signal.reason) || (progressError && e === progressError.error)) throw e;
    const err = fromNative(e, cfgPath);
    throw new DarknetError(err.code, err.message.replace(`${cfgPath}: `, ''), { file: cfgPath, cause: e });
  }
  return { product, net: nativeNet, shape, header };
}
