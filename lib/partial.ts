import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseCfg } from './cfg/parse.js';
import { validateCfg, type LayerShape } from './cfg/validate.js';
import { callSite, DarknetError, publicError } from './errors.js';
import * as is from './is.js';
import { ioError, MAX_CFG_BYTES, openRegular, readTextFile } from './files.js';
import { parseWeightsHeader, weightsCoverage, type WeightsHeader } from './weights.js';

export interface PartialOptions {
  /** the network's cfg */
  cfg: string;
  /** its weights: a complete file, or a prefix holding at least `layers` layers */
  weights: string;
  /** the file to write (replaced whole: written beside it, then renamed over it) */
  out: string;
  /** how many leading layers to keep (Darknet's `max`: 74 cuts darknet53.conv.74) */
  layers: number;
}

export interface PartialResult {
  file: string;
  layers: number;
  /** bytes written, header included */
  bytes: number;
}

/** Copied in pieces of this many bytes: darknet53's weights are 167 MB. */
const CHUNK = 16 << 20;

/**
 * Cuts the first `layers` layers' parameters out of a .weights file, as `darknet partial cfg
 * weights out layers` does (load_network with clear=1, then save_weights_upto): a version 0.2
 * header with 0 images seen, then the parameters of layers 0…layers−1. The result is
 * byte-identical to Darknet's: parameters are copied, never converted; the two matrices Darknet
 * transposes on load (flipped convolutions; connected layers of files from before version 0.1)
 * are moved float by float as its transpose_matrix moves them.
 */
export async function partialWeights(options: PartialOptions): Promise<PartialResult> {
  const site = callSite();
  try {
    return await cut(options);
  } catch (e) {
    throw publicError(e, site);
  }
}

async function cut(o: PartialOptions): Promise<PartialResult> {
  is.object(o, 'options', 'partialWeights needs { cfg, weights, out, layers }');
  for (const k of ['cfg', 'weights', 'out'] as const) is.path(k, o[k]);
  const { cfg: cfgPath, weights, out, layers } = o;
  is.integer('layers', layers, 1);
  const shape = validateCfg(parseCfg(await readTextFile(cfgPath, 'cfg', MAX_CFG_BYTES, 'CFG_PARSE'), { file: cfgPath }));
  if (layers > shape.layers.length) {
    throw is.badInput(`layers=${layers}, but the network has ${shape.layers.length} layers`, { file: cfgPath });
  }
  const kept = shape.layers.slice(0, layers);
  for (const l of kept) {
    // Darknet's save departs from its load for these: its output would not be a copy of the input.
    const why = l.dontsave ? 'dontsave=1 (Darknet leaves the layer out of what it writes)'
      : l.dontloadscales ? 'dontloadscales=1 (Darknet writes initial batch-norm values instead of the file\'s)' : undefined;
    if (why) throw new DarknetError('CFG_UNSUPPORTED', `[${l.type}] at layer ${l.index}: ${why}`, { file: cfgPath, line: l.line });
  }
  const { fh, size } = await openRegular(weights, 'weights');
  try {
    const head = await readAt(fh, 0, Math.min(20, size), weights);
    const header = parseWeightsHeader(head, weights);
    const have = weightsCoverage(shape, header, size, weights, basename(cfgPath));
    const need = kept.reduce((a, l) => a + l.weightFloats, 0);
    if (need > have.floats) {
      throw new DarknetError('WEIGHTS_SIZE', `holds the parameters of layers 0–${have.layers - 1} only; layers 0–${layers - 1} need ${(header.headerBytes + 4 * need).toLocaleString('en-US')} bytes`, { file: weights });
    }
    return await writeAtomically(out, async (w) => {
      // save_weights_upto: version 0.2.0, then `seen` as a size_t — 0, load_network cleared it.
      const outHeader = new Uint8Array(20);
      new DataView(outHeader.buffer).setInt32(4, 2, true);
      let bytes = await writeAll(w, outHeader, out);
      let pos: number = header.headerBytes;
      for (const l of kept) {
        for (const part of layout(l, header)) {
          const end = pos + 4 * part.floats;
          if (part.transpose) {
            bytes += await writeAll(w, transposed(await readAt(fh, pos, end - pos, weights), ...part.transpose), out);
          } else {
            for (let p = pos; p < end; p += CHUNK) bytes += await writeAll(w, await readAt(fh, p, Math.min(CHUNK, end - p), weights), out);
          }
          pos = end;
        }
      }
      return { file: out, layers, bytes };
    });
  } finally {
    await fh.close();
  }
}

interface Part {
  floats: number;
  /** transpose_matrix(rows, cols) applied by Darknet's loader */
  transpose?: [number, number];
}

/** A layer's record in a .weights file, in the order of load_convolutional/connected_weights. */
function layout(l: LayerShape, header: WeightsHeader): Part[] {
  if (!l.weightFloats) return [];
  const bn = l.batchNormalize ? 3 : 0;
  if (l.type === 'convolutional') {
    const n = l.filters!;
    const rows = (l.input.c / l.groups!) * l.size! * l.size!;
    return [{ floats: n * (1 + bn) }, { floats: rows * n, ...(l.flipped ? { transpose: [rows, n] as [number, number] } : {}) }];
  }
  if (l.type === 'connected') {
    const n = l.output.c;
    const rows = l.inputs!;
    return [{ floats: n }, { floats: rows * n, ...(header.transpose ? { transpose: [rows, n] as [number, number] } : {}) }, { floats: n * bn }];
  }
  throw new Error(`unreachable: layer ${l.index} (${l.type}) holds parameters`);
}

/** parser.c transpose_matrix: out[y·rows + x] = in[x·cols + y], moving 4-byte floats unchanged. */
function transposed(buf: Uint8Array, rows: number, cols: number): Uint8Array {
  const src = new Uint32Array(buf.buffer, buf.byteOffset, rows * cols);
  const dst = new Uint32Array(rows * cols);
  for (let x = 0; x < rows; x++) for (let y = 0; y < cols; y++) dst[y * rows + x] = src[x * cols + y]!;
  return new Uint8Array(dst.buffer);
}

async function readAt(fh: FileHandle, position: number, length: number, file: string): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let got = 0;
  try {
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
  } catch (e) {
    throw ioError(e, file, 'weights');
  }
  if (got < length) throw new DarknetError('WEIGHTS_SIZE', `ended at byte ${position + got} while being read (the file changed after it was checked?)`, { file });
  return buf;
}

function writeError(e: unknown, file: string): DarknetError {
  const code = (e as NodeJS.ErrnoException)?.code;
  return new DarknetError(code === 'ENOENT' ? 'ENOENT' : 'EIO', `cannot write the weights: ${(e as Error)?.message ?? String(e)}`, { file, cause: e });
}

async function writeAll(w: FileHandle, buf: Uint8Array, file: string): Promise<number> {
  try {
    // write() may write less than asked: go on from where it stopped
    for (let off = 0; off < buf.length;) off += (await w.write(buf, off, buf.length - off)).bytesWritten;
  } catch (e) {
    throw writeError(e, file);
  }
  return buf.length;
}

/**
 * Writes `file` through a temporary file beside it, renamed over it at the end: a reader never sees
 * half a file, and a failure leaves the old one (which may be the input itself) untouched.
 */
async function writeAtomically<T>(file: string, write: (w: FileHandle) => Promise<T>): Promise<T> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let w: FileHandle | undefined;
  try {
    try {
      w = await open(tmp, 'wx');
    } catch (e) {
      throw writeError(e, file);
    }
    const r = await write(w);
    await w.close();
    w = undefined;
    try {
      await rename(tmp, file);
    } catch (e) {
      throw writeError(e, file);
    }
    return r;
  } catch (e) {
    await w?.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}
