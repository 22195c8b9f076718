/**
 * The native module's whole shape, in one place (as node-llama-cpp's AddonTypes.ts), and its
 * loaders: darknet.node (CPU networks and training; always there) and, in GPU builds,
 * darknet_gpu.node (GPU networks), loaded only when a GPU is asked for. It is called by
 * load.ts (every network product: Detector, Classifier), train/trainer.ts (training) and
 * capabilities() below; other modules import only its types or PACKAGE_ROOT.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DarknetError } from './errors.js';

export interface NativeLayer {
  type: string;
  w: number; h: number; c: number;
  outW: number; outH: number; outC: number;
  n: number; size: number; stride: number; batch: number; outputs: number;
  classes: number; total: number; mask: number[];
}

export interface NativeBoxes {
  /** count × (5 + classes): cx, cy, w, h (relative), objectness, per-class probabilities */
  data: Float32Array;
  count: number;
  classes: number;
}

/** Bytes held by a network, by purpose. */
export interface MemoryUsage {
  /** parameters: weights, biases, batch-norm scales and running statistics */
  weights: number;
  /** layer outputs (shared between layers in lean mode) and the input buffer */
  activations: number;
  /** the im2col workspace shared by all layers */
  workspace: number;
  /** deltas, parameter updates, batch statistics: 0 unless loaded with `training: true` */
  training: number;
  total: number;
}

export interface NativeLoadOptions {
  /** inference-only allocation (default true) */
  lean?: boolean;
  /** CUDA device index; -1 (default) = CPU */
  device?: number;
  /** fast numerics (default true): folded batch-norm, BLAS convolutions; CPU inference only */
  fast?: boolean;
  /** compute threads per forward pass; 0 (default) = all cores */
  threads?: number;
  /** bytes of the .weights read so far, and the file size */
  onProgress?: (bytes: number, total: number) => void;
  /** the cfg's text: Darknet parses it from memory and `cfgPath` only names it in messages */
  cfgText?: string;
  /** the compiled-weights cache directory (existing); absent: no cache */
  cacheDir?: string;
}

/** What a load spent its time on, and what it did with the compiled-weights cache. */
export interface LoadReport {
  /** parsing the cfg and constructing the layers (ms) */
  parseMs: number;
  /** freeing training state and pooling layer outputs (ms) */
  leanMs: number;
  /** reading the .weights file (ms; 0 on a cache hit) */
  readMs: number;
  /** fast numerics' folding and weight layouts (ms; 0 on a cache hit) */
  transformMs: number;
  /** making the key, mapping and verifying the cache file (hit), or writing and mapping it (ms) */
  cacheMs: number;
  /**
   * 'hit': mapped from the cache (shared with other copies and processes); 'built': built from
   * the .weights, written and mapped; 'copied': a cache file that is not this user's alone, read
   * into private memory; 'off': no cache (disabled, training, GPU, no weights); 'failed': the
   * cache could not be used or written (`note` says why), the network runs on private memory
   */
  cache: 'hit' | 'built' | 'copied' | 'off' | 'failed';
  /** bytes of the weights in the shared, read-only mapping of the cache file */
  mappedBytes: number;
  /** why the cache was rebuilt or not used ('' on a hit) */
  note: string;
}

export interface NativeNetwork {
  load(cfgPath: string, weightsPath: string | null, options?: NativeLoadOptions): Promise<void>;
  forward(input: Float32Array): Promise<void>;
  /** one forward pass over 1..batch images; one result per image, in order */
  detect(images: NativeImage[], letterbox: boolean, thresh: number, hier: number, nms: number): Promise<NativeBoxes[]>;
  /** detect() of one JPEG (bytes or a file path), decoded in the same call on the compute threads:
   * the boxes and the image's size; `thin` (nothing ran) when the image is too thin for the
   * network; null when the native decoder does not take it (decode it another way) */
  detectJpeg(source: Uint8Array | string, maxPixels: number, letterbox: boolean, thresh: number, hier: number, nms: number):
    Promise<{ boxes: NativeBoxes; width: number; height: number } | { width: number; height: number; thin: true } | null>;
  /** one forward pass over 1..batch images prepared as Darknet's classifier tools do; per image,
   * the output layer's values (the last layer that is not [cost]) */
  classify(images: NativeImage[], prep: 'letterbox' | 'resize' | 'crop'): Promise<Float32Array[]>;
  layers(): NativeLayer[];
  output(layer: number): Float32Array;
  memory(): MemoryUsage;
  loadStats(): LoadReport;
  dispose(): void;
  readonly disposed: boolean;
  /** compute threads of the next passes (set 0 for all cores; reads back the effective count) */
  threads: number;
  /** whether fast numerics are installed */
  readonly fast: boolean;
}

export interface NativeImage {
  /** 8-bit interleaved pixels, row-major (HWC) */
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

export interface GpuDevice {
  index: number;
  name: string;
  /** bytes of device memory */
  memory: number;
  /** e.g. "9.0" for Hopper */
  computeCapability: string;
}

export interface NativeCapabilities {
  /** a GPU build: darknet_gpu.node is installed */
  cuda: boolean;
  /** why the GPU build cannot be used (a missing CUDA library), null when it can or there is none */
  gpuError?: string | null;
  /** cuDNN compiled in */
  cudnn: boolean;
  /** cudnnGetVersion() of the loaded library (e.g. 91000), null without cuDNN */
  cudnnVersion: number | null;
  /** visible CUDA devices (empty on CPU builds, and without a driver or device) */
  devices: GpuDevice[];
  openmp: boolean;
  /** the BLAS behind fast-mode convolutions (e.g. "OpenBLAS … (Cooperlake)"), null = Darknet's gemm */
  blas: string | null;
  /** compute threads used when none are asked for (all cores) */
  defaultThreads: number;
  /** the pinned Darknet commit (native/build.json) */
  darknetCommit: string;
  /** where the compiled Darknet source came from (a path, Debian's package, or "node-gyp") */
  darknetSource: string;
  /** sha256 of the Darknet files this binary compiled (scripts/native-build.mjs) */
  darknetSourceHash: string;
  /** what decodes clean JPEGs natively (libjpeg-turbo, loaded at run time); null: sharp decodes them all */
  jpeg?: string | null;
  /** what runs fast numerics' convolutions where it is installed (oneDNN, libdnnl.so.2, loaded at
   * run time; e.g. "oneDNN 2.6.3 (avx512_core)"); null: the addon's own kernels over `blas` */
  dnnl?: string | null;
}

export interface NativeTrainOptions {
  cfg: string;
  weights?: string;
  /** `weights` holds only this many leading layers (a prefix file); the rest keep their initialisation */
  weightLayers?: number;
  paths: string[];
  maxBatches: number;
  checkpointEvery: number;
  prefix: string;
  clearSeen: boolean;
  /** the training thread's random stream (uint32) */
  seed: number;
}

export interface NativeTrainProgress {
  iteration: number;
  loss: number;
  avgLoss: number;
  learningRate: number;
  imagesSeen: number;
  /** the network input size this iteration trained at */
  width: number;
  height: number;
  checkpoint?: string;
}

export interface NativeTrainJob {
  promise: Promise<{ weights: string; stopped: boolean; iterations: number; avgLoss: number }>;
  /** stop after the current iteration (the final weights are still written) */
  stop(): void;
}

export interface NativeAddon {
  Network: new () => NativeNetwork;
  capabilities(): NativeCapabilities;
  train(options: NativeTrainOptions, onProgress: (p: NativeTrainProgress) => void): NativeTrainJob;
  /** RGB pixels of a clean YCbCr/greyscale JPEG (bytes, or a file read on the pool) of at most
   * maxPixels pixels; null when it is not one, or the file cannot be read (lib/input.ts then asks
   * sharp, which decodes or explains it). `into`: decoded into it when the pixels fit (data is then
   * `into` itself, the pixels its first width × height × 3 bytes) */
  decodeJpeg?(source: Uint8Array | string, maxPixels: number, into?: Uint8Array): Promise<{ data: Uint8Array; width: number; height: number } | null>;
  /** loads fast numerics' convolution library on the pool, ahead of a load that needs it (never
   * rejects); absent from the GPU addon and from binaries older than this interface */
  prepareKernels?(): Promise<void>;
  /** a regular file's first maxBytes bytes and its size, in one trip to the pool (lib/files.ts readHead) */
  readHead?(path: string, maxBytes: number): Promise<{ data: Uint8Array; size: number }>;
}

/**
 * Why the addon could not be loaded, and the way out. Two cases: no binary fits (none ships for
 * this platform and none was built: node-gyp-build's "No native build was found"), or one was
 * found and the dynamic loader refused it (an older glibc, a missing system library).
 */
export function nativeMissingMessage(e: unknown): string {
  const why = ((e as Error)?.message ?? String(e)).trim().replace(/\.$/, '');
  const platform = `${process.platform}-${process.arch}`;
  const build = 'Build it from source with `npx darknet-node build` (needs cmake ≥ 3.19, g++, and the ' +
    'build tools as packages of your project: `npm install --save-dev cmake-js node-addon-api`).';
  if (/No native build was found/.test(why)) {
    return `no compiled darknet-node binary fits this platform (${platform}, Node-API 8): prebuilt binaries ` +
      `ship for linux-x64 and linux-arm64 with glibc ≥ 2.31, and none has been built here. ${build}`;
  }
  const lib = /(lib[\w.+-]+\.so[\w.]*): cannot open shared object file/.exec(why)?.[1];
  const hint = lib === 'libgomp.so.1' ? ' Install GCC\'s OpenMP runtime (Debian/Ubuntu: `apt-get install libgomp1`; RHEL: `dnf install libgomp`).'
    : /GLIBC_[\d.]+' not found|GLIBCXX_[\d.]+' not found/.test(why) ? ' This system\'s C library is older than the binary needs (glibc ≥ 2.31).'
    : '';
  return `the darknet-node binary for ${platform} could not be loaded: ${why}.${hint} ${build}`;
}

export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

let cached: NativeAddon | undefined;

export function native(): NativeAddon {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  try {
    cached = (require('node-gyp-build') as (dir: string) => NativeAddon)(PACKAGE_ROOT);
  } catch (e) {
    throw new DarknetError('NATIVE_MISSING', nativeMissingMessage(e), { cause: e });
  }
  return cached;
}

/** The GPU build's addon (GPU builds only; see CMakeLists.txt for why it is a second binary). */
let kernels: Promise<void> | undefined;

/**
 * Loads the addon and starts loading fast numerics' convolution library (oneDNN: ~5 ms of mapping
 * and relocation) on the pool, once per process (thread). The package's entry calls it, as
 * sharp and onnxruntime-node load their libraries on import: a model load then pays for the
 * model alone. An addon that cannot load is reported by the first call that needs it.
 */
export function preload(): void {
  if (kernels) return;
  try {
    kernels = native().prepareKernels?.().catch(() => undefined) ?? Promise.resolve();
  } catch {
    // the first load or capabilities() says why the addon cannot be used
  }
}

export const GPU_BINARY = join(PACKAGE_ROOT, 'build', 'Release', 'darknet_gpu.node');

let gpuCached: NativeAddon | undefined;
let gpuFailure: DarknetError | undefined;

/** How to get each library the GPU build links, when the dynamic loader cannot find it. */
const CUDA_LIBRARIES: Array<[RegExp, string]> = [
  [/^libcublas/, 'cuBLAS: `pip install nvidia-cublas` (CUDA 13) or the CUDA toolkit'],
  [/^libcurand/, 'cuRAND: `pip install nvidia-curand` or the CUDA toolkit'],
  [/^libcudnn/, 'cuDNN 9: `pip install nvidia-cudnn-cu13`, or rebuild with DARKNET_CUDNN=OFF'],
  [/^libcudart/, 'the CUDA runtime: the CUDA toolkit, or `pip install nvidia-cuda-runtime`'],
];

/** The loader's error for darknet_gpu.node, naming a missing CUDA library and where to get it. */
export function gpuLoadError(e: unknown): DarknetError {
  const msg = (e as Error)?.message ?? String(e);
  const lib = /(lib[\w.+-]+\.so[\w.]*): cannot open shared object file/.exec(msg)?.[1];
  if (!lib) return new DarknetError('NO_GPU', `the GPU build (${GPU_BINARY}) cannot be loaded: ${msg}`, { cause: e });
  const how = CUDA_LIBRARIES.find(([re]) => re.test(lib))?.[1] ?? 'the CUDA library it names';
  return new DarknetError('NO_GPU',
    `the GPU build (darknet_gpu.node) needs ${lib}, which the dynamic loader cannot find. Install ${how}; ` +
    'the build records where the libraries were (pip wheels in the project\'s .venv, or the toolkit): if they moved, ' +
    'rebuild (`DARKNET_GPU=ON npm run build:native`) or add their folder to LD_LIBRARY_PATH', { cause: e });
}

/** darknet_gpu.node, loaded on first use; NO_GPU when this installation has none or it cannot load. */
export function nativeGpu(): NativeAddon {
  if (gpuCached) return gpuCached;
  if (gpuFailure) throw gpuFailure;
  if (!existsSync(GPU_BINARY)) {
    throw new DarknetError('NO_GPU', 'this installation has no GPU build (prebuilt binaries are CPU-only): build one with `npx darknet-node build --gpu` (see README, "GPU build")');
  }
  try {
    gpuCached = createRequire(import.meta.url)(GPU_BINARY) as NativeAddon;
  } catch (e) {
    gpuFailure = gpuLoadError(e);
    throw gpuFailure;
  }
  return gpuCached;
}

/**
 * What this installation can do: the CPU addon's facts, and, in a GPU build, the GPU addon's
 * CUDA facts (this loads it, with CUDA's initialisation; CPU-only use never does).
 */
export function capabilities(): NativeCapabilities {
  const cpu = native().capabilities();
  if (!existsSync(GPU_BINARY)) return { ...cpu, cuda: false, gpuError: null };
  try {
    const g = nativeGpu().capabilities();
    return { ...cpu, cuda: true, cudnn: g.cudnn, cudnnVersion: g.cudnnVersion, devices: g.devices, gpuError: null };
  } catch (e) {
    return { ...cpu, cuda: true, devices: [], gpuError: (e as Error).message };
  }
}
