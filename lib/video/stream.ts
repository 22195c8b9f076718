/**
 * detectStream: frames from a video source through the detector and the tracker, as an async
 * iterable of results. The decoder reads ahead while the network runs (ffmpeg into its pipe, the
 * next frame prefetched here); the policy decides what happens when the network is the slower.
 */
import type { DetectOptions } from '../detector.js';
import type { Detection } from '../detections.js';
import * as is from '../is.js';
import { detectOptions } from '../options.js';
import type { ImageInput, RawImage } from '../input.js';
import { Tracker, resolveTrackerOptions, type Track, type TrackerOptions } from '../track/tracker.js';
import type { StreamInfo } from './args.js';
import { findFfmpeg } from './ffmpeg.js';
import { LatestFrame } from './latest.js';
import { toSource } from './placement.js';
import { FfmpegSource, IterableSource, type FrameSource, type SourceFrame } from './sources.js';

/**
 * A video file, an http(s)/rtsp/udp/… URL or a V4L2 device path (/dev/video0), decoded by
 * ffmpeg; or an (async) iterable of images in any form detect() accepts.
 */
export type VideoSource = string | AsyncIterable<ImageInput> | Iterable<ImageInput>;

export type BackpressurePolicy = 'all' | 'latest';

export interface StreamOptions extends DetectOptions {
  /** stops the stream: ffmpeg is killed and the iteration rejects with the signal's reason */
  signal?: AbortSignal;
  /** results to produce at most */
  maxFrames?: number;
  /** sample the source down to this many frames per second */
  fps?: number;
  /** keep only every n-th frame of the source */
  every?: number;
  /**
   * 'all' (default): every frame is detected, the consumer sets the pace (ffmpeg waits).
   * 'latest': the source is read at its own pace and only the newest frame is detected, older
   * ones dropped (counted in `dropped`): for live sources, to stay in real time.
   */
  policy?: BackpressurePolicy;
  /** include each frame's pixels (RGB at the source's size) in the results (default false) */
  frames?: boolean;
  /** tracker options, or false for no tracking (default: a Tracker with its defaults) */
  track?: TrackerOptions | false;
  /** the ffmpeg executable (default: `ffmpeg` on PATH) */
  ffmpegPath?: string;
  /** more ffmpeg input options, placed before -i (e.g. ['-f', 'mjpeg'] or ['-stream_loop', '-1']) */
  inputArgs?: readonly string[];
  /** milliseconds to wait for a frame before the stream fails with STREAM_TIMEOUT (default 10,000) */
  timeout?: number;
  /** read a file at its frame rate, as a live stream arrives (default: true with 'latest') */
  realtime?: boolean;
  /** ffmpeg decoding threads (default 1: the cores are the network's; raise for 4K sources) */
  decoderThreads?: number;
}

export interface StreamFrame {
  /** the frame's number among the source's frames after fps/every sampling; gaps are drops */
  index: number;
  /** seconds since the first frame, from the stream's timestamps (arrival times for iterables) */
  timestamp: number;
  /** the frame, when `frames: true` (RGB, the source's size; yours to keep) */
  frame?: RawImage;
  /** in the source frame's pixels */
  detections: Detection[];
  /** every live track (see TrackState); [] with track: false */
  tracks: Track<Detection>[];
  /** frames dropped so far by the 'latest' policy */
  dropped: number;
}

export interface StreamStats {
  /** frames taken from the source (after sampling) */
  decoded: number;
  dropped: number;
  /** results produced */
  processed: number;
}

/** What detectStream needs of a Detector (or a DetectorPool). */
export interface StreamDetector {
  readonly width: number;
  readonly height: number;
  /** frames handed to detectBatch at once */
  readonly batch: number;
  detect(input: ImageInput, options?: DetectOptions): Promise<Detection[]>;
  detectBatch(inputs: readonly ImageInput[], options?: DetectOptions): Promise<Detection[][]>;
}

const positiveInt = (name: string, v: unknown): number | undefined => is.optional(v, (x) => is.integer(name, x, 1));

function isFrames(x: unknown): x is AsyncIterable<ImageInput> | Iterable<ImageInput> {
  if (typeof x !== 'object' || x === null || x instanceof Uint8Array) return false;
  return typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' || typeof (x as Iterable<unknown>)[Symbol.iterator] === 'function';
}

interface Plan {
  detect: DetectOptions;
  /** reported detections: the caller's threshold (the tracker may see lower ones) */
  thresh: number;
  maxFrames: number;
  policy: BackpressurePolicy;
  frames: boolean;
  track: TrackerOptions | false;
  signal: AbortSignal | undefined;
}

/**
 * Frames in, detections and tracks out. Iterate it once (for await); leaving the loop, aborting
 * or disposing stops the decoder (the ffmpeg child is killed and reaped) and frees its buffers.
 */
export class VideoStream implements AsyncIterable<StreamFrame>, AsyncDisposable, Disposable {
  private readonly source: FrameSource;
  /** the source before the policy: ffmpeg's, or the iterable's */
  private readonly inner: FrameSource;
  private readonly onAbort = () => this.dispose();
  private readonly latest: LatestFrame | undefined;
  private readonly plan: Plan;
  private started = false;
  private stopping: Promise<void> | undefined;
  private readonly counts = { decoded: 0, processed: 0 };

  constructor(private readonly detector: StreamDetector, input: VideoSource, options: StreamOptions = {}) {
    is.object(options);
    const { signal, maxFrames, fps, every, policy = 'all', frames = false, track = {}, ffmpegPath, inputArgs, timeout = 10_000, realtime, decoderThreads = 1, ...detect } = options;
    is.signal(signal);
    positiveInt('maxFrames', maxFrames);
    positiveInt('every', every);
    positiveInt('decoderThreads', decoderThreads);
    is.optional(fps, (x) => is.number('fps', x, 0, 1000, { lo: true }));
    is.oneOf('policy', policy, ['all', 'latest'] as const);
    is.boolean('frames', frames);
    is.optional(realtime, (x) => is.boolean('realtime', x));
    is.number('timeout', timeout, 0, Infinity, { lo: true }, ' of milliseconds');
    is.optional(inputArgs, (x) => is.stringArray('inputArgs', x));
    const tracking = track === false ? false : resolveTrackerOptions(track);
    // the detector's own rules, checked now rather than at the first frame
    const { thresh } = detectOptions(detect);
    // ByteTrack's weak detections must come out of the detector to reach the tracker
    const detectThresh = tracking && tracking.byteTrack ? Math.min(thresh, tracking.lowThresh) : thresh;
    this.plan = { detect: { ...detect, thresh: detectThresh }, thresh, maxFrames: maxFrames ?? Infinity, policy, frames, track: tracking, signal };

    let source: FrameSource;
    if (typeof input === 'string') {
      if (!input) throw is.badInput('the video source is an empty string');
      const bin = findFfmpeg(ffmpegPath);
      source = new FfmpegSource(input, {
        bin,
        // with frames wanted, they come as decoded and the network letterboxes them; otherwise
        // ffmpeg scales each frame once, straight to the network's input
        geometry: frames ? {} : { net: { width: detector.width, height: detector.height, letterbox: detect.letterbox ?? true } },
        every, fps, realtime: realtime ?? policy === 'latest', threads: decoderThreads, inputArgs, timeoutMs: timeout,
      });
    } else if (isFrames(input)) {
      source = new IterableSource(input, { every, fps, timeoutMs: timeout, maxPixels: detect.maxPixels });
    } else {
      throw is.badInput('the video source must be a file path, a URL, a device path or an (async) iterable of images');
    }
    this.latest = policy === 'latest' ? new LatestFrame(source) : undefined;
    this.source = this.latest ?? source;
    this.inner = source;
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  get stats(): StreamStats {
    return { decoded: this.counts.decoded + (this.latest?.dropped ?? 0), dropped: this.latest?.dropped ?? 0, processed: this.counts.processed };
  }

  /** the input video stream as ffmpeg reports it (size, frame rate), once opened */
  get info(): StreamInfo | undefined {
    return this.source.info;
  }

  /** ffmpeg's process id while it runs (file, URL and device sources) */
  get pid(): number | undefined {
    return this.inner instanceof FfmpegSource ? this.inner.pid : undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamFrame> {
    if (this.started) throw is.badInput('a VideoStream can be iterated once');
    this.started = true;
    return this.run();
  }

  /** Stops now: ffmpeg is killed (reaped in the background), the iteration ends. Idempotent. */
  dispose(): void {
    this.stopping ??= this.source.stop();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Stops, and resolves once ffmpeg is reaped and its pipes are closed. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
    await this.stopping;
  }

  private async *run(): AsyncGenerator<StreamFrame, void, undefined> {
    const p = this.plan;
    const tracker = p.track ? new Tracker<Detection>(p.track) : undefined;
    // batches through detectBatch when the network takes several images a pass (or a pool has
    // several copies) and every frame is wanted anyway; 'latest' keeps one frame, the newest
    const batch = p.policy === 'all' ? Math.max(1, this.detector.batch) : 1;
    let pending: Promise<SourceFrame | null> | undefined;
    const next = () => {
      const r = pending ?? this.read();
      pending = undefined;
      return r;
    };
    try {
      this.throwIfAborted();
      let produced = 0;
      for (;;) {
        const want = Math.min(batch, p.maxFrames - produced);
        const frames: SourceFrame[] = [];
        while (frames.length < want) {
          const f = await next();
          if (!f) break;
          frames.push(f);
        }
        if (!frames.length) break;
        // the next frame is fetched while the network works on these
        if (produced + frames.length < p.maxFrames) {
          pending = this.read();
          pending.catch(() => undefined);
        }
        const found = await this.orAbort(frames.length > 1
          ? this.detector.detectBatch(frames.map((f) => f.pixels), p.detect)
          : this.detector.detect(frames[0]!.pixels, p.detect).then((d) => [d]));
        for (const [k, f] of frames.entries()) {
          const all = f.placement ? toSource(found[k]!, f.placement) : found[k]!;
          const tracks = tracker ? tracker.update(all, f.time) : [];
          const detections = p.detect.thresh === p.thresh ? all : all.filter((d) => d.confidence >= p.thresh);
          produced++;
          this.counts.processed++;
          yield {
            index: f.n, timestamp: f.time, ...(p.frames ? { frame: f.pixels } : {}),
            detections, tracks, dropped: this.latest?.dropped ?? 0,
          };
        }
        if (produced >= p.maxFrames) break;
      }
      this.throwIfAborted();
    } finally {
      p.signal?.removeEventListener('abort', this.onAbort);
      this.dispose();
      await this.stopping;
    }
  }

  private async read(): Promise<SourceFrame | null> {
    const f = await this.source.read();
    this.throwIfAborted();
    if (f) this.counts.decoded++;
    return f;
  }

  private throwIfAborted(): void {
    this.plan.signal?.throwIfAborted();
  }

  /** `work`, or the abort reason as soon as the signal fires (the work finishes unobserved). */
  private orAbort<T>(work: Promise<T>): Promise<T> {
    const signal = this.plan.signal;
    if (!signal) return work;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
        (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e); },
      );
    });
  }
}
