import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { parseCfg } from './cfg/parse.js';
import { serializeCfg } from './cfg/serialize.js';
import { canonicalType, setOption, type Cfg } from './cfg/types.js';
import { validateCfg, type NetworkShape } from './cfg/validate.js';
import { COCO_NAMES } from './coco-names.js';
import { toDetections, type Detection } from './detections.js';
import { atIndex, callSite, DarknetError, fromNative, publicError } from './errors.js';
import { MAX_CFG_BYTES, readTextFile } from './files.js';
import { toPixels, type ImageInput } from './input.js';
import { networkInfo, type NetworkInfo } from './info.js';
import { InFlight, SerialQueue } from './lock.js';
import { native, type MemoryUsage, type NativeNetwork } from './native.js';
import { VideoStream, type StreamOptions, type VideoSource } from './video/stream.js';
import { checkWeights, type WeightsHeader } from './weights.js';

export interface LoadOptions {
  /** path of the Darknet .cfg */
  cfg: string;
  /** path of the .weights; `null` keeps Darknet's random initialisation (tests, training) */
  weights: string | null;
  /** class names: a .names file path (one per line) or an array; COCO's for 80-class models */
  names?: string | readonly string[];
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
}

export type Numerics = 'fast' | 'reference';

/**
 * More compute threads than this only oversubscribe the cores, and past what the OS grants,
 * OpenMP (libgomp) ends the process when it cannot create them: capped well before that.
 */
export const MAX_THREADS = Math.max(4, 4 * availableParallelism());

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

function checkThreads(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_THREADS) {
    throw new DarknetError('BAD_INPUT', `threads must be an integer in [0, ${MAX_THREADS}] (0 = all cores; at most 4 per core), got ${String(v)}`);
  }
  return v;
}

function resolveDevice(device: LoadOptions['device']): number {
  if (device === undefined || device === 'cpu') return -1;
  const index = device === 'gpu' ? 0 : device;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
    throw new DarknetError('BAD_INPUT', `device must be 'cpu', 'gpu' or a CUDA device index, got ${String(device)}`);
  }
  const caps = native().capabilities();
  if (!caps.cuda) {
    throw new DarknetError('NO_GPU', 'this build of darknet-node has no CUDA support: rebuild from source with DARKNET_GPU=ON (see README, "GPU build")');
  }
  if (index >= caps.devices.length) {
    throw new DarknetError('NO_GPU', `CUDA device ${index} requested, ${caps.devices.length} visible`);
  }
  return index;
}

export interface DetectOptions {
  /** minimum probability to report (default 0.5, as `darknet detector test`) */
  thresh?: number;
  /** hierarchical threshold for [region] trees (default 0.5) */
  hierThresh?: number;
  /** NMS IoU threshold; 0 disables NMS (default 0.45) */
  nms?: number;
  /** keep aspect ratio and pad with grey, as Darknet does (default true); false stretches */
  letterbox?: boolean;
  /** refuse images with more pixels than this, encoded or raw (default 7680 × 4320, 8K UHD: ~1 GB
   * for one image on its way through a detect; raise it for larger images) */
  maxPixels?: number;
}

interface ResolvedDetectOptions {
  thresh: number;
  hier: number;
  nms: number;
  letterbox: boolean;
  maxPixels: number | undefined;
}

function resolveDetectOptions(options: DetectOptions): ResolvedDetectOptions {
  if (typeof options !== 'object' || options === null) throw new DarknetError('BAD_INPUT', 'options must be an object');
  // Only `undefined` means "default": null is a mistake worth reporting.
  const pick = <T>(v: T | undefined, d: T) => (v === undefined ? d : v);
  const thresh = checkUnit('thresh', pick(options.thresh, DEFAULTS.thresh));
  const hier = checkUnit('hierThresh', pick(options.hierThresh, DEFAULTS.hierThresh));
  const nms = checkUnit('nms', pick(options.nms, DEFAULTS.nms));
  const letterbox = pick(options.letterbox, DEFAULTS.letterbox);
  if (typeof letterbox !== 'boolean') throw new DarknetError('BAD_INPUT', 'letterbox must be a boolean');
  const { maxPixels } = options;
  if (maxPixels !== undefined && (!Number.isInteger(maxPixels) || maxPixels < 1)) throw new DarknetError('BAD_INPUT', 'maxPixels must be a positive integer');
  return { thresh, hier, nms, letterbox, maxPixels };
}

export interface YoloOutput {
  layer: number;
  width: number;
  height: number;
  channels: number;
  /** the layer's raw output for every batch item (batch × channels × height × width) */
  data: Float32Array;
}

const DEFAULTS = { thresh: 0.5, hierThresh: 0.5, nms: 0.45, letterbox: true } as const;
/** coco.names is 625 bytes, ImageNet's 9k.names 100 KB */
const MAX_NAMES_BYTES = 4 << 20;

function checkUnit(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new DarknetError('BAD_INPUT', `${name} must be a number in [0, 1], got ${typeof v === 'number' ? v : typeof v}`);
  }
  return v;
}

function checkSide(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 32 || v > 8192 || v % 32 !== 0) {
    throw new DarknetError('BAD_INPUT', `${name} must be a multiple of 32 in [32, 8192], got ${String(v)}`);
  }
  return v;
}

/**
 * Darknet resizes with a 1/(size - 1) step: a letterboxed side of one pixel (a very thin image)
 * sends its sampler out of bounds. Same arithmetic as letterbox_image (C integer division).
 */
function checkGeometry(w: number, h: number, netW: number, netH: number, letterbox: boolean): void {
  let nw = netW;
  let nh = netH;
  if (letterbox) {
    if (Math.fround(netW / w) < Math.fround(netH / h)) nh = Math.trunc((h * netW) / w);
    else nw = Math.trunc((w * netH) / h);
  }
  if (nw < 2 || nh < 2) {
    throw new DarknetError('BAD_INPUT', `a ${w}×${h} image is too thin to ${letterbox ? 'letterbox' : 'resize'} into ${netW}×${netH} (it would become ${nw}×${nh}; Darknet needs at least 2 pixels per side)`);
  }
}

function netSection(cfg: Cfg) {
  const s = cfg.sections[0];
  if (!s || canonicalType(s.type) !== 'net') throw new DarknetError('CFG_INVALID', 'the first section must be [net]', cfg.file ? { file: cfg.file } : {});
  return s;
}

async function readNames(names: LoadOptions['names'], classes: number): Promise<string[]> {
  if (names === undefined) return classes === 80 ? [...COCO_NAMES] : [];
  if (typeof names === 'string') {
    return (await readTextFile(names, 'names', MAX_NAMES_BYTES)).split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
  }
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) throw new DarknetError('BAD_INPUT', 'names must be a file path or an array of strings');
  return [...names];
}

/** A loaded Darknet network with its detection defaults. Create with `Detector.load()`. */
export class Detector {
  readonly shape: NetworkShape;
  readonly names: readonly string[];
  /** the weights header, or null for a randomly initialised network */
  readonly weightsHeader: WeightsHeader | null;
  private readonly net: NativeNetwork;
  private readonly queue = new SerialQueue();
  /** calls accepted and not yet settled, decoding included: asyncDispose waits for them */
  private readonly accepted = new InFlight();
  private disposedFlag = false;
  /** set by dispose() and asyncDispose(): no new calls; queued ones still run unless disposed */
  private closing = false;

  /** the numerics this network runs with (see LoadOptions.numerics) */
  readonly numerics: Numerics;

  private constructor(net: NativeNetwork, shape: NetworkShape, names: string[], header: WeightsHeader | null) {
    // what the native side installed, not what was asked for
    this.numerics = net.fast ? 'fast' : 'reference';
    this.net = net;
    this.shape = shape;
    this.names = Object.freeze(names);
    this.weightsHeader = header;
  }

  static async load(options: LoadOptions): Promise<Detector> {
    const site = callSite();
    try {
      return await Detector.loadImpl(options);
    } catch (e) {
      throw publicError(e, site);
    }
  }

  private static async loadImpl(options: LoadOptions): Promise<Detector> {
    if (typeof options !== 'object' || options === null) throw new DarknetError('BAD_INPUT', 'Detector.load needs an options object { cfg, weights }');
    const { cfg: cfgPath, weights } = options;
    if (typeof cfgPath !== 'string' || !cfgPath) throw new DarknetError('BAD_INPUT', 'cfg must be a file path');
    if (weights !== null && (typeof weights !== 'string' || !weights)) throw new DarknetError('BAD_INPUT', 'weights must be a file path, or null for random initialisation');
    const batch = options.batch ?? 1;
    if (!Number.isInteger(batch) || batch < 1 || batch > 1024) throw new DarknetError('BAD_INPUT', `batch must be an integer in [1, 1024], got ${String(batch)}`);
    const width = checkSide('width', options.width);
    const height = checkSide('height', options.height);
    const training = options.training ?? false;
    if (typeof training !== 'boolean') throw new DarknetError('BAD_INPUT', 'training must be a boolean');
    const { onProgress } = options;
    if (onProgress !== undefined && typeof onProgress !== 'function') throw new DarknetError('BAD_INPUT', 'onProgress must be a function');
    const device = resolveDevice(options.device);
    const numerics = options.numerics ?? (training || device >= 0 ? 'reference' : 'fast');
    if (numerics !== 'fast' && numerics !== 'reference') throw new DarknetError('BAD_INPUT', `numerics must be 'fast' or 'reference', got ${String(numerics)}`);
    if (numerics === 'fast' && training) throw new DarknetError('BAD_INPUT', "numerics: 'fast' folds batch-norm into the weights and cannot be combined with training: true");
    if (numerics === 'fast' && device >= 0) throw new DarknetError('BAD_INPUT', "numerics: 'fast' is for the CPU; GPU networks run Darknet's CUDA kernels");
    const threads = options.threads === undefined ? 0 : checkThreads(options.threads);
    const { signal } = options;
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new DarknetError('BAD_INPUT', 'signal must be an AbortSignal');
    signal?.throwIfAborted();

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
    const { maxBytes } = options;
    if (maxBytes !== undefined && (typeof maxBytes !== 'number' || !Number.isFinite(maxBytes) || maxBytes <= 0)) {
      throw new DarknetError('BAD_INPUT', `maxBytes must be a positive number of bytes, got ${String(maxBytes)}`);
    }
    const shape = validateCfg(cfg, maxBytes === undefined ? {} : { maxBytes });
    if (!shape.heads.length) throw new DarknetError('CFG_UNSUPPORTED', 'the network has no [yolo] or [region] layer: it is not a detector', { file: cfgPath });
    // Darknet's detector always feeds 3-channel RGB (load_image_color); a network reading more
    // channels would read past the image buffer (heap overflow, found by fuzzing).
    if (shape.channels !== 3) throw new DarknetError('CFG_UNSUPPORTED', `[net] channels=${shape.channels}: detection feeds RGB images, the network must take channels=3`, { file: cfgPath });
    const header = weights === null ? null : await checkWeights(weights, shape, basename(cfgPath));
    const names = await readNames(options.names, shape.classes);
    signal?.throwIfAborted();

    const nativeNet = new (native().Network)();
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
      const loading = nativeNet.load(cfgPath, weights, { cfgText: serializeCfg(cfg), lean: !training, device, fast: numerics === 'fast', threads, ...(progress ? { onProgress: progress } : {}) });
      await (signal ? abandonable(loading, signal, () => nativeNet.dispose()) : loading);
      if (progressError) {
        nativeNet.dispose();
        throw progressError.error;
      }
    } catch (e) {
      if ((signal?.aborted && e === signal.reason) || (progressError && e === progressError.error)) throw e;
      const err = fromNative(e, cfgPath);
      throw new DarknetError(err.code, err.message.replace(`${cfgPath}: `, ''), { file: cfgPath, cause: e });
    }
    return new Detector(nativeNet, shape, names, header);
  }

  /** Network input width and height, and images per forward pass. */
  get width(): number { return this.shape.width; }
  get height(): number { return this.shape.height; }
  get batch(): number { return this.shape.batch; }
  get disposed(): boolean { return this.closing; }

  /** Compute threads a forward pass uses (all cores unless set). */
  get threads(): number {
    this.assertUsable();
    return this.net.threads;
  }

  /** Changes the compute threads for the calls after those already queued (0 = all cores). */
  async setThreads(threads: number): Promise<void> {
    this.assertUsable();
    const n = checkThreads(threads);
    await this.exclusive(async () => { this.net.threads = n; });
  }

  /** Runs `darknet detector test`'s pipeline on one image and returns its detections. */
  detect(input: ImageInput, options: DetectOptions = {}): Promise<Detection[]> {
    return this.accepted.track(this.detectImpl(input, options, callSite()));
  }

  private async detectImpl(input: ImageInput, options: DetectOptions, site: ReturnType<typeof callSite>): Promise<Detection[]> {
    try {
      this.assertUsable();
      const o = resolveDetectOptions(options);
      const px = await toPixels(input, o.maxPixels === undefined ? {} : { maxPixels: o.maxPixels });
      checkGeometry(px.width, px.height, this.shape.width, this.shape.height, o.letterbox);
      const [boxes] = await this.exclusive(() => this.net.detect([px], o.letterbox, o.thresh, o.hier, o.nms));
      return toDetections(boxes!, px.width, px.height, o.thresh, this.names);
    } catch (e) {
      throw publicError(e, site);
    }
  }

  /**
   * Detects on many images, `batch` images per forward pass (load with `batch: N`). Results are
   * in input order and identical to calling detect() on each image.
   */
  detectBatch(inputs: readonly ImageInput[], options: DetectOptions = {}): Promise<Detection[][]> {
    return this.accepted.track(this.detectBatchImpl(inputs, options, callSite()));
  }

  private async detectBatchImpl(inputs: readonly ImageInput[], options: DetectOptions, site: ReturnType<typeof callSite>): Promise<Detection[][]> {
    try {
      this.assertUsable();
      if (!Array.isArray(inputs)) throw new DarknetError('BAD_INPUT', 'detectBatch needs an array of images');
      const o = resolveDetectOptions(options);
      const decodeOpts = o.maxPixels === undefined ? {} : { maxPixels: o.maxPixels };
      const results: Detection[][] = [];
      const step = this.shape.batch;
      for (let i = 0; i < inputs.length; i += step) {
        // Decode one pass's worth at a time: decoded pixels of thousands of images would not fit.
        const pxs = await Promise.all(inputs.slice(i, i + step).map((x, k) => toPixels(x, decodeOpts).catch((e: unknown) => { throw atIndex(e, i + k); })));
        for (const px of pxs) checkGeometry(px.width, px.height, this.shape.width, this.shape.height, o.letterbox);
        const boxes = await this.exclusive(() => this.net.detect(pxs, o.letterbox, o.thresh, o.hier, o.nms));
        boxes.forEach((b, k) => results.push(toDetections(b, pxs[k]!.width, pxs[k]!.height, o.thresh, this.names)));
      }
      return results;
    } catch (e) {
      throw publicError(e, site);
    }
  }

  /**
   * Detects and tracks objects in a video: a file, an http(s)/rtsp/udp URL or a V4L2 device
   * (decoded by ffmpeg), or an (async) iterable of images. Iterate the result with for await.
   */
  detectStream(source: VideoSource, options: StreamOptions = {}): VideoStream {
    this.assertUsable();
    return new VideoStream(this, source, options);
  }

  /** Runs the network on `batch × width × height × 3` floats (planar RGB in [0, 1]) and returns the YOLO layers' raw outputs. */
  async forward(input: Float32Array): Promise<YoloOutput[]> {
    const site = callSite();
    try {
      this.assertUsable();
      if (!(input instanceof Float32Array)) throw new DarknetError('BAD_INPUT', 'input must be a Float32Array');
      return await this.exclusive(async () => {
        await this.net.forward(input);
        return this.readOutputs();
      });
    } catch (e) {
      throw publicError(e, site);
    }
  }

  /** The YOLO/region layers' raw outputs from the last detect() or forward(). */
  async outputs(): Promise<YoloOutput[]> {
    this.assertUsable();
    return this.exclusive(async () => this.readOutputs());
  }

  /** Layer table (as Darknet prints it) and YOLO heads. */
  info(): NetworkInfo {
    return networkInfo(this.shape);
  }

  /** Native memory held by the network, by purpose (the total is also reported to V8). */
  memory(): MemoryUsage {
    this.assertUsable();
    return this.net.memory();
  }

  /** Frees the native network now, or as soon as a call in flight finishes. Idempotent. */
  dispose(): void {
    this.closing = true;
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    this.net.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Lets calls already made finish (those still decoding their image too), then disposes. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.closing = true;
    await this.accepted.settled();
    await this.queue.idle();
    this.dispose();
  }


  private readOutputs(): YoloOutput[] {
    return this.shape.heads.map((h) => ({
      layer: h.layer, width: h.grid[0], height: h.grid[1], channels: h.channels, data: this.net.output(h.layer),
    }));
  }

  private assertUsable(): void {
    if (this.closing) throw new DarknetError('DISPOSED', 'the detector has been disposed');
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      // disposed while this call waited its turn
      if (this.disposedFlag) throw new DarknetError('DISPOSED', 'the detector has been disposed');
      return task();
    });
  }
}
