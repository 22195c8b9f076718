import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { DarknetError, type DarknetErrorCode } from './errors.js';

/** Real cfgs are a few KB (yolov3.cfg: 8 KB): a bigger file is not one. */
export const MAX_CFG_BYTES = 1 << 20;

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

/** A regular text file of at most maxBytes, read whole; `code` is the error code for a larger one. */
export async function readTextFile(path: string, what: string, maxBytes: number, code: DarknetErrorCode = 'BAD_INPUT'): Promise<string> {
  const { fh, size } = await openRegular(path, what);
  const tooLarge = (n: number) => new DarknetError(code, `${n} bytes is too large for a ${what} file (limit ${maxBytes})`, { file: path });
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
