import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseCfg } from '../cfg/parse.js';
import { getOption, setOption, type Cfg } from '../cfg/types.js';
import { validateCfg, type NetworkShape } from '../cfg/validate.js';
import { dataEntry, labelPathFor, readDataFile, readImageList } from '../data-file.js';
import { callSite, DarknetError, publicError } from '../errors.js';
import * as is from '../is.js';
import { fromDarknetLabels } from '../eval/formats.js';
import { ioError, readTextFile } from '../files.js';
import { native } from '../native.js';
import { checkPrefixWeights } from '../weights.js';

export interface TrainOptions {
  /** training cfg: its batch, subdivisions, learning-rate schedule and augmentation are used */
  cfg: string;
  /** a Darknet .data file (its `train=` list), a list file of image paths, or the paths */
  data: string | readonly string[];
  /** weights to start from: a checkpoint, or the first layers of a network (darknet53.conv.74, cut by
   * partialWeights / `darknet partial`: the layers after them keep their random initialisation);
   * random initialisation otherwise */
  initialWeights?: string;
  /** stop after this many iterations (overrides the cfg's max_batches) */
  maxBatches: number;
  /** write <outDir>/<cfg name>_<iteration>.weights every this many iterations (default 100; 0: never) */
  checkpointEvery?: number;
  /** where weights are written (default: the .data file's `backup=`, else ./backup) */
  outDir?: string;
  /** start the iteration count at 0 even when initialWeights records images seen */
  clearSeen?: boolean;
  /** seed of the random stream for initial weights, augmentation and dropout (a uint32; default:
   * a random one, reported in the result). The same seed, cfg and data give the same losses. */
  seed?: number;
  signal?: AbortSignal;
}

export interface TrainProgress {
  iteration: number;
  loss: number;
  /** Darknet's running average (0.9 · previous + 0.1 · loss) */
  avgLoss: number;
  learningRate: number;
  imagesSeen: number;
  /** the network input width this iteration trained at: the cfg's, or with `random=1` in the last
   * [yolo]/[region] section the size Darknet's multi-scale schedule drew (see Trainer) */
  width: number;
  /** the input height (equal to width under `random=1`) */
  height: number;
  /** milliseconds since training started */
  elapsed: number;
  /** the checkpoint written at this iteration, if any */
  checkpoint?: string;
}

export interface TrainResult {
  /** the final weights (<outDir>/<cfg name>_final.weights) */
  weights: string;
  iterations: number;
  avgLoss: number;
  checkpoints: string[];
  /** true when stopped through the AbortSignal (the final weights are still written) */
  aborted: boolean;
  /** the seed used (pass it back as `seed` to repeat the run) */
  seed: number;
  /** with initialWeights: how many leading layers it held (all of them for a complete file) */
  initialLayers?: number;
}

export { labelPathFor } from '../data-file.js';

const IMAGE_EXT = /\.(jpe?g|png)$/i;


/** cfgs and label files: text, and far below this */
const MAX_TEXT_BYTES = 64 << 20;

function readText(path: string, what: string): Promise<string> {
  return readTextFile(path, what, MAX_TEXT_BYTES);
}

/** Resolves and checks the training images and their label files before Darknet reads them. */
export async function loadTrainingSet(data: TrainOptions['data'], classes: number): Promise<{ paths: string[]; backup?: string }> {
  let paths: string[];
  let backup: string | undefined;
  if (typeof data === 'string' && data.endsWith('.data')) {
    const opts = await readDataFile(data);
    const list = dataEntry(opts, 'train', data);
    backup = opts.get('backup');
    const n = Number(opts.get('classes') ?? classes);
    if (n !== classes) throw new DarknetError('DATASET', `classes=${n} but the cfg's last layer has ${classes}`, { file: data });
    paths = await readImageList(list, 'train list');
  } else if (typeof data === 'string') {
    paths = await readImageList(data, 'train list');
  } else {
    paths = [...data];
  }
  if (!paths.length) throw new DarknetError('DATASET', 'no training images', typeof data === 'string' ? { file: data } : {});
  for (const img of paths) {
    // find_replace formats paths into 4096-byte stack buffers
    if (img.length > 4000) throw new DarknetError('DATASET', 'image path longer than 4000 characters', { file: img.slice(0, 200) });
    if (!IMAGE_EXT.test(img)) throw new DarknetError('DATASET', 'training images must be .jpg, .jpeg or .png (Darknet derives the label path from the extension)', { file: img });
    try {
      if (!(await stat(img)).isFile()) throw new DarknetError('DATASET', 'not a file', { file: img });
    } catch (e) {
      throw e instanceof DarknetError ? e : ioError(e, img, 'training image');
    }
    const label = labelPathFor(img);
    if (label === img) throw new DarknetError('DATASET', 'cannot derive a label path (Darknet replaces "images" with "labels" and the extension with .txt)', { file: img });
    try {
      fromDarknetLabels(await readText(label, 'label'), 1, 1, img, label, classes);
    } catch (e) {
      if (e instanceof DarknetError && e.code === 'BAD_INPUT') throw new DarknetError('DATASET', e.message.replace(`${label}:${e.line}: `, ''), { file: label, ...(e.line ? { line: e.line } : {}) });
      throw e;
    }
  }
  return backup ? { paths, backup } : { paths };
}

/** The sizes train_detector draws for `random=1`: multiples of 32 from 320 to 608. */
const MULTI_SCALE_SIZES: readonly number[] = Array.from({ length: 10 }, (_, i) => (i + 10) * 32);

/** resize_network's layer types (network.c) among those validateCfg allows. */
const RESIZABLE = new Set(['convolutional', 'maxpool', 'avgpool', 'route', 'shortcut', 'upsample', 'reorg', 'yolo', 'region']);

/**
 * Refuses, before training starts, a `random=1` cfg that Darknet's resize_network would kill
 * the process on (error() for a layer type it cannot resize, assert() for a shortcut between
 * layers of different sizes or a workspace over 2 GB) or turn into a broken network (a route of
 * mismatched sizes, a kernel larger than its input) at one of MULTI_SCALE_SIZES. A failure inside
 * resize_network leaves a half-resized network the native trainer can only report and leak.
 */
function checkMultiScale(cfg: Cfg, shape: NetworkShape): void {
  const [net, ...body] = cfg.sections;
  const fail = (layer: number, msg: string, code: 'CFG_INVALID' | 'CFG_UNSUPPORTED' = 'CFG_UNSUPPORTED'): never => {
    const sec = body[layer]!;
    throw new DarknetError(code, `[${sec.type}]: ${msg}`, { ...(cfg.file ? { file: cfg.file } : {}), line: sec.line });
  };
  // resize_network stops after the first [avgpool]: later layers keep their (1×1) sizes
  const resized = (s: NetworkShape) => {
    const end = s.layers.findIndex((l) => l.type === 'avgpool');
    return end < 0 ? s.layers : s.layers.slice(0, end + 1);
  };
  const checkShape = (s: NetworkShape, size: string) => {
    for (const l of resized(s)) {
      if (!RESIZABLE.has(l.type)) fail(l.index, `random=1 resizes the network while training, and Darknet cannot resize a [${l.type}] layer`);
      const src = l.type === 'shortcut' ? s.layers[l.from![0]!]!.output : undefined;
      if (src && (src.w !== l.input.w || src.h !== l.input.h)) {
        fail(l.index, `random=1 resizes the network while training, and Darknet can only resize a shortcut between layers of the same size (at ${size} layer ${l.from![0]} outputs ${src.w}×${src.h}, the previous layer ${l.input.w}×${l.input.h})`);
      }
      // resize_network asserts every layer's new workspace (im2col buffer) is at most 2e9 bytes
      if (s !== shape && l.type === 'convolutional' && 4 * l.output.w * l.output.h * l.size! * l.size! * (l.input.c / l.groups!) > 2e9) {
        fail(l.index, `random=1 trains at ${size}, where this layer's workspace exceeds the 2 GB Darknet's resize_network allows`, 'CFG_INVALID');
      }
    }
  };
  checkShape(shape, `${shape.width}×${shape.height}`);
  for (const dim of MULTI_SCALE_SIZES) {
    const at: Cfg = { ...cfg, sections: [setOption(setOption({ ...net!, options: [...net!.options] }, 'width', dim), 'height', dim), ...body] };
    let s: NetworkShape;
    try {
      s = validateCfg(at);
    } catch (e) {
      if (!(e instanceof DarknetError)) throw e;
      const where = e.file ? `${e.file}${e.line ? `:${e.line}` : ''}: ` : '';
      const msg = e.message.startsWith(where) ? e.message.slice(where.length) : e.message;
      throw new DarknetError(e.code, `random=1 trains at ${dim}×${dim}, where ${msg}`, { ...(e.file ? { file: e.file } : {}), ...(e.line ? { line: e.line } : {}) });
    }
    checkShape(s, `${dim}×${dim}`);
  }
}

/** Whether the last layer asks for multi-scale training (Darknet tests `l.random` for non-zero). */
function multiScale(cfg: Cfg, shape: NetworkShape): boolean {
  const sec = cfg.sections[shape.layers.length]!;
  const v = getOption(sec, 'random')?.value;
  return v !== undefined && Number(v) !== 0;
}

/**
 * Trains a detector with Darknet's own trainer (train_network) on a libuv worker thread.
 * Emits 'progress' (TrainProgress) per iteration and 'checkpoint' (path) when weights are written.
 *
 * `random=1` in the last [yolo]/[region] section (as in the stock yolov3 cfgs) trains at several
 * sizes as Darknet's train_detector does: before the 1st, 11th, 21st, … iteration the network is
 * resized to a random multiple of 32 from 320 to 608 (drawn from the seeded stream, so a seed
 * repeats the sizes), and to 608 once fewer than 200 iterations remain before `maxBatches`. Each
 * progress event reports the size it trained at. Not available in GPU builds (Darknet's
 * resize_network there only handles GPU networks; the Trainer trains on the CPU).
 */
/** The events a Trainer emits, typed; declared here so that its types need no @types/node. */
export interface TrainerEvents {
  progress: [TrainProgress];
  checkpoint: [string];
}

/** The EventEmitter methods a Trainer offers, typed by event. */
export interface TrainerEmitter {
  on<K extends keyof TrainerEvents>(event: K, listener: (...args: TrainerEvents[K]) => void): this;
  once<K extends keyof TrainerEvents>(event: K, listener: (...args: TrainerEvents[K]) => void): this;
  off<K extends keyof TrainerEvents>(event: K, listener: (...args: TrainerEvents[K]) => void): this;
  removeAllListeners(event?: keyof TrainerEvents): this;
  listenerCount(event: keyof TrainerEvents): number;
  emit<K extends keyof TrainerEvents>(event: K, ...args: TrainerEvents[K]): boolean;
}

// an EventEmitter at run time, typed by TrainerEmitter in the declarations
const TrainerBase = EventEmitter as unknown as new () => TrainerEmitter;

export class Trainer extends TrainerBase {
  async train(options: TrainOptions): Promise<TrainResult> {
    const site = callSite();
    try {
      return await this.run(options);
    } catch (e) {
      throw publicError(e, site);
    }
  }

  private async run(o: TrainOptions): Promise<TrainResult> {
    is.object(o, 'options', 'train needs { cfg, data, maxBatches }');
    is.path('cfg', o.cfg, 'a file path');
    if (typeof o.data !== 'string' || !o.data) is.stringArray('data', o.data, true);
    is.integer('maxBatches', o.maxBatches, 1);
    const every = is.integer('checkpointEvery', o.checkpointEvery ?? 100, 0);
    is.optional(o.initialWeights, (x) => is.path('initialWeights', x, 'a file path'));
    is.optional(o.outDir, (x) => is.path('outDir', x, 'a folder path'));
    is.optional(o.clearSeen, (x) => is.boolean('clearSeen', x));
    const seed = is.optional(o.seed, (x) => is.integer('seed', x, 0, 0xffffffff)) ?? randomInt(0x100000000);
    is.signal(o.signal);
    o.signal?.throwIfAborted();
    const cfg = parseCfg(await readText(o.cfg, 'cfg'), { file: o.cfg });
    const shape = validateCfg(cfg);
    const last = shape.layers[shape.layers.length - 1]!;
    if (!last.yolo) throw new DarknetError('CFG_UNSUPPORTED', 'the last layer must be [yolo] or [region] to train a detector', { file: o.cfg });
    if (multiScale(cfg, shape)) checkMultiScale(cfg, shape);
    if (shape.channels !== 3) throw new DarknetError('CFG_UNSUPPORTED', 'training images are RGB: the network must take channels=3', { file: o.cfg });
    const initial = o.initialWeights ? await checkPrefixWeights(o.initialWeights, shape, basename(o.cfg)) : undefined;
    const { paths, backup } = await loadTrainingSet(o.data, shape.classes);
    const outDir = resolve(o.outDir ?? backup ?? 'backup');
    await mkdir(outDir, { recursive: true });
    const prefix = join(outDir, basename(o.cfg).replace(/\.cfg$/, ''));
    const checkpoints: string[] = [];
    const started = Date.now();
    const job = native().train(
      {
        cfg: resolve(o.cfg), ...(o.initialWeights ? { weights: resolve(o.initialWeights) } : {}),
        // the native loader reads exactly these layers, as checked here (a file that shrank since fails)
        ...(initial && !initial.complete ? { weightLayers: initial.layers } : {}),
        paths, maxBatches: o.maxBatches, checkpointEvery: every, prefix, clearSeen: o.clearSeen ?? false, seed,
      },
      (p) => {
        const progress: TrainProgress = { ...p, elapsed: Date.now() - started };
        if (p.checkpoint) {
          checkpoints.push(p.checkpoint);
          this.emit('checkpoint', p.checkpoint);
        }
        this.emit('progress', progress);
      },
    );
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      job.stop();
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // settles after its last progress event was delivered (native/bridge/train_worker.cc)
      const r = await job.promise;
      return { weights: r.weights, iterations: r.iterations, avgLoss: r.avgLoss, checkpoints, aborted, seed, ...(initial ? { initialLayers: initial.layers } : {}) };
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
    }
  }
}

