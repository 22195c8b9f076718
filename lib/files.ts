import { DarknetError } from './errors.js';

/** Maps a Node fs error to a DarknetError naming the file and what it was for. */
export function ioError(e: unknown, file: string, what: string): DarknetError {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new DarknetError('ENOENT', `${what} file not found`, { file, cause: e });
  if (code === 'EISDIR') return new DarknetError('EIO', `${what} path is a directory`, { file, cause: e });
  return new DarknetError('EIO', `cannot read ${what} file: ${(e as Error)?.message ?? String(e)}`, { file, cause: e });
}
