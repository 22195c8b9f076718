import { stat } from 'node:fs/promises';
import { DarknetError } from './errors.js';
import { ioError } from './files.js';
import * as is from './is.js';
import { native } from './native.js';
import * as rules from './options.js';

/** Interleaved 8-bit pixels (HWC), as sharp's `raw()` output or a canvas ImageData. */
export interface RawImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  /** 1 (gray), 3 (RGB) or 4 (RGBA; alpha is ignored as Darknet's loader does) */
  channels: 1 | 3 | 4;
}

/** sharp's `raw().toBuffer({ resolveWithObject: true })` result. */
export interface SharpRawOutput {
  data: Uint8Array;
  info: { width: number; height: number; channels: number };
}

/** The part of a `sharp` instance used here (its pipeline is cloned, never consumed). */
export interface SharpLike {
  clone(): SharpLike;
  toColourspace(space: string): SharpLike;
  removeAlpha(): SharpLike;
  raw(options?: { depth?: string }): SharpLike;
  toBuffer(options: { resolveWithObject: true }): Promise<SharpRawOutput>;
}

/**
 * A file path, encoded image bytes (JPEG, PNG, WebP, …), raw pixels, a `sharp` instance (its
 * pipeline's output is used: resize, rotate, extract… first if you like), or sharp's raw
 * `{ data, info }` output.
 */
export type ImageInput = string | Uint8Array | RawImage | SharpRawOutput | SharpLike;

export interface DecodeOptions {
  /** Refuse images with more pixels than this: encoded ones before decoding, raw ones before copying (default 7680 × 4320). */
  maxPixels?: number;
}

export interface Pixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

/**
 * 8K UHD. What one image costs on its way through a detect, per pixel: up to ~8 bytes inside the
 * decoder, 3 decoded, 3 copied for the pass, 12·net_w/width in letterboxing buffers; under 20
 * bytes, so ~0.6 GB for an image at this limit. sharp's own default (16383²) let a 1 KB JPEG
 * whose header claims 16000² take 4.6 GB.
 */
export const DEFAULT_MAX_PIXELS = 7680 * 4320;

type Sharp = typeof import('sharp').default;
let sharpModule: Promise<Sharp> | undefined;
// Loaded on first use: raw-pixel callers never pay for libvips.
const loadSharp = () => (sharpModule ??= import('sharp').then((m) => m.default));

function isSharp(x: unknown): x is SharpLike {
  const o = x as Partial<SharpLike> | null;
  return typeof o === 'object' && o !== null && typeof o.clone === 'function' && typeof o.toBuffer === 'function' && typeof o.raw === 'function';
}

function isSharpRaw(x: unknown): x is SharpRawOutput {
  const o = x as { data?: unknown; info?: unknown } | null;
  return typeof o === 'object' && o !== null && 'data' in o && typeof o.info === 'object' && o.info !== null && !('width' in o);
}

/** sharp's raw output as RawImage: 2-channel (grey + alpha) keeps the grey; 16-bit is refused. */
function fromSharpRaw({ data, info }: SharpRawOutput, maxPixels: number): RawImage {
  const { width, height, channels } = info ?? ({} as SharpRawOutput['info']);
  if (!(data instanceof Uint8Array)) throw is.invalid('sharp raw output: data', 'a Buffer/Uint8Array');
  if (Number.isInteger(width) && Number.isInteger(height) && Number.isInteger(channels) && data.length === width * height * channels * 2) {
    throw is.badInput("sharp raw output is 16-bit: use .raw({ depth: 'uchar' })");
  }
  if (channels === 2) {
    checkSize(width, height, maxPixels, 'sharp raw output');
    if (data.length !== width * height * 2) {
      throw is.badInput(`sharp raw output has ${data.length} bytes, expected ${width * height * 2} (${width}×${height}×2)`);
    }
    const grey = new Uint8Array(width * height);
    for (let i = 0; i < grey.length; i++) grey[i] = data[2 * i]!;
    return { data: grey, width, height, channels: 1 };
  }
  return { data, width, height, channels: channels as RawImage['channels'] };
}

function isRaw(x: unknown): x is RawImage {
  return typeof x === 'object' && x !== null && !(x instanceof Uint8Array) && 'data' in x && 'width' in x && 'height' in x;
}

function checkSize(width: number, height: number, maxPixels: number, what: string): void {
  for (const [k, v] of [['width', width], ['height', height]] as const) {
    is.integer(`${what} ${k}`, v, 1, 65535);
  }
  if (width * height > maxPixels) {
    throw is.badInput(`${what} is ${width}×${height} = ${width * height} pixels, over maxPixels (${maxPixels})`);
  }
}

function checkRaw(img: RawImage, maxPixels: number): Pixels {
  const { data, width, height, channels } = img;
  if (!is.isBytes(data)) throw is.invalid('raw image data', 'a Uint8Array, Uint8ClampedArray or Buffer');
  checkSize(width, height, maxPixels, 'raw image');
  // Darknet's loader reads grey, RGB or RGBA (alpha dropped); the bridge converts these three only
  if (channels !== 1 && channels !== 3 && channels !== 4) throw is.invalid('raw image channels', '1, 3 or 4', channels);
  const expected = width * height * channels;
  if (data.length !== expected) {
    throw is.badInput(`raw image data has ${data.length} bytes, expected ${expected} (${width}×${height}×${channels})`);
  }
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { data: bytes, width, height, channels };
}

/** Decodes any accepted input to 8-bit RGB (or passes raw pixels through after checking them). */
export async function toPixels(input: ImageInput, opts: DecodeOptions = {}): Promise<Pixels> {
  return (await decode(input, opts)).px;
}

/**
 * toPixels, and for a JPEG the native decoder writes into `into` when the pixels fit. `buffer`:
 * the buffer the pixels are in when it is this library's (lent or new from the native decoder;
 * never the caller's raw pixels), which a caller may keep and lend to a later decode.
 */
export async function decode(input: ImageInput, opts: DecodeOptions = {}, into?: Uint8Array): Promise<{ px: Pixels; buffer?: Uint8Array }> {
  const maxPixels = rules.maxPixels(opts.maxPixels) ?? DEFAULT_MAX_PIXELS;
  const jpeg = (source: string | Uint8Array) => decodeJpegNatively(source, maxPixels, into);
  if (isSharp(input)) {
    try {
      const out = await input.clone().toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
      return { px: checkRaw(fromSharpRaw(out, maxPixels), maxPixels) };
    } catch (e) {
      throw e instanceof DarknetError ? e : new DarknetError('IMAGE_DECODE', `the sharp pipeline failed: ${(e as Error).message}`, { cause: e });
    }
  }
  if (isSharpRaw(input)) return { px: checkRaw(fromSharpRaw(input, maxPixels), maxPixels) };
  if (isRaw(input)) return { px: checkRaw(input, maxPixels) };
  const file = typeof input === 'string' ? input : undefined;
  // a JPEG file's first stop is the native decoder (which reads it on the pool itself); the
  // checks below explain any file it cannot take
  if (typeof input === 'string' && /\.jpe?g$/i.test(input)) {
    const fast = await jpeg(input);
    if (fast) return fast;
  }
  if (typeof input === 'string') {
    try {
      const st = await stat(input);
      if (!st.isFile()) throw new DarknetError('EIO', 'image path is not a file', { file: input });
    } catch (e) {
      throw e instanceof DarknetError ? e : ioError(e, input, 'image');
    }
  } else if (!(input instanceof Uint8Array)) {
    throw is.badInput('image must be a file path, encoded image bytes (Buffer/Uint8Array) or { data, width, height, channels }');
  } else if (input.length === 0) {
    throw new DarknetError('IMAGE_DECODE', 'empty image buffer');
  } else if (isJpeg(input)) {
    const fast = await jpeg(input);
    if (fast) return fast;
  }
  const sharp = await loadSharp();
  try {
    // No EXIF auto-rotation and no resizing: Darknet's loader sees the stored pixels as they are.
    const { data, info } = await sharp(input, { limitInputPixels: maxPixels, failOn: 'error' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoder returned ${info.channels} channels`);
    return { px: { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 } };
  } catch (e) {
    throw new DarknetError('IMAGE_DECODE', `cannot decode image: ${(e as Error).message}`, { ...(file ? { file } : {}), cause: e });
  }
}

/**
 * What the addon can decode itself as a JPEG, with the pixel limit: a path ending .jpg/.jpeg or
 * bytes that start like a JPEG (it may still decline them: undefined then means "use decode()").
 */
export function nativeJpegSource(input: ImageInput, opts: DecodeOptions = {}): { source: string | Uint8Array; maxPixels: number } | undefined {
  const source = typeof input === 'string' ? (/\.jpe?g$/i.test(input) ? input : undefined) : input instanceof Uint8Array && isJpeg(input) ? input : undefined;
  return source === undefined ? undefined : { source, maxPixels: rules.maxPixels(opts.maxPixels) ?? DEFAULT_MAX_PIXELS };
}

const isJpeg = (b: Uint8Array) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/**
 * Clean JPEGs (YCbCr or grey, no colour profile other than the standard sRGB one) are decoded by
 * libjpeg-turbo inside the addon: 3–5× sooner than through sharp, the same pixels (libvips uses
 * the same decoder at the same settings, without EXIF rotation, as here). Anything else, any
 * warning, or no addon: undefined, and sharp decodes it or says why it cannot.
 */
async function decodeJpegNatively(input: string | Uint8Array, maxPixels: number, into?: Uint8Array): Promise<{ px: Pixels; buffer: Uint8Array } | undefined> {
  let addon;
  try {
    addon = native();
  } catch {
    return undefined;
  }
  if (!addon.decodeJpeg) return undefined;
  const out = await addon.decodeJpeg(input, maxPixels, into);
  if (!out) return undefined;
  const buffer = new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
  return { px: { data: buffer.subarray(0, out.width * out.height * 3), width: out.width, height: out.height, channels: 3 }, buffer };
}
