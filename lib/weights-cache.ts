/**
 * The compiled-weights cache directory seen from JavaScript: created before a load, and kept
 * within a size limit after a load wrote a new file into it. The files themselves (format, keys,
 * verification, atomic writes) are native/ops/weights_cache.c's.
 *
 * Why a limit: a cache file is named after the weights file's identity (device, inode), the cfg,
 * the numerics and the addon binary, so weights downloaded again, an edited cfg or an upgraded
 * package each leave the old file (yolov3: 248 MB) behind, unused for ever.
 */
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Cache files end in .dnw; a writer's temporary file is `<name>.dnw.tmp-XXXXXX`. */
const CACHE_FILE = /^[0-9a-f]{32}\.dnw$/;
const TEMP_FILE = /^[0-9a-f]{32}\.dnw\.tmp-[A-Za-z0-9]{6}$/;
/** A temporary file this old belongs to a writer that died (a write takes seconds). */
const STALE_TEMP_MS = 60 * 60 * 1000;

/** The cache directory, created (mode 0700: only this user writes there), or undefined: none. */
export async function cacheDirFor(dir: string | null): Promise<string | undefined> {
  if (dir === null) return undefined;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  } catch {
    return undefined; // an accelerator only: the load goes on without it
  }
}

interface Entry { name: string; bytes: number; used: number }

/**
 * Removes the least recently used cache files until the rest fit in `limit` bytes, and
 * temporary files of writers that died. "Used" is the later of the file's modification and
 * access times: mapping a file reads it, and Linux's relatime records that at least once a
 * day. The most recently used file (the one a load just wrote) always stays, and nothing but
 * cache and temporary files by their names is touched: the directory may hold other things. A
 * file removed while a process maps it stays valid for that process (its inode lives on).
 * Returns the names removed. Never throws: the cache is an accelerator.
 */
export async function pruneCache(dir: string, limit: number, now = Date.now()): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const files: Entry[] = [];
  const removed: string[] = [];
  for (const name of names) {
    const isCache = CACHE_FILE.test(name);
    if (!isCache && !TEMP_FILE.test(name)) continue;
    try {
      const s = await stat(join(dir, name));
      if (!s.isFile()) continue;
      if (!isCache) {
        if (now - s.mtimeMs > STALE_TEMP_MS && (await remove(dir, name))) removed.push(name);
        continue;
      }
      files.push({ name, bytes: s.size, used: Math.max(s.mtimeMs, s.atimeMs) });
    } catch {
      // gone meanwhile (another process pruning or renaming): nothing to do
    }
  }
  let total = files.reduce((sum, f) => sum + f.bytes, 0);
  // oldest first; the newest file stays even if it alone is over the limit (a load just wrote it)
  files.sort((a, b) => a.used - b.used || a.name.localeCompare(b.name));
  for (const f of files.slice(0, -1)) {
    if (total <= limit) break;
    if (await remove(dir, f.name)) {
      removed.push(f.name);
      total -= f.bytes;
    }
  }
  return removed;
}

async function remove(dir: string, name: string): Promise<boolean> {
  try {
    await unlink(join(dir, name));
    return true;
  } catch {
    return false;
  }
}
