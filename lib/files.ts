import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { DarknetError, type DarknetErrorCode } from './errors.js';
import { native } from './native.js';

/** Real cfgs are a few KB (yolov3.cfg: 8 KB): a bigger file is not one. */
export const MAX_CFG_BYTES = 1 << 20;

/** Text files up to this limit are read in one piece (readHead); larger limits stream in chunks. */
const SMALL_FILE = 4 << 20;

/** Maps a Node fs error to a DarknetError naming the file and what it was for. */
export function ioError(e: unknown, file: string, what: string): DarknetError {
  if (e instanceof DarknetError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new DarknetError('ENOENT', `${what} file not found`, { file, cause: e });
  if (code === 'EISDIR') return new DarknetError('EIO', `${what} path is a directory`, { file, cause: e });
  return new DarknetError('EIO', `cannot read ${what} file: ${(e as Error)?.message ?? String(e)}`, { file, cause: e });
}

/**
 * Opens a file the caller named, for reading, refusing anything but a regular file. A FIFO with
 * no writer blocks open() (and each read) forever on a libuv thread: four of them starve the
 * pool and the process cannot exit. A device (/dev/zero) reports size 0 and reads without end.
 * O_NONBLOCK makes the open itself return at once; the check after it refuses both.
 */
export async function openRegular(path: string, what: string): Promise<{ fh: FileHandle; size: number }> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = await fh.stat();
    if (!st.isFile()) throw new DarknetError('EIO', `${what} path is not a regular file`, { file: path });
    return { fh, size: st.size };
  } catch (e) {
    await fh?.close();
    throw ioError(e, path, what);
  }
}

/**
 * A regular file's first `maxBytes` bytes (fewer where it ends first) and its size. Through the
 * addon's readHead where the addon loads: open, stat, read and close in one trip to the pool,
 * where Node's fs makes one trip for each (a load reads two files this way: ~2 ms while a process
 * starts). The same refusals as openRegular either way.
 */
export async function readHead(path: string, what: string, maxBytes: number): Promise<{ data: Uint8Array; size: number }> {
  let addon: ReturnType<typeof native> | undefined;
  try {
    addon = native();
  } catch {
    // no addon: Node's fs below
  }
  if (addon?.readHead) {
    try {
      return await addon.readHead(path, maxBytes);
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOTREG') throw new DarknetError('EIO', `${what} path is not a regular file`, { file: path });
      throw ioError(e, path, what);
    }
  }
  const { fh, size } = await openRegular(path, what);
  try {
    const data = new Uint8Array(maxBytes);
    let got = 0;
    for (;;) {
      const { bytesRead } = await fh.read(data, got, maxBytes - got, got);
      if (bytesRead === 0 || (got += bytesRead) === maxBytes) break;
    }
    return { data: data.subarray(0, got), size };
  } catch (e) {
    throw ioError(e, path, what);
  } finally {
    await fh.close();
  }
}

/** A regular text file of at most maxBytes, read whole; `code` is the error code for a larger one. */
export async function readTextFile(path: string, what: string, maxBytes: number, code: DarknetErrorCode = 'BAD_INPUT'): Promise<string> {
  const tooLarge = (n: number) => new DarknetError(code, `${n} bytes is too large for a ${what} file (limit ${maxBytes})`, { file: path });
  // small files (cfgs, names) in one read to their end: one byte more than allowed tells a larger one
  if (maxBytes <= SMALL_FILE) {
    const { data, size } = await readHead(path, what, maxBytes + 1);
    if (size > maxBytes) throw tooLarge(size);
    if (data.length > maxBytes) throw tooLarge(data.length);
    return Buffer.from(data.buffer, data.byteOffset, data.length).toString('utf8');
  }
  const { fh, size } = await openRegular(path, what);
  try {
    if (size > maxBytes) throw tooLarge(size);
    // read to the end, not to `size`: the file may have changed since it was opened
    const chunks: Buffer[] = [];
    let got = 0;
    for (;;) {
      const { bytesRead, buffer } = await fh.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, got);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      got += bytesRead;
      if (got > maxBytes) throw tooLarge(got);
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch (e) {
    throw ioError(e, path, what);
  } finally {
    await fh.close();
  }
}
