/**
 * One file over HTTP(S) into place: resumed from a `.part` file with a Range request, its size
 * capped while it streams, checked by the caller before the atomic rename. Used only when a user
 * asks for a model (models get, Detector.load({ model })), never at install or import time.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { DarknetError } from './errors.js';

export interface DownloadOptions {
  /** exact size the file must have */
  bytes: number;
  /** bytes received so far (resumed bytes included), total */
  onProgress?: (received: number, total: number) => void;
  signal?: AbortSignal;
  /** milliseconds without a byte before the transfer is given up (the .part stays to resume) */
  idleTimeoutMs: number;
  /** checks the complete `.part` file (its sha256 given) before it is renamed into place; throws to refuse it */
  verify: (partPath: string, sha256: string) => Promise<void>;
}

const fail = (url: string, msg: string, cause?: unknown) => new DarknetError('DOWNLOAD', `${url}: ${msg}`, cause === undefined ? {} : { cause });

async function hashFile(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

/**
 * Downloads `url` to `dest`: bytes go to `dest.part` (appended to when a previous transfer broke
 * off and the server honours Range), `verify` checks the complete part, which is then renamed
 * over `dest`, so `dest` is either absent or complete. Redirects are followed (fetch's default).
 */
export async function downloadFile(url: string, dest: string, o: DownloadOptions): Promise<{ sha256: string; resumedFrom: number }> {
  const part = `${dest}.part`;
  let have = await stat(part).then((s) => s.size, () => 0);
  if (have >= o.bytes) { await rm(part, { force: true }); have = 0; } // complete but unverified, or too long: start again
  // a server that stops sending would otherwise hold the call forever
  const idle = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const alive = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(fail(url, `no data for ${o.idleTimeoutMs / 1000} s; run again to resume`)), o.idleTimeoutMs);
  };
  const signal = o.signal ? AbortSignal.any([o.signal, idle.signal]) : idle.signal;
  alive();
  try {
    return await transfer(url, dest, part, have, o, signal, alive);
  } catch (e) {
    if (idle.signal.aborted) throw idle.signal.reason;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

async function transfer(url: string, dest: string, part: string, have: number, o: DownloadOptions, signal: AbortSignal, alive: () => void): Promise<{ sha256: string; resumedFrom: number }> {
  let res: Response;
  try {
    res = await fetch(url, { headers: have ? { range: `bytes=${have}-` } : {}, redirect: 'follow', signal });
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    throw fail(url, `cannot connect: ${((e as Error).cause as Error | undefined)?.message ?? (e as Error).message}`, e);
  }
  if (res.status === 416 || (have && res.status === 200)) {
    // the server ignores or refuses the range: the whole file again
    if (res.status === 416) {
      await res.body?.cancel();
      await rm(part, { force: true });
      return downloadFile(url, dest, o);
    }
    have = 0;
  } else if (res.status !== 200 && res.status !== 206) {
    await res.body?.cancel();
    throw fail(url, `HTTP ${res.status} ${res.statusText}`.trim());
  }
  if (res.status === 206) {
    const m = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
    if (!m || Number(m[1]) !== have) {
      await res.body?.cancel();
      await rm(part, { force: true });
      throw fail(url, `the server resumed at ${m?.[1] ?? 'an unknown offset'} instead of ${have}; the partial file was removed, run again`);
    }
  }
  const length = res.headers.get('content-length');
  if (length !== null && have + Number(length) !== o.bytes) {
    await res.body?.cancel();
    throw fail(url, `the server sends ${(have + Number(length)).toLocaleString('en-US')} bytes, ${o.bytes.toLocaleString('en-US')} expected: not the file this package knows`);
  }
  const hash = createHash('sha256');
  const resumedFrom = have;
  if (have) await hashFile(part, hash);
  const fh = await open(part, have ? 'a' : 'w');
  let received = have;
  try {
    o.onProgress?.(received, o.bytes);
    if (!res.body) throw fail(url, 'empty response');
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (received + chunk.length > o.bytes) throw fail(url, `more than the expected ${o.bytes.toLocaleString('en-US')} bytes: not the file this package knows`);
      alive();
      await fh.write(chunk);
      hash.update(chunk);
      received += chunk.length;
      o.onProgress?.(received, o.bytes);
    }
  } catch (e) {
    await fh.close();
    if (signal.aborted) throw signal.reason; // the .part stays: the next call resumes
    if (e instanceof DarknetError) { await rm(part, { force: true }); throw e; }
    throw fail(url, `the transfer broke off after ${received.toLocaleString('en-US')} of ${o.bytes.toLocaleString('en-US')} bytes (${(e as Error).message}); run again to resume`, e);
  }
  await fh.close();
  if (received !== o.bytes) throw fail(url, `the transfer ended after ${received.toLocaleString('en-US')} of ${o.bytes.toLocaleString('en-US')} bytes; run again to resume`);
  const sha256 = hash.digest('hex');
  try {
    await o.verify(part, sha256);
  } catch (e) {
    await rm(part, { force: true });
    throw e;
  }
  await rename(part, dest);
  return { sha256, resumedFrom };
}
