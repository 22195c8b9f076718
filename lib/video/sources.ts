/**
 * Where detectStream's frames come from: ffmpeg decoding a file, URL or device, or the caller's
 * own async iterable of images. Both read one frame at a time, on demand.
 */
import { stat } from 'node:fs/promises';
import { DarknetError } from '../errors.js';
import { ioError } from '../files.js';
import { toPixels, type ImageInput, type RawImage } from '../input.js';
import { sourceKind, type DecodeArgs, type StreamInfo } from './args.js';
import { FfmpegDecoder } from './decoder.js';
import { placement, type Placement } from './placement.js';

export interface SourceFrame {
  /** what is detected on */
  pixels: RawImage;
  /** set when `pixels` is a scaled copy of the source frame: how to map boxes back */
  placement?: Placement;
  /** frame number among those the source delivers (after sampling), from 0 */
  n: number;
  /** seconds since the first frame */
  time: number;
}

export interface FrameSource {
  read(): Promise<SourceFrame | null>;
  /** ends reading and frees what the source holds; a pending read() then resolves null */
  stop(): Promise<void>;
  readonly info?: StreamInfo | undefined;
}

/** ffmpeg's decoding options (args.ts), for one source given to the constructor */
export interface FfmpegSourceOptions extends Omit<DecodeArgs, 'source'> {
  bin: string;
  timeoutMs: number;
}

export class FfmpegSource implements FrameSource {
  private decoder: FfmpegDecoder | undefined;
  private stopped = false;
  private t0: number | undefined;
  private lastPid: number | undefined;
  private lastInfo: StreamInfo | undefined;

  constructor(private readonly source: string, private readonly o: FfmpegSourceOptions) {}

  get info(): StreamInfo | undefined {
    return this.decoder?.info ?? this.lastInfo;
  }

  /** ffmpeg's process id, once started */
  get pid(): number | undefined {
    return this.decoder?.pid ?? this.lastPid;
  }

  async read(): Promise<SourceFrame | null> {
    if (this.stopped) return null;
    if (!this.decoder) {
      if (sourceKind(this.source) === 'file') {
        // ffmpeg would say "No such file or directory" too, after starting: this names it at once
        try {
          await stat(this.source);
        } catch (e) {
          throw ioError(e, this.source, 'video');
        }
        if (this.stopped) return null;
      }
      this.decoder = new FfmpegDecoder(this.o.bin, {
        source: this.source, geometry: this.o.geometry, every: this.o.every, fps: this.o.fps,
        realtime: this.o.realtime, threads: this.o.threads, inputArgs: this.o.inputArgs,
      }, this.o.timeoutMs);
    }
    const decoder = this.decoder;
    const f = await decoder.read();
    if (!f) return null;
    const { info } = f;
    const rate = decoder.info?.fps ?? this.o.fps ?? 25;
    // times from the stream when it has them (live streams start anywhere: made relative)
    const t = Number.isFinite(info.time) ? info.time : info.n / rate;
    this.t0 ??= t;
    const net = this.o.geometry.net;
    return {
      pixels: { data: f.data, width: f.width, height: f.height, channels: 3 },
      ...(net ? { placement: placement(info.width, info.height, net.width, net.height, net.letterbox) } : {}),
      n: info.n,
      time: t - this.t0,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const d = this.decoder;
    if (!d) return;
    this.lastPid = d.pid;
    this.lastInfo = d.info;
    await d.stop();
    // the decoder holds up to a few frames of unread pipe data: let it go with the process
    this.decoder = undefined;
  }
}

export interface IterableSourceOptions {
  every?: number | undefined;
  fps?: number | undefined;
  timeoutMs: number;
  maxPixels?: number | undefined;
}

/** The caller's frames, decoded as detect() decodes them; times are arrival times. */
export class IterableSource implements FrameSource {
  private readonly it: AsyncIterator<ImageInput> | Iterator<ImageInput>;
  private received = 0;
  private delivered = 0;
  private t0: number | undefined;
  private nextSlot = 0;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(frames: AsyncIterable<ImageInput> | Iterable<ImageInput>, private readonly o: IterableSourceOptions) {
    const asyncIt = (frames as AsyncIterable<ImageInput>)[Symbol.asyncIterator];
    this.it = typeof asyncIt === 'function' ? asyncIt.call(frames) : (frames as Iterable<ImageInput>)[Symbol.iterator]();
  }

  async read(): Promise<SourceFrame | null> {
    for (;;) {
      if (this.stopped) return null;
      const r = await this.next();
      if (!r || r.done) return null;
      const now = performance.now() / 1000;
      this.t0 ??= now;
      const time = now - this.t0;
      const k = this.received++;
      if (this.o.every && k % this.o.every) continue;
      if (this.o.fps) {
        if (time < this.nextSlot) continue;
        this.nextSlot = Math.max(this.nextSlot + 1 / this.o.fps, time);
      }
      let pixels: RawImage;
      try {
        pixels = await toPixels(r.value, this.o.maxPixels === undefined ? {} : { maxPixels: this.o.maxPixels });
      } catch (e) {
        throw e instanceof DarknetError ? new DarknetError(e.code, `frame ${k}: ${e.message}`, { ...(e.file ? { file: e.file } : {}), cause: e }) : e;
      }
      return { pixels, n: this.delivered++, time };
    }
  }

  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stopped = true;
    this.wake?.();
    // lets a generator run its finally blocks. Not awaited: a generator stalled mid-step runs
    // return() only after that step, which may never end
    try {
      Promise.resolve(this.it.return?.()).catch(() => undefined);
    } catch {
      // its own cleanup failed: nothing of ours to free
    }
    return Promise.resolve();
  }

  /** iterator.next(), given up on after the timeout (a stalled producer) or when stopped. */
  private next(): Promise<IteratorResult<ImageInput> | null> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new DarknetError('STREAM_TIMEOUT', `no frame from the iterable in ${this.o.timeoutMs} ms (a stalled source; set timeout to wait longer)`));
      }, this.o.timeoutMs);
      this.wake = () => { clearTimeout(timer); resolve(null); };
      let step: Promise<IteratorResult<ImageInput>>;
      try {
        step = Promise.resolve(this.it.next());
      } catch (e) {
        step = Promise.reject(e);
      }
      step.then(
        (r) => { clearTimeout(timer); resolve(r); },
        (e: unknown) => { clearTimeout(timer); reject(e); },
      );
    });
  }
}
