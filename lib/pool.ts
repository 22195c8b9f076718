import { availableParallelism } from 'node:os';
import { Detector, type DetectOptions, type LoadOptions } from './detector.js';
import type { Detection } from './detections.js';
import { DarknetError } from './errors.js';
import type { ImageInput } from './input.js';
import * as is from './is.js';
import { InFlight } from './lock.js';
import * as rules from './options.js';
import { VideoStream, type StreamOptions, type VideoSource } from './video/stream.js';

export interface PoolOptions extends LoadOptions {
  /** copies of the network (default 2); each holds its own weights and buffers */
  instances?: number;
  /**
   * compute threads per copy (default: the cores divided by `instances`, at least 1), so that
   * the copies running at once do not oversubscribe the cores
   */
  threads?: number;
}

/**
 * N independent copies of one network, sharing nothing mutable, each call dispatched to the
 * next free copy. For throughput on many cores: N images in flight at once instead of one image
 * using all cores (a YOLO pass does not scale linearly with threads). Memory is N × one network.
 */
export class DetectorPool {
  readonly detectors: readonly Detector[];
  private readonly idle: Detector[];
  private readonly waiting: Array<{ resolve: (d: Detector) => void; reject: (e: Error) => void }> = [];
  /** calls accepted and not yet settled, waiting for a copy included: asyncDispose waits for them */
  private readonly accepted = new InFlight();
  private closing = false;

  private constructor(detectors: Detector[]) {
    this.detectors = Object.freeze([...detectors]);
    this.idle = [...detectors];
  }

  static async load(options: PoolOptions): Promise<DetectorPool> {
    is.object(options, 'options', 'DetectorPool.load needs an options object');
    const instances = is.integer('instances', options.instances ?? 2, 1, 256);
    // checked here, once, rather than by each copy's load
    const threads = options.threads === undefined ? Math.max(1, Math.floor(availableParallelism() / instances)) : rules.threads(options.threads);
    const { instances: _omit, ...load } = options;
    const settled = await Promise.allSettled(Array.from({ length: instances }, () => Detector.load({ ...load, threads })));
    const ok = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      for (const d of ok) d.dispose();
      throw failed.reason;
    }
    return new DetectorPool(ok);
  }

  /** Copies in the pool. */
  get size(): number {
    return this.detectors.length;
  }

  /** Copies running a call right now. */
  get busy(): number {
    return this.detectors.length - this.idle.length;
  }

  get disposed(): boolean {
    return this.closing;
  }

  /** Detects on one image with the next free copy (waits for one when all are busy). */
  async detect(input: ImageInput, options?: DetectOptions): Promise<Detection[]> {
    return this.withDetector((d) => d.detect(input, options));
  }

  /**
   * Detects on many images, all copies working at once (each on `batch` images per pass).
   * Results are in input order.
   */
  async detectBatch(inputs: readonly ImageInput[], options?: DetectOptions): Promise<Detection[][]> {
    is.array('detectBatch', inputs, 'images');
    const step = this.detectors[0]!.batch;
    const chunks: Array<Promise<Detection[][]>> = [];
    for (let i = 0; i < inputs.length; i += step) {
      const chunk = inputs.slice(i, i + step);
      chunks.push(this.withDetector((d) => d.detectBatch(chunk, options)));
    }
    return (await Promise.all(chunks)).flat();
  }

  /**
   * Detector.detectStream on the pool: with the 'all' policy the copies work on consecutive
   * frames at once (size × batch frames in flight), which on 2 cores beats one copy on both.
   */
  detectStream(source: VideoSource, options: StreamOptions = {}): VideoStream {
    if (this.closing) throw new DarknetError('DISPOSED', 'the detector pool has been disposed');
    const { width, height, batch } = this.detectors[0]!;
    return new VideoStream({ width, height, batch: batch * this.size, detect: (i, o) => this.detect(i, o), detectBatch: (i, o) => this.detectBatch(i, o) }, source, options);
  }

  /** Frees every copy (calls in flight finish first, as Detector.dispose does). */
  dispose(): void {
    this.closing = true;
    for (const d of this.detectors) d.dispose();
    const err = new DarknetError('DISPOSED', 'the detector pool has been disposed');
    for (const w of this.waiting.splice(0)) w.reject(err);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Lets the calls already made finish (those still waiting for a copy too), then disposes. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.closing = true;
    await this.accepted.settled();
    this.dispose();
  }

  private withDetector<T>(task: (d: Detector) => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new DarknetError('DISPOSED', 'the detector pool has been disposed'));
    return this.accepted.track(this.runOnFreeCopy(task));
  }

  private async runOnFreeCopy<T>(task: (d: Detector) => Promise<T>): Promise<T> {
    const d = this.idle.pop() ?? (await new Promise<Detector>((resolve, reject) => this.waiting.push({ resolve, reject })));
    try {
      return await task(d);
    } finally {
      // the next waiter gets this copy, also while closing: dispose() rejects waiters itself
      const next = this.waiting.shift();
      if (next) next.resolve(d);
      else this.idle.push(d);
    }
  }
}
