import { readHead } from './files.js';
import { DarknetError } from './errors.js';

import type { NetworkShape } from './cfg/validate.js';

/** The header Darknet's load_weights reads before the parameters. */
export interface WeightsHeader {
  major: number;
  minor: number;
  revision: number;
  /** images seen in training */
  seen: number;
  /** 16 bytes (version < 0.2: `seen` is an int32) or 20 bytes (`seen` is a size_t) */
  headerBytes: 16 | 20;
  /** Darknet transposes connected-layer weights when major or minor > 1000 */
  transpose: boolean;
}

/** Parses the header from its first bytes (at least 20, or 16 for old files). */
export function parseWeightsHeader(buf: Uint8Array, file?: string): WeightsHeader {
  const fail = (msg: string) => new DarknetError('WEIGHTS_HEADER', msg, file ? { file } : {});
  if (buf.length < 16) throw fail(`${buf.length} bytes is too short for a .weights header (at least 16)`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const major = dv.getInt32(0, true);
  const minor = dv.getInt32(4, true);
  const revision = dv.getInt32(8, true);
  if (major < 0 || minor < 0 || revision < 0) throw fail(`negative version ${major}.${minor}.${revision}: not a Darknet .weights file`);
  // load_weights_upto: `seen` is a size_t from version 0.2 on (while major and minor are < 1000).
  const wide = major * 10 + minor >= 2 && major < 1000 && minor < 1000;
  if (wide && buf.length < 20) throw fail(`version ${major}.${minor} needs a 20-byte header, the file has ${buf.length} bytes`);
  const seen = wide ? Number(dv.getBigUint64(12, true)) : dv.getInt32(12, true);
  return { major, minor, revision, seen, headerBytes: wide ? 20 : 16, transpose: major > 1000 || minor > 1000 };
}

export async function readWeightsHeader(path: string): Promise<WeightsHeader> {
  return (await readHeaderAndSize(path)).header;
}

/** A .weights file's header and size (loadNetwork reads them beside the cfg, then sizes them). */
export async function readHeaderAndSize(path: string): Promise<{ header: WeightsHeader; size: number }> {
  const { data, size } = await readHead(path, 'weights', 20);
  return { header: parseWeightsHeader(data, path), size };
}

/** Exact byte size Darknet reads for this network with this header. */
export function expectedWeightsBytes(shape: Pick<NetworkShape, 'weightFloats'>, header: Pick<WeightsHeader, 'headerBytes'>): number {
  return header.headerBytes + 4 * shape.weightFloats;
}

/**
 * Checks a .weights file against a validated cfg before Darknet reads it: Darknet checks no
 * fread, so a short file silently leaves random weights and a long one is silently accepted.
 */
export async function checkWeights(path: string, shape: NetworkShape, cfgName = 'the cfg'): Promise<WeightsHeader> {
  return sizeWeights(path, shape, cfgName, await readHeaderAndSize(path));
}

/** checkWeights on a header and size already read. */
export function sizeWeights(path: string, shape: NetworkShape, cfgName: string, { header, size }: { header: WeightsHeader; size: number }): WeightsHeader {
  const expected = expectedWeightsBytes(shape, header);
  if (size !== expected) {
    const diff = size < expected ? `${expected - size} bytes short (truncated, or made for a smaller network)` : `${size - expected} bytes too many (made for another network?)`;
    throw new DarknetError('WEIGHTS_SIZE',
      `${size.toLocaleString('en-US')} bytes, but ${cfgName} needs ${expected.toLocaleString('en-US')} ` +
      `(${header.headerBytes}-byte header + ${shape.weightFloats.toLocaleString('en-US')} floats): ${diff}`, { file: path });
  }
  return header;
}

/** What a .weights file holds of a network: the whole of it, or whole layers for a prefix. */
export interface WeightsCoverage {
  header: WeightsHeader;
  /** file size in bytes */
  size: number;
  /** parameter floats after the header */
  floats: number;
  /**
   * Leading layers whose parameters the file holds: all of the network's for a complete file;
   * for a prefix, through the last layer with parameters in it (74 for darknet53.conv.74).
   */
  layers: number;
  /** false for a prefix file (what `darknet partial` cuts) */
  complete: boolean;
}

/**
 * Sizes a .weights file against a network, accepting a prefix: Darknet's loader reads layers until
 * the file ends, which is how training starts from darknet53.conv.74. Accepts the exact size, or
 * whole layers for a prefix holding at least one layer's parameters; refuses (WEIGHTS_SIZE) a file
 * longer than the network, one with no parameters, and one cut inside a layer — naming that layer,
 * since Darknet would silently keep a half-read layer.
 */
export function weightsCoverage(shape: Pick<NetworkShape, 'layers' | 'weightFloats'>, header: WeightsHeader, size: number, file: string, cfgName = 'the cfg'): WeightsCoverage {
  const fail = (msg: string) => new DarknetError('WEIGHTS_SIZE', msg, { file });
  const full = expectedWeightsBytes(shape, header);
  const fmt = (n: number) => n.toLocaleString('en-US');
  if (size === full) return { header, size, floats: shape.weightFloats, layers: shape.layers.length, complete: true };
  if (size > full) throw fail(`${fmt(size)} bytes, but ${cfgName} needs ${fmt(full)}: ${fmt(size - full)} bytes too many (made for another network?)`);
  const bytes = size - header.headerBytes;
  if (bytes <= 0) throw fail(`the file holds a header and no layer's parameters (${cfgName} needs ${fmt(full)} bytes)`);
  let end: number = header.headerBytes;
  for (const l of shape.layers) {
    const next = end + 4 * l.weightFloats;
    if (next === size) return { header, size, floats: bytes / 4, layers: l.index + 1, complete: false };
    if (next > size) {
      throw fail(`${fmt(size)} bytes end inside layer ${l.index} (${l.type}, line ${l.line}), ${fmt(size - end)} bytes into its ${fmt(next - end)}: ` +
        `whole layers end at ${fmt(end)} or ${fmt(next)} bytes (${cfgName} needs ${fmt(full)} in all; truncated, or made for another network?)`);
    }
    end = next;
  }
  throw new Error('unreachable: a file shorter than the network ends in or after one of its layers');
}

/** checkWeights for a file that may hold a prefix of the network (see weightsCoverage). */
export async function checkPrefixWeights(path: string, shape: NetworkShape, cfgName = 'the cfg'): Promise<WeightsCoverage> {
  const { header, size } = await readHeaderAndSize(path);
  return weightsCoverage(shape, header, size, path, cfgName);
}
