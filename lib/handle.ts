import type { NetworkShape } from './cfg/validate.js';
import { DarknetError } from './errors.js';
import { networkInfo, type NetworkInfo } from './info.js';
import * as is from './is.js';
import { InFlight, SerialQueue } from './lock.js';
import type { LoadReport, MemoryUsage, NativeNetwork } from './native.js';
import * as rules from './options.js';
import type { Numerics } from './options.js';
import type { WeightsHeader } from './weights.js';
import { PixelScratch } from './pixel-scratch.js';

/**
 * What every product on a loaded native network shares: calls serialized onto the network, the
 * compute threads, memory, and disposal that lets accepted calls finish.
 */
export abstract class NetworkHandle {
  readonly shape: NetworkShape;
  /** the weights header, or null for a randomly initialised network */
  readonly weightsHeader: WeightsHeader | null;
  /** the numerics this network runs with (see LoadOptions.numerics) */
  readonly numerics: Numerics;
  protected readonly net: NativeNetwork;
  private readonly queue = new SerialQueue();
  /** calls accepted and not yet settled, decoding included: asyncDispose waits for them */
  protected readonly accepted = new InFlight();
  /** the spare buffer single-image calls decode JPEGs into */
  protected readonly pixels = new PixelScratch();
  private disposedFlag = false;
  /** set by dispose() and asyncDispose(): no new calls; queued ones still run unless disposed */
  private closing = false;

  protected constructor(net: NativeNetwork, shape: NetworkShape, header: WeightsHeader | null, private readonly product: string) {
    // what the native side installed, not what was asked for
    this.numerics = net.fast ? 'fast' : 'reference';
    this.net = net;
    this.shape = shape;
    this.weightsHeader = header;
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
    const n = rules.threads(threads);
    await this.exclusive(async () => { this.net.threads = n; });
  }

  /** Layer table (as Darknet prints it), BFLOPs and any YOLO heads. */
  info(): NetworkInfo {
    return networkInfo(this.shape);
  }

  /** Native memory held by the network, by purpose (the total is also reported to V8). */
  memory(): MemoryUsage {
    this.assertUsable();
    return this.net.memory();
  }

  /** How the load went: time by phase, and whether the weights came from the compiled-weights cache. */
  loadReport(): LoadReport {
    this.assertUsable();
    return this.net.loadStats();
  }

  /** Frees the native network now, or as soon as a call in flight finishes. Idempotent. */
  dispose(): void {
    this.closing = true;
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    this.pixels.clear();
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

  protected assertUsable(): void {
    if (this.closing) throw new DarknetError('DISPOSED', `the ${this.product} has been disposed`);
  }

  /** One pass on caller-prepared input (planar RGB floats), then `read` of the outputs, exclusively. */
  protected forwardThen<T>(input: Float32Array, read: () => T): Promise<T> {
    this.assertUsable();
    if (!(input instanceof Float32Array)) throw is.invalid('input', 'a Float32Array');
    const { batch, width: w, height: h, channels: c, inputs } = this.shape;
    if (input.length !== batch * inputs) throw is.badInput(`input has ${input.length} floats, the network takes ${batch * inputs} (batch ${batch} × ${w}×${h}×${c})`);
    return this.exclusive(async () => {
      await this.net.forward(input);
      return read();
    });
  }

  /** calls queued on the network or running */
  protected get queueSize(): number {
    return this.queue.size;
  }

  protected exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      // disposed while this call waited its turn
      if (this.disposedFlag) throw new DarknetError('DISPOSED', `the ${this.product} has been disposed`);
      return task();
    });
  }
}
