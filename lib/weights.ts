import { ioError, openRegular } from './files.js';
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

async function readHeaderAndSize(path: string): Promise<{ header: WeightsHeader; size: number }> {
  const { fh, size } = await openRegular(path, 'weights');
  try {
    const buf = new Uint8Array(20);
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(buf, 0, 20, 0));
    } catch (e) {
      throw ioError(e, path, 'weights');
    }
    return { header: parseWeightsHeader(buf.subarray(0, bytesRead), path), size };
  } finally {
    await fh.close();
  }
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
  const { header, size } = await readHeaderAndSize(path);
  const expected = expectedWeightsBytes(shape, header);
  if (size !== expected) {
    const diff = size < expected ? `${expected - size} bytes short (truncated, or made for a smaller network)` : `${size - expected} bytes too many (made for another network?)`;
    throw new DarknetError('WEIGHTS_SIZE',
      `${size.toLocaleString('en-US')} bytes, but ${cfgName} needs ${expected.toLocaleString('en-US')} ` +
      `(${header.headerBytes}-byte header + ${shape.weightFloats.toLocaleString('en-US')} floats): ${diff}`, { file: path });
  }
  return header;
}
