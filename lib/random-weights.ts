import { open } from 'node:fs/promises';
import type { NetworkShape } from './cfg/validate.js';
import { mulberry32 } from './prng.js';

export interface RandomWeightsOptions {
  seed?: number;
  /** variance gain of the convolution feeding each [yolo]/[region] layer (default 16; deep nets: 2) */
  headGain?: number;
  /** bias of every objectness channel of those convolutions (default -2.5: few candidates pass 0.5) */
  objectnessBias?: number;
  /**
   * variance gain of a classifier's scoring layer, the convolution or connected layer whose
   * output reaches the [softmax] through pooling only (default 2, He's). Networks whose pooled
   * features are small (darknet19) then give 1000 near-equal probabilities, ordered by rounding:
   * a larger gain (64–512) spreads them as a trained network's are.
   */
  classifierGain?: number;
}

/** The layer a classifier's [softmax] scores: the last one with parameters before it, across
 * pooling and dropout (which change no logit's rank); -1 when there is none. */
function classifierHead(layers: NetworkShape['layers']): number {
  const soft = layers.findIndex((l) => l.type === 'softmax');
  for (let i = soft - 1; i >= 0; i--) {
    const t = layers[i]!.type;
    if (t === 'convolutional' || t === 'connected') return i;
    if (t !== 'avgpool' && t !== 'maxpool' && t !== 'dropout') return -1;
  }
  return -1;
}

/**
 * Writes a .weights file of the exact size the network needs, with He-style random parameters:
 * real-size weights for load, parity and speed tests where no trained weights exist. Residual
 * branches get batch-norm scale 0.2 so deep stacks stay finite; head convolutions get larger
 * weights and a negative objectness bias so a few percent of candidates pass thresh 0.5.
 */
export async function writeRandomWeights(shape: NetworkShape, path: string, opts: RandomWeightsOptions = {}): Promise<number> {
  const rand = mulberry32(opts.seed ?? 0);
  const gauss = () => {
    const u = 1 - rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
  const headGain = opts.headGain ?? 16;
  const objBias = opts.objectnessBias ?? -2.5;
  const classifierGain = opts.classifierGain ?? 2;
  const fh = await open(path, 'w');
  let bytes = 0;
  const write = async (arr: Float32Array | Uint8Array) => {
    const u8 = arr instanceof Uint8Array ? arr : new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
    await fh.write(u8);
    bytes += u8.length;
  };
  try {
    const header = new Uint8Array(20);
    const dv = new DataView(header.buffer);
    dv.setInt32(0, 0, true); dv.setInt32(4, 2, true); dv.setInt32(8, 0, true); dv.setBigUint64(12, 0n, true);
    await write(header);
    const { layers } = shape;
    const scoring = classifierHead(layers);
    for (const l of layers) {
      if (l.type !== 'convolutional' && l.type !== 'connected') continue;
      const next = layers[l.index + 1];
      const isHead = next?.yolo !== undefined;
      const n = l.type === 'convolutional' ? l.filters! : l.output.c;
      const fan = l.type === 'convolutional' ? (l.input.c / l.groups!) * l.size! * l.size! : l.inputs!;
      const biases = new Float32Array(n);
      if (isHead) {
        const perBox = n / next!.yolo!.mask.length;
        for (let j = 0; j < n; j++) if (j % perBox === 4) biases[j] = objBias;
      }
      await write(biases);
      const scalesFloats = l.weightFloats - n - n * fan;
      if (scalesFloats === 3 * n) {
        await write(new Float32Array(n).fill(next?.type === 'shortcut' ? 0.2 : 1)); // scales
        await write(new Float32Array(n)); // rolling mean
        await write(new Float32Array(n).fill(1)); // rolling variance
      }
      const sd = Math.sqrt((isHead ? headGain : l.index === scoring ? classifierGain : 2) / fan);
      const total = n * fan;
      const chunk = new Float32Array(Math.min(total, 1 << 20));
      for (let done = 0; done < total; done += chunk.length) {
        const len = Math.min(chunk.length, total - done);
        for (let k = 0; k < len; k++) chunk[k] = gauss() * sd;
        await write(chunk.subarray(0, len));
      }
    }
  } finally {
    await fh.close();
  }
  return bytes;
}
