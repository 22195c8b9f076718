import type { NetworkShape } from './cfg/validate.js';
import { atIndex, callSite, DarknetError, publicError } from './errors.js';
import { checkGeometry, type Preprocess } from './geometry.js';
import { NetworkHandle } from './handle.js';
import { IMAGENET_NAMES } from './imagenet.js';
import { toPixels, type ImageInput } from './input.js';
import { loadNetwork, readNames, type NetworkLoadOptions } from './load.js';
import * as is from './is.js';
import type { NativeNetwork } from './native.js';
import { classifyOptions } from './options.js';
import type { WeightsHeader } from './weights.js';

export type { Preprocess } from './geometry.js';

export interface ClassifierLoadOptions extends NetworkLoadOptions {
  /** class names: a .names file path (one per line) or an array; ImageNet's short names for 1000-class networks */
  names?: string | readonly string[];
}

export interface ClassifyOptions {
  /** how many classes to report, most probable first (default 5; at most the network's outputs) */
  top?: number;
  /**
   * How the image becomes the network's input: 'letterbox' (default) as `darknet classifier
   * predict` does; 'crop', the central square resized, as `darknet classifier valid` does;
   * 'resize' stretches the whole image.
   */
  preprocess?: Preprocess;
  /** refuse images with more pixels than this, encoded or raw (default 7680 × 4320) */
  maxPixels?: number;
}

export interface Classification {
  classId: number;
  className: string;
  probability: number;
}

export interface ClassifyResult {
  /** the `top` most probable classes, in Darknet's top_k order (ties: the lower class id first) */
  top: Classification[];
  /** the network's whole output for the image: one probability per class */
  probabilities: Float32Array;
}

/**
 * Darknet's top_k (utils.c): indexes of the k largest values, largest first; of equal values the
 * earlier index ranks first, so the order is the CLI's even on ties.
 */
export function topK(values: ArrayLike<number>, k: number, n = values.length): number[] {
  const index: number[] = new Array<number>(k).fill(-1);
  for (let i = 0; i < n; i++) {
    let curr = i;
    for (let j = 0; j < k; j++) {
      if (index[j]! < 0 || values[curr]! > values[index[j]!]!) {
        const swap = curr;
        curr = index[j]!;
        index[j] = swap;
      }
    }
  }
  return index.filter((i) => i >= 0);
}

/**
 * The layer whose output is the classifier's answer (network_predict's: the last one that is
 * not [cost]), refusing networks that are not classifiers.
 */
function outputLayer(shape: NetworkShape, file: string): number {
  if (shape.heads.length) throw new DarknetError('CFG_UNSUPPORTED', 'the network has [yolo] or [region] layers: it is a detector (use Detector)', { file });
  let i = shape.layers.length - 1;
  while (i > 0 && shape.layers[i]!.type === 'cost') i--;
  const l = shape.layers[i]!;
  if (l.type !== 'softmax') {
    throw new DarknetError('CFG_UNSUPPORTED', `the network's output layer ${i} is [${l.type}], not [softmax]: it is not a classifier`, { file, line: l.line });
  }
  return i;
}

/** A loaded Darknet classifier (darknet53.cfg, darknet19.cfg, resnet50.cfg, …). Create with `Classifier.load()`. */
export class Classifier extends NetworkHandle {
  readonly names: readonly string[];
  /** the layer whose output is read (the [softmax]) */
  readonly outputLayer: number;
  /** probabilities per image: the classes the network tells apart */
  readonly classes: number;

  private constructor(net: NativeNetwork, shape: NetworkShape, names: string[], header: WeightsHeader | null, output: number) {
    super(net, shape, header, 'classifier');
    this.names = Object.freeze(names);
    this.outputLayer = output;
    this.classes = shape.layers[output]!.outputs;
  }

  static async load(options: ClassifierLoadOptions): Promise<Classifier> {
    const site = callSite();
    try {
      const { product, net, shape, header } = await loadNetwork(options, 'Classifier', async (shape, file) => {
        const output = outputLayer(shape, file);
        const classes = shape.layers[output]!.outputs;
        return { output, names: await readNames(options.names, () => (classes === 1000 ? IMAGENET_NAMES : [])) };
      });
      return new Classifier(net, shape, product.names, header, product.output);
    } catch (e) {
      throw publicError(e, site);
    }
  }

  /** Runs `darknet classifier predict`'s pipeline on one image. */
  classify(input: ImageInput, options: ClassifyOptions = {}): Promise<ClassifyResult> {
    return this.accepted.track(this.classifyImpl(input, options, callSite()));
  }

  private async classifyImpl(input: ImageInput, options: ClassifyOptions, site: Error): Promise<ClassifyResult> {
    try {
      this.assertUsable();
      const o = classifyOptions(options, this.classes);
      const { px, done } = await this.pixels.decode(input, o.maxPixels === undefined ? {} : { maxPixels: o.maxPixels });
      try {
        checkGeometry(px.width, px.height, this.width, this.height, o.prep);
        const [probs] = await this.exclusive(() => this.net.classify([px], o.prep));
        return this.result(probs!, o.top);
      } finally {
        done();
      }
    } catch (e) {
      throw publicError(e, site);
    }
  }

  /**
   * Classifies many images, `batch` images per forward pass (load with `batch: N`). Results are
   * in input order and identical to calling classify() on each image.
   */
  classifyBatch(inputs: readonly ImageInput[], options: ClassifyOptions = {}): Promise<ClassifyResult[]> {
    return this.accepted.track(this.classifyBatchImpl(inputs, options, callSite()));
  }

  private async classifyBatchImpl(inputs: readonly ImageInput[], options: ClassifyOptions, site: Error): Promise<ClassifyResult[]> {
    try {
      this.assertUsable();
      is.array('classifyBatch', inputs, 'images');
      const o = classifyOptions(options, this.classes);
      const decodeOpts = o.maxPixels === undefined ? {} : { maxPixels: o.maxPixels };
      const results: ClassifyResult[] = [];
      const step = this.batch;
      for (let i = 0; i < inputs.length; i += step) {
        // one pass's worth decoded at a time: the decoded pixels of thousands of images would not fit
        const pxs = await Promise.all(inputs.slice(i, i + step).map((x, k) => toPixels(x, decodeOpts).catch((e: unknown) => { throw atIndex(e, i + k); })));
        pxs.forEach((px, k) => {
          try {
            checkGeometry(px.width, px.height, this.width, this.height, o.prep);
          } catch (e) {
            throw atIndex(e, i + k);
          }
        });
        const probs = await this.exclusive(() => this.net.classify(pxs, o.prep));
        for (const p of probs) results.push(this.result(p, o.top));
      }
      return results;
    } catch (e) {
      throw publicError(e, site);
    }
  }

  /**
   * Runs the network on `batch × width × height × 3` floats (planar RGB in [0, 1], prepared by
   * the caller) and returns the output layer's values for every batch item (batch × classes).
   */
  async forward(input: Float32Array): Promise<Float32Array> {
    const site = callSite();
    try {
      return await this.forwardThen(input, () => this.net.output(this.outputLayer));
    } catch (e) {
      throw publicError(e, site);
    }
  }

  private result(probabilities: Float32Array, top: number): ClassifyResult {
    return {
      top: topK(probabilities, top).map((classId) => ({ classId, className: this.names[classId] ?? `class${classId}`, probability: probabilities[classId]! })),
      probabilities,
    };
  }
}
