import type { NetworkShape } from './cfg/validate.js';
import { COCO_NAMES } from './coco-names.js';
import { toDetections, type Detection } from './detections.js';
import { atIndex, callSite, DarknetError, publicError } from './errors.js';
import { checkGeometry } from './geometry.js';
import { NetworkHandle } from './handle.js';
import { nativeJpegSource, toPixels, type DecodeOptions, type ImageInput } from './input.js';
import * as is from './is.js';
import { loadNetwork, readNames, type NetworkLoadOptions } from './load.js';
import { getModel } from './models.js';
import type { NativeNetwork } from './native.js';
import { detectOptions, type DetectSettings } from './options.js';
import { VideoStream, type StreamOptions, type VideoSource } from './video/stream.js';
import type { WeightsHeader } from './weights.js';

export { MAX_THREADS, type Numerics } from './options.js';

export interface LoadOptions extends Omit<NetworkLoadOptions, 'cfg' | 'weights'> {
  /**
   * A model by name instead of cfg/weights/names: 'shapes' (bundled), or one of Darknet's
   * published detectors (`MODELS`: 'yolov3', 'yolov3-tiny', …), whose weights are downloaded into
   * the cache on first use (`npx darknet-node models get <name>` does it ahead of time).
   */
  model?: string;
  /** path of the Darknet .cfg (with `weights`; or give `model`) */
  cfg?: string;
  /** path of the .weights; `null` keeps Darknet's random initialisation (tests, training) */
  weights?: string | null;
  /** class names: a .names file path (one per line) or an array; COCO's for 80-class models */
  names?: string | readonly string[];
  /** with `model`: where downloaded weights are cached (see `modelCacheDir`) */
  cacheDir?: string;
  /** with `model`: progress of a weights download (bytes so far, total) */
  onDownloadProgress?: (received: number, total: number) => void;
}

/** The cfg/weights/names a load names: given, or those of a named model (downloaded if need be). */
async function resolveFiles(options: LoadOptions): Promise<NetworkLoadOptions & { names?: string | readonly string[] }> {
  if (typeof options !== 'object' || options === null) throw new DarknetError('BAD_INPUT', 'Detector.load needs an options object { model } or { cfg, weights }');
  if (options.model === undefined) {
    if (options.cfg === undefined) throw new DarknetError('BAD_INPUT', "Detector.load needs { model: 'yolov3' } (a name: see MODELS) or { cfg, weights } (file paths)");
    return options as NetworkLoadOptions;
  }
  if (options.cfg !== undefined || options.weights !== undefined) throw new DarknetError('BAD_INPUT', 'give either model or cfg/weights, not both');
  const { model, cacheDir, onDownloadProgress, ...rest } = options;
  if (onDownloadProgress !== undefined && typeof onDownloadProgress !== 'function') throw new DarknetError('BAD_INPUT', 'onDownloadProgress must be a function');
  const files = await getModel(model, {
    ...(cacheDir === undefined ? {} : { cacheDir }),
    ...(onDownloadProgress === undefined ? {} : { onProgress: onDownloadProgress }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { ...rest, cfg: files.cfg, weights: files.weights, names: options.names ?? files.names };
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

export interface YoloOutput {
  layer: number;
  width: number;
  height: number;
  channels: number;
  /** the layer's raw output for every batch item (batch × channels × height × width) */
  data: Float32Array;
}

/** A loaded Darknet network with its detection defaults. Create with `Detector.load()`. */
export class Detector extends NetworkHandle {
  readonly names: readonly string[];

  private constructor(net: NativeNetwork, shape: NetworkShape, names: string[], header: WeightsHeader | null) {
    super(net, shape, header, 'detector');
    this.names = Object.freeze(names);
  }

  static async load(options: LoadOptions): Promise<Detector> {
    const site = callSite();
    try {
      const o = await resolveFiles(options);
      const { product: names, net, shape, header } = await loadNetwork(o, 'Detector', (shape, file) => {
        if (!shape.heads.length) throw new DarknetError('CFG_UNSUPPORTED', 'the network has no [yolo] or [region] layer: it is not a detector', { file });
        return readNames(o.names, () => (shape.classes === 80 ? COCO_NAMES : []));
      });
      return new Detector(net, shape, names, header);
    } catch (e) {
      throw publicError(e, site);
    }
  }

  /** Runs `darknet detector test`'s pipeline on one image and returns its detections. */
  detect(input: ImageInput, options: DetectOptions = {}): Promise<Detection[]> {
    return this.accepted.track(this.detectImpl(input, options, callSite()));
  }

  private async detectImpl(input: ImageInput, options: DetectOptions, site: ReturnType<typeof callSite>): Promise<Detection[]> {
    try {
      this.assertUsable();
      const o = detectOptions(options);
      const decodeOpts = o.maxPixels === undefined ? {} : { maxPixels: o.maxPixels };
      const fused = await this.detectJpeg(input, decodeOpts, o);
      if (fused) return fused;
      const { px, done } = await this.pixels.decode(input, decodeOpts);
      try {
        checkGeometry(px.width, px.height, this.shape.width, this.shape.height, o.letterbox ? 'letterbox' : 'resize');
        const [boxes] = await this.exclusive(() => this.net.detect([px], o.letterbox, o.thresh, o.hier, o.nms));
        return toDetections(boxes!, px.width, px.height, o.thresh, this.names);
      } finally {
        done();
      }
    } catch (e) {
      throw publicError(e, site);
    }
  }

  /**
   * A JPEG decoded and detected in one native call, when the network is idle: the decode runs on
   * the pass's own threads with one trip to the pool. While other calls are queued, the image is
   * decoded on its own (undefined here) so that it overlaps the pass in flight.
   */
  private async detectJpeg(input: ImageInput, decodeOpts: DecodeOptions, o: DetectSettings): Promise<Detection[] | undefined> {
    const jpeg = this.queueSize === 0 ? nativeJpegSource(input, decodeOpts) : undefined;
    if (!jpeg) return undefined;
    const r = await this.exclusive(() => this.net.detectJpeg(jpeg.source, jpeg.maxPixels, o.letterbox, o.thresh, o.hier, o.nms));
    if (!r) return undefined;
    if ('thin' in r) {
      checkGeometry(r.width, r.height, this.shape.width, this.shape.height, o.letterbox ? 'letterbox' : 'resize');
      throw new DarknetError('DARKNET', `internal: the native side found a ${r.width}×${r.height} image too thin for the network, TypeScript did not`);
    }
    return toDetections(r.boxes, r.width, r.height, o.thresh, this.names);
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
      is.array('detectBatch', inputs, 'images');
      const o = detectOptions(options);
      const decodeOpts = o.maxPixels === undefined ? {} : { maxPixels: o.maxPixels };
      const results: Detection[][] = [];
      const step = this.shape.batch;
      for (let i = 0; i < inputs.length; i += step) {
        // Decode one pass's worth at a time: decoded pixels of thousands of images would not fit.
        const pxs = await Promise.all(inputs.slice(i, i + step).map((x, k) => toPixels(x, decodeOpts).catch((e: unknown) => { throw atIndex(e, i + k); })));
        pxs.forEach((px, k) => {
          try {
            checkGeometry(px.width, px.height, this.shape.width, this.shape.height, o.letterbox ? 'letterbox' : 'resize');
          } catch (e) {
            throw atIndex(e, i + k);
          }
        });
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
      return await this.forwardThen(input, () => this.readOutputs());
    } catch (e) {
      throw publicError(e, site);
    }
  }

  /** The YOLO/region layers' raw outputs from the last detect() or forward(). */
  async outputs(): Promise<YoloOutput[]> {
    this.assertUsable();
    return this.exclusive(async () => this.readOutputs());
  }

  private readOutputs(): YoloOutput[] {
    return this.shape.heads.map((h) => ({
      layer: h.layer, width: h.grid[0], height: h.grid[1], channels: h.channels, data: this.net.output(h.layer),
    }));
  }
}
