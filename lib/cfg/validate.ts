import { DarknetError } from '../errors.js';
import { canonicalType, getOption, type Cfg, type CfgSection } from './types.js';

/**
 * Shape inference that mirrors Darknet's parser (parser.c and the make_*_layer functions of the
 * pinned source) for the layer types this package runs. It computes every layer's input and
 * output size, the floats each layer reads from a .weights file, and BFLOPs, and it rejects —
 * naming line and key — every cfg that would make Darknet exit, assert, divide by zero, index
 * out of bounds or overflow a buffer, before Darknet sees it.
 */

export interface Dims {
  w: number;
  h: number;
  c: number;
}

export interface YoloHead {
  layer: number;
  grid: [number, number];
  classes: number;
  /** anchor indices used by this head (`mask`) */
  mask: number[];
  /** this head's anchors in network-input pixels (`anchors` picked by `mask`) */
  anchors: Array<[number, number]>;
  /** channels = mask.length × (4 + 1 + classes) */
  channels: number;
  /** candidate boxes: grid w × h × mask.length */
  boxes: number;
}

export interface LayerShape {
  index: number;
  /** canonical Darknet layer name: convolutional, route, shortcut, upsample, yolo, … */
  type: string;
  line: number;
  input: Dims;
  output: Dims;
  /** floats in this layer's output per image */
  outputs: number;
  /** floats this layer reads from a .weights file */
  weightFloats: number;
  bflops: number;
  filters?: number;
  size?: number;
  stride?: number;
  groups?: number;
  batchNormalize?: boolean;
  activation?: string;
  /** route/shortcut: absolute indices of the layers read */
  from?: number[];
  /** connected: floats per image it reads (the previous layer's outputs) */
  inputs?: number;
  /** convolutional `flipped=1`: Darknet transposes the weights it reads (size²·c rows × filters) */
  flipped?: boolean;
  /** batch-normalised layer with `dontloadscales=1`: its scales are not read, but are written */
  dontloadscales?: boolean;
  /** `dontsave=1`: Darknet reads this layer's parameters but leaves them out when it writes */
  dontsave?: boolean;
  yolo?: YoloHead;
}

export interface NetworkShape {
  width: number;
  height: number;
  channels: number;
  batch: number;
  /** floats per input image */
  inputs: number;
  layers: LayerShape[];
  /** floats the .weights file holds after its header */
  weightFloats: number;
  bflops: number;
  /** YOLO/region heads, in layer order */
  heads: YoloHead[];
  /** classes of the last layer (what Darknet sizes detection probabilities by) */
  classes: number;
  /** candidate boxes over all heads (10,647 for YOLOv3 at 416) */
  candidates: number;
  /** rough bytes Darknet will allocate (activations, deltas, parameters, workspace) */
  estimatedBytes: number;
}

export interface ValidateOptions {
  /** Refuse cfgs whose estimated allocation exceeds this (default 16 GiB). */
  maxBytes?: number;
}

export const SUPPORTED_LAYERS = [
  'convolutional', 'maxpool', 'avgpool', 'route', 'shortcut', 'upsample', 'yolo', 'region',
  'reorg', 'dropout', 'connected', 'softmax', 'crop', 'cost',
] as const;

/** get_cost_type's names; any other makes Darknet print a warning and use sse. */
const COST_TYPES = new Set(['seg', 'sse', 'masked', 'smooth', 'L1', 'wgan']);

const ACTIVATIONS = new Set([
  'logistic', 'loggy', 'relu', 'elu', 'selu', 'relie', 'plse', 'hardtan', 'lhtan', 'linear',
  'ramp', 'leaky', 'tanh', 'stair',
]);
const POLICIES = new Set(['constant', 'step', 'exp', 'poly', 'steps', 'sig', 'random']);
/** Options that make Darknet read other files or skip weight records: refused (not run here). */
/* `truth` makes a layer's output the training target of later layers (so softmax writes a loss
 * during inference): a training device, refused here (found by fuzzing). */
/**
 * What only AlexeyAB's Darknet fork (YOLOv4, v4-tiny, v7, Scaled-YOLOv4) knows: a cfg using it
 * was written for that Darknet, and saying so beats "unknown activation".
 */
const LATER_ACTIVATIONS = new Set(['mish', 'hard_mish', 'swish', 'gelu', 'normalize_channels', 'normalize_channels_softmax', 'normalize_channels_softmax_maxval', 'relu6', 'silu']);
const LATER_LAYERS = new Set(['sam', 'scale_channels', 'gaussian_yolo', 'Gaussian_yolo', 'conv_lstm', 'local_avgpool', 'implicit_add', 'implicit_mul', 'contrastive', 'empty', 'silence']);
const LATER_DARKNET = "belongs to a later Darknet (AlexeyAB's fork: YOLOv4 and later); this package runs the original Darknet's networks (pjreddie: YOLOv1–v3, its classifiers)";

const UNSUPPORTED_OPTIONS = new Set(['map', 'tree', 'numload', 'binary', 'xnor', 'flatten', 'extra', 'truth']);
const MAX_SIDE = 65536;

class Checker {
  constructor(private readonly file: string | undefined) {}
  fail(section: CfgSection | undefined, key: string | undefined, msg: string, code: 'CFG_INVALID' | 'CFG_UNSUPPORTED' = 'CFG_INVALID'): never {
    const opt = section && key ? getOption(section, key) : undefined;
    const line = opt?.line || section?.line;
    const where = section ? `[${section.type}]${key ? ` ${key}` : ''}: ` : '';
    throw new DarknetError(code, where + msg, { ...(this.file ? { file: this.file } : {}), ...(line ? { line } : {}) });
  }
  int(s: CfgSection, key: string, def: number, min = -Infinity, max = Infinity): number {
    const o = getOption(s, key);
    if (!o) return def;
    if (!/^[+-]?\d+$/.test(o.value)) this.fail(s, key, `"${o.value}" is not an integer`);
    const v = Number(o.value);
    if (!Number.isSafeInteger(v) || v < min || v > max) this.fail(s, key, `${o.value} is out of range [${min}, ${max}]`);
    return v;
  }
  float(s: CfgSection, key: string, def: number): number {
    const o = getOption(s, key);
    if (!o) return def;
    const v = Number(o.value);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(o.value) || !Number.isFinite(v)) this.fail(s, key, `"${o.value}" is not a finite number`);
    return v;
  }
  list(s: CfgSection, key: string, parse: (x: string) => number): number[] | undefined {
    const o = getOption(s, key);
    if (!o) return undefined;
    const parts = o.value.split(',');
    if (parts.some((p) => p === '')) this.fail(s, key, `"${o.value}" has an empty list entry`);
    return parts.map((p) => {
      const v = parse(p);
      if (!Number.isFinite(v)) this.fail(s, key, `"${p}" is not a number`);
      return v;
    });
  }
  activation(s: CfgSection, def: string): string {
    const a = getOption(s, 'activation')?.value ?? def;
    if (LATER_ACTIVATIONS.has(a)) this.fail(s, 'activation', `activation "${a}" ${LATER_DARKNET}`, 'CFG_UNSUPPORTED');
    if (!ACTIVATIONS.has(a)) this.fail(s, 'activation', `unknown activation "${a}" (Darknet would silently use relu)`);
    return a;
  }
}

const toInt = (x: string) => (/^[+-]?\d+$/.test(x) ? Number(x) : NaN);
const toFloat = (x: string) => (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(x) ? Number(x) : NaN);
/** C integer division (truncates toward zero), as Darknet's size formulas use. */
const cdiv = (a: number, b: number) => Math.trunc(a / b);

/** What a layer's parser sees: the section, where it sits, what the layers before it output. */
interface LayerContext {
  ck: Checker;
  s: CfgSection;
  /** canonical type */
  type: string;
  index: number;
  /** the previous layer's output (the network input for the first layer) */
  input: Dims;
  /** floats per image in the previous layer's output */
  inputs: number;
  /** the layers parsed so far */
  layers: readonly LayerShape[];
  /** what every LayerShape starts from */
  base: Pick<LayerShape, 'index' | 'type' | 'line' | 'input' | 'weightFloats' | 'bflops'>;
  /** the largest im2col workspace so far (floats per image); convolutions raise it */
  workspace: number;
  needImage(): void;
  /** an absolute layer index from a route/shortcut entry (negative: relative to this layer) */
  resolveIndex(key: string, raw: number): number;
  /** where save_weights departs from load_weights for a layer with parameters */
  saveFlags(sec: CfgSection, bn: boolean, loadScales: boolean): Pick<LayerShape, 'dontloadscales' | 'dontsave'>;
}

// One parser per layer type, as Darknet's parser.c has (parse_convolutional, parse_yolo, …).

function parseConvolutional(x: LayerContext): LayerShape {
  const ck: Checker = x.ck;
  const { s, input, base, needImage, saveFlags } = x;
  needImage();
  const filters = ck.int(s, 'filters', 1, 1, 1 << 16);
  const size = ck.int(s, 'size', 1, 1, 1024);
  const stride = ck.int(s, 'stride', 1, 1, 1024);
  const pad = ck.int(s, 'pad', 0);
  const groups = ck.int(s, 'groups', 1, 1, 1 << 16);
  const padding = pad ? cdiv(size, 2) : ck.int(s, 'padding', 0, 0, 1024);
  const bn = ck.int(s, 'batch_normalize', 0) !== 0;
  const activation = ck.activation(s, 'logistic');
  if (input.c % groups || filters % groups) ck.fail(s, 'groups', `groups=${groups} must divide both input channels (${input.c}) and filters (${filters})`);
  const outW = cdiv(input.w + 2 * padding - size, stride) + 1;
  const outH = cdiv(input.h + 2 * padding - size, stride) + 1;
  if (outW < 1 || outH < 1) ck.fail(s, 'size', `a ${size}×${size} kernel does not fit the ${input.w}×${input.h} input`);
  const nweights = (input.c / groups) * filters * size * size;
  x.workspace = Math.max(x.workspace, outW * outH * size * size * (input.c / groups));
  const loadScales = bn && ck.int(s, 'dontloadscales', 0) === 0;
  const flipped = ck.int(s, 'flipped', 0) !== 0;
  // load_convolutional_weights transposes c·size²·filters floats of a flipped layer, which
  // holds only c/groups·size²·filters: with groups > 1 it writes past the array's end.
  if (flipped && groups > 1) ck.fail(s, 'flipped', `flipped=1 with groups=${groups}: Darknet would transpose past the end of the weights`, 'CFG_UNSUPPORTED');
  return {
    ...base, output: { w: outW, h: outH, c: filters }, outputs: outW * outH * filters,
    weightFloats: filters + (loadScales ? 3 * filters : 0) + nweights,
    bflops: (2 * filters * size * size * (input.c / groups) * outH * outW) / 1e9,
    filters, size, stride, groups, batchNormalize: bn, activation,
    ...saveFlags(s, bn, loadScales), ...(flipped ? { flipped } : {}),
  };
}

function parseMaxpool(x: LayerContext): LayerShape {
  const ck: Checker = x.ck;
  const { s, input, base, needImage } = x;
  needImage();
  const stride = ck.int(s, 'stride', 1, 1, 1024);
  const size = ck.int(s, 'size', stride, 1, 1024);
  const padding = ck.int(s, 'padding', size - 1, 0, 1024);
  const outW = cdiv(input.w + padding - size, stride) + 1;
  const outH = cdiv(input.h + padding - size, stride) + 1;
  if (outW < 1 || outH < 1) ck.fail(s, 'size', `a ${size}×${size} window does not fit the ${input.w}×${input.h} input`);
  return { ...base, output: { w: outW, h: outH, c: input.c }, outputs: outW * outH * input.c, size, stride };
}

function parseAvgpool(x: LayerContext): LayerShape {
  const { input, base, needImage } = x;
  needImage();
  return { ...base, output: { w: 1, h: 1, c: input.c }, outputs: input.c };
}

function parseUpsample(x: LayerContext): LayerShape {
  const ck: Checker = x.ck;
  const { s, input, base, needImage } = x;
  needImage();
  let stride = ck.int(s, 'stride', 2, -1024, 1024);
  if (stride === 0) ck.fail(s, 'stride', 'stride must not be 0');
  const reverse = stride < 0;
  stride = Math.abs(stride);
  const outW = reverse ? cdiv(input.w, stride) : input.w * stride;
  const outH = reverse ? cdiv(input.h, stride) : input.h * stride;
  if (outW < 1 || outH < 1) ck.fail(s, 'stride', `downsampling ${input.w}×${input.h} by ${stride} leaves nothing`);
  ck.float(s, 'scale', 1);
  return { ...base, output: { w: outW, h: outH, c: input.c }, outputs: outW * outH * input.c, stride };
}

function parseReorg(x: LayerContext): LayerShape {
  const ck: Checker = x.ck;
  const { s, input, base, needImage } = x;
  needImage();
  const stride = ck.int(s, 'stride', 1, 1, 1024);
  const reverse = ck.int(s, 'reverse', 0) !== 0;
  let out: Dims;
  if (reverse) {
    if (input.c % (stride * stride)) ck.fail(s, 'stride', `${input.c} channels cannot be split by stride² = ${stride * stride}`);
    out = { w: input.w * stride, h: input.h * stride, c: input.c / (stride * stride) };
  } else {
    if (input.w % stride || input.h % stride) ck.fail(s, 'stride', `${input.w}×${input.h} is not divisible by stride ${stride}`);
    // reorg_cpu computes c / stride² in both directions and divides by it: with fewer
    // channels than stride² the process dies of SIGFPE (found by fuzzing).
    if (input.c % (stride * stride)) ck.fail(s, 'stride', `${input.c} channels are not a multiple of stride² = ${stride * stride}`);
    out = { w: input.w / stride, h: input.h / stride, c: input.c * stride * stride };
  }
  return { ...base, output: out, outputs: out.w * out.h * out.c, stride };
}

function parseRoute(x: LayerContext): LayerShape {
  const ck: Checker = x.ck;
  const { s, layers, base, resolveIndex } = x;
  const idx = ck.list(s, 'layers', toInt);
  if (!idx) ck.fail(s, undefined, 'route needs layers=');
  const from = idx.map((raw) => resolveIndex('layers', raw));
  const first = layers[from[0]!]!;
  let c = 0;
  for (const f of from) {
    const l = layers[f]!;
    if (l.output.w !== first.output.w || l.output.h !== first.output.h) {
      ck.fail(s, 'layers', `layer ${f} outputs ${l.output.w}×${l.output.h} but layer ${from[0]} outputs ${first.output.w}×${first.output.h}`);
    }
    c += l.output.c;
  }
  const out = { w: first.output.w, h: first.output.h, c };
  return { ...base, output: out, outputs: from.reduce((a, f) => a + layers[f]!.outputs, 0), from };
}

function parseShortcut(x: LayerContext): LayerShape {
  const ck: Checker = x.ck;
  const { s, input, layers, base, needImage, resolveIndex } = x;
  const raw = ck.list(s, 'from', toInt);
  if (!raw) ck.fail(s, undefined, 'shortcut needs from=');
  if (raw.length !== 1) ck.fail(s, 'from', 'shortcut takes exactly one layer index');
  const f = resolveIndex('from', raw[0]!);
  const src = layers[f]!.output;
  needImage();
  if (!(src.w && src.h && src.c)) ck.fail(s, 'from', `layer ${f} does not output an image`);
  // blas.c shortcut_cpu: stride = w1/w2 must equal h1/h2, and sample = w2/w1 must equal h2/h1.
  if (cdiv(src.w, input.w) !== cdiv(src.h, input.h) || cdiv(input.w, src.w) !== cdiv(input.h, src.h)) {
    ck.fail(s, 'from', `layer ${f} (${src.w}×${src.h}) and the previous layer (${input.w}×${input.h}) have incompatible sizes`);
  }
  const activation = ck.activation(s, 'linear');
  ck.float(s, 'alpha', 1);
  ck.float(s, 'beta', 1);
  return { ...base, output: { ...input }, outputs: input.w * input.h * input.c, from: [f], activation };
}

/** [yolo] and [region]: the detection heads. */
function parseHead(x: LayerContext): LayerShape {
  const ck: Checker = x.ck;
  const { s, type, index, input, base } = x;
  const classes = ck.int(s, 'classes', 20, 0, 100000);
  const num = ck.int(s, 'num', 1, 1, 1000);
  let mask: number[];
  let perBox: number;
  if (type === 'yolo') {
    mask = ck.list(s, 'mask', toInt) ?? Array.from({ length: num }, (_, i) => i);
    for (const m of mask) if (m < 0 || m >= num) ck.fail(s, 'mask', `anchor index ${m} is outside num=${num}`);
    perBox = classes + 5;
  } else {
    mask = Array.from({ length: num }, (_, i) => i);
    const coords = ck.int(s, 'coords', 4, 4, 4);
    perBox = classes + coords + 1;
    if (ck.int(s, 'softmax', 0) && classes < 1) ck.fail(s, 'classes', 'softmax needs classes ≥ 1');
  }
  const anchors = ck.list(s, 'anchors', toFloat);
  if (anchors && anchors.length !== 2 * num) {
    ck.fail(s, 'anchors', `${anchors.length} anchor values for num=${num} (needs ${2 * num}; more would overflow Darknet's buffer)`);
  }
  const channels = mask.length * perBox;
  if (!(input.w && input.h)) ck.fail(s, undefined, 'the layer before must output an image');
  if (input.c !== channels) {
    ck.fail(s, 'classes', `the previous layer outputs ${input.c} channels, but ${mask.length} boxes × (${perBox - classes} + ${classes} classes) need ${channels}`);
  }
  for (const k of ['jitter', 'ignore_thresh', 'truth_thresh', 'thresh', 'coord_scale', 'object_scale', 'noobject_scale', 'class_scale', 'mask_scale']) ck.float(s, k, 0);
  for (const k of ['max', 'random', 'rescore', 'bias_match', 'absolute', 'log', 'sqrt', 'background']) ck.int(s, k, 0, 0);
  const pairs: Array<[number, number]> = mask.map((m) => [anchors?.[2 * m] ?? 0.5, anchors?.[2 * m + 1] ?? 0.5]);
  const head: YoloHead = {
    layer: index, grid: [input.w, input.h], classes, mask, anchors: pairs, channels,
    boxes: input.w * input.h * mask.length,
  };
  return { ...base, output: { ...input }, outputs: input.w * input.h * channels, yolo: head };
}

function parseDropout(x: LayerContext): LayerShape {
  const ck: Checker = x.ck;
  const { s, input, inputs, base } = x;
  ck.float(s, 'probability', 0.5);
  return { ...base, output: { ...input }, outputs: inputs };
}

function parseConnected(x: LayerContext): LayerShape {
  const ck: Checker = x.ck;
  const { s, inputs, base, saveFlags } = x;
  const output = ck.int(s, 'output', 1, 1, 1 << 24);
  const bn = ck.int(s, 'batch_normalize', 0) !== 0;
  const activation = ck.activation(s, 'logistic');
  const loadScales = bn && ck.int(s, 'dontloadscales', 0) === 0;
  return {
    ...base, output: { w: 1, h: 1, c: output }, outputs: output,
    weightFloats: output + inputs * output + (loadScales ? 3 * output : 0),
    bflops: (2 * inputs * output) / 1e9, batchNormalize: bn, activation, inputs,
    ...saveFlags(s, bn, loadScales),
  };
}

function parseSoftmax(x: LayerContext): LayerShape {
  const ck: Checker = x.ck;
  const { s, inputs, base } = x;
  const groups = ck.int(s, 'groups', 1, 1, 1 << 20);
  if (inputs % groups) ck.fail(s, 'groups', `groups=${groups} must divide the ${inputs} inputs`);
  // softmax() divides every logit by it: 0 makes every probability NaN
  if (ck.float(s, 'temperature', 1) === 0) ck.fail(s, 'temperature', 'temperature must not be 0');
  ck.float(s, 'spatial', 0);
  ck.int(s, 'noloss', 0);
  // make_softmax_layer leaves out_w/out_h/out_c at 0: only non-image layers may follow.
  return { ...base, output: { w: 0, h: 0, c: 0 }, outputs: inputs };
}

function parseCrop(x: LayerContext): LayerShape {
  const ck: Checker = x.ck;
  const { s, input, base, needImage } = x;
  needImage();
  // forward_crop_layer draws its offset as rand() % (input - crop + 1): a crop larger than
  // its input divides by zero or reads outside it
  const cropH = ck.int(s, 'crop_height', 1, 1, input.h);
  const cropW = ck.int(s, 'crop_width', 1, 1, input.w);
  for (const k of ['flip', 'noadjust']) ck.int(s, k, 0);
  for (const k of ['angle', 'saturation', 'exposure', 'shift']) ck.float(s, k, 0);
  return { ...base, output: { w: cropW, h: cropH, c: input.c }, outputs: cropW * cropH * input.c };
}

function parseCost(x: LayerContext): LayerShape {
  const ck: Checker = x.ck;
  const { s, inputs, base } = x;
  const kind = getOption(s, 'type')?.value ?? 'sse';
  if (!COST_TYPES.has(kind)) ck.fail(s, 'type', `unknown cost type "${kind}" (one of ${[...COST_TYPES].join(', ')}; Darknet would silently use sse)`);
  for (const k of ['scale', 'ratio', 'noobj', 'thresh']) ck.float(s, k, 0);
  // scores training only (network_predict passes no truth); make_cost_layer sets no image size
  return { ...base, output: { w: 0, h: 0, c: 0 }, outputs: inputs };
}

/** Each supported section's parser (Darknet's parse_yolo and parse_region, as far as checked here, differ only in the box layout: one parser). */
const PARSERS: Record<(typeof SUPPORTED_LAYERS)[number], (x: LayerContext) => LayerShape> = {
  convolutional: parseConvolutional,
  maxpool: parseMaxpool,
  avgpool: parseAvgpool,
  upsample: parseUpsample,
  reorg: parseReorg,
  route: parseRoute,
  shortcut: parseShortcut,
  yolo: parseHead,
  region: parseHead,
  dropout: parseDropout,
  connected: parseConnected,
  softmax: parseSoftmax,
  crop: parseCrop,
  cost: parseCost,
};

interface NetParams {
  batch: number;
  width: number;
  height: number;
  channels: number;
}

/** The [net] section, as parse_net_options reads it. */
function parseNet(ck: Checker, netSec: CfgSection): NetParams {
  const subdivisions = ck.int(netSec, 'subdivisions', 1, 1, 1 << 20);
  const rawBatch = ck.int(netSec, 'batch', 1, 1, 1 << 20);
  const timeSteps = ck.int(netSec, 'time_steps', 1, 1, 1 << 20);
  const batch = Math.trunc(rawBatch / subdivisions) * timeSteps;
  if (batch < 1) ck.fail(netSec, 'batch', `batch ${rawBatch} / subdivisions ${subdivisions} is 0`);
  const width = ck.int(netSec, 'width', 0, 0, MAX_SIDE);
  const height = ck.int(netSec, 'height', 0, 0, MAX_SIDE);
  const channels = ck.int(netSec, 'channels', 0, 0, 4096);
  if (!(width && height && channels)) ck.fail(netSec, undefined, 'width, height and channels must all be set and > 0');
  if (getOption(netSec, 'inputs')) ck.fail(netSec, 'inputs', 'non-image inputs are not supported', 'CFG_UNSUPPORTED');
  const policy = getOption(netSec, 'policy')?.value ?? 'constant';
  if (!POLICIES.has(policy)) ck.fail(netSec, 'policy', `unknown learning-rate policy "${policy}"`);
  if (policy === 'steps') {
    const steps = ck.list(netSec, 'steps', toInt);
    const scales = ck.list(netSec, 'scales', toFloat);
    if (!steps || !scales) ck.fail(netSec, steps ? 'scales' : 'steps', 'policy=steps needs both steps and scales');
    if (steps.length !== scales.length) ck.fail(netSec, 'scales', `${steps.length} steps but ${scales.length} scales`);
  }
  // Darknet reads these with atof/atoi, turning typos into 0 silently: check they are numbers.
  for (const k of ['learning_rate', 'momentum', 'decay', 'angle', 'saturation', 'exposure', 'hue', 'aspect', 'clip', 'power', 'gamma', 'scale', 'B1', 'B2', 'eps', 'max_ratio', 'min_ratio']) ck.float(netSec, k, 0);
  for (const k of ['max_batches', 'burn_in', 'step', 'max_crop', 'min_crop', 'random', 'center', 'adam', 'notruth']) ck.int(netSec, k, 0, 0);
  return { batch, width, height, channels };
}

export function validateCfg(cfg: Cfg, opts: ValidateOptions = {}): NetworkShape {
  const ck: Checker = new Checker(cfg.file);
  const [netSec, ...body] = cfg.sections;
  if (!netSec || canonicalType(netSec.type) !== 'net') ck.fail(netSec, undefined, 'the first section must be [net] or [network]');
  if (!body.length) ck.fail(netSec, undefined, 'the network has no layers');
  const { batch, width, height, channels } = parseNet(ck, netSec);

  const layers: LayerShape[] = [];
  let input: Dims = { w: width, h: height, c: channels };
  let inputs = width * height * channels;
  let workspace = 0;

  body.forEach((s, index) => {
    const type = canonicalType(s.type);
    if (type === 'net') ck.fail(s, undefined, 'a second [net] section');
    if (LATER_LAYERS.has(type)) ck.fail(s, undefined, `layer type [${s.type}] ${LATER_DARKNET}`, 'CFG_UNSUPPORTED');
    if (!(SUPPORTED_LAYERS as readonly string[]).includes(type)) {
      ck.fail(s, undefined, `layer type [${s.type}] is not supported (supported: ${SUPPORTED_LAYERS.join(', ')})`, 'CFG_UNSUPPORTED');
    }
    for (const o of s.options) if (UNSUPPORTED_OPTIONS.has(o.key)) ck.fail(s, o.key, `option "${o.key}" is not supported`, 'CFG_UNSUPPORTED');
    if (getOption(s, 'dontload') && ck.int(s, 'dontload', 0) !== 0) ck.fail(s, 'dontload', 'dontload is not supported', 'CFG_UNSUPPORTED');
    const before = input;
    const x: LayerContext = {
      ck, s, type, index, input, inputs, layers, workspace,
      base: { index, type, line: s.line, input: { ...input }, weightFloats: 0, bflops: 0 },
      needImage: () => {
        if (!(before.w && before.h && before.c)) ck.fail(s, undefined, `the layer before [${s.type}] must output an image (it outputs ${before.w}×${before.h}×${before.c})`);
      },
      resolveIndex: (key, raw) => {
        const abs = raw < 0 ? index + raw : raw;
        if (abs < 0 || abs >= index) ck.fail(s, key, `layer index ${raw} resolves to ${abs}, outside the ${index} earlier layers`);
        return abs;
      },
      saveFlags: (sec, bn, loadScales) => ({
        ...(bn && !loadScales ? { dontloadscales: true } : {}),
        ...(ck.int(sec, 'dontsave', 0) !== 0 ? { dontsave: true } : {}),
      }),
    };
    const L = PARSERS[type as keyof typeof PARSERS](x);
    workspace = x.workspace;
    layers.push(L);
    input = L.output;
    inputs = L.outputs;
  });

  const heads = layers.flatMap((l) => (l.yolo ? [l.yolo] : []));
  const last = layers[layers.length - 1]!;
  const classes = last.yolo?.classes ?? 0;
  // make_network_boxes sizes every detection's probabilities by the LAST layer's classes.
  for (const h of heads) {
    if (h.classes > classes) {
      const sec = body[h.layer]!;
      ck.fail(sec, 'classes', `head at layer ${h.layer} has ${h.classes} classes but the last layer has ${classes}: Darknet would overflow`);
    }
  }
  const weightFloats = layers.reduce((a, l) => a + l.weightFloats, 0);
  const activationFloats = layers.reduce((a, l) => a + l.outputs * (l.batchNormalize ? 4 : 2), 0);
  const estimatedBytes = 4 * (batch * (activationFloats + width * height * channels) + 2 * weightFloats + workspace * batch);
  const maxBytes = opts.maxBytes ?? 16 * 2 ** 30;
  if (estimatedBytes > maxBytes) {
    ck.fail(netSec, undefined, `the network would need about ${(estimatedBytes / 2 ** 30).toFixed(1)} GiB (limit ${(maxBytes / 2 ** 30).toFixed(1)} GiB)`);
  }
  return {
    width, height, channels, batch, inputs: width * height * channels, layers, weightFloats,
    bflops: layers.reduce((a, l) => a + l.bflops, 0), heads, classes,
    candidates: heads.reduce((a, h) => a + h.boxes, 0), estimatedBytes,
  };
}
