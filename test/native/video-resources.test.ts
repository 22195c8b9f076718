/**
 * detectStream's failures and its child process: no ffmpeg, a missing or broken file, a stream
 * that stalls or breaks off mid-way, ffmpeg killed under it, a detector disposed under it; and
 * after a break, an abort or a dispose, ffmpeg killed and reaped (no zombie), its pipes closed,
 * the frame buffers released.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import { SHAPES_MODEL } from '../../lib/models.js';
import type { StreamFrame, VideoStream } from '../../lib/video/stream.js';
import { CACHE, ROOT } from '../helpers/fixtures.js';
import { run } from '../helpers/proc.js';
import { freeUdpPort, gone, makeClip, openFds, sleep, type Clip } from '../helpers/video.js';

let clip: Clip;
let det: Detector;
let ts: Buffer;
beforeAll(async () => {
  clip = await makeClip();
  // MPEG-TS, the usual container of live streams over HTTP and UDP
  const r = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', clip.file, '-c', 'copy', '-f', 'mpegts', join(CACHE, 'crossing.ts')]);
  expect(r.status).toBe(0);
  ts = readFileSync(join(CACHE, 'crossing.ts'));
  det = await Detector.load(SHAPES_MODEL);
});
afterAll(() => det?.dispose());

async function drain(s: AsyncIterable<StreamFrame>, onFrame?: (r: StreamFrame, n: number) => void): Promise<{ n: number; error?: unknown }> {
  let n = 0;
  try {
    for await (const r of s) {
      onFrame?.(r, n);
      n++;
    }
    return { n };
  } catch (error) {
    return { n, error };
  }
}

/** A UDP port nobody sends to: ffmpeg listening there waits forever. */
const silentUdp = async () => `udp://127.0.0.1:${await freeUdpPort()}`;

/** Serves the first half of the MPEG-TS clip, then cuts the connection ('cut') or goes silent ('stall'). */
async function halfServer(mode: 'cut' | 'stall'): Promise<{ url: string; close(): void }> {
  const srv = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': ts.length });
    res.write(ts.subarray(0, ts.length >> 1));
    if (mode === 'cut') setTimeout(() => res.socket?.destroy(), 300);
  }).listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const { port } = srv.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/crossing.ts`, close: () => { srv.closeAllConnections(); srv.close(); } };
}

async function pidOf(s: VideoStream): Promise<number> {
  for (let i = 0; i < 100 && s.pid === undefined; i++) await sleep(10);
  return s.pid!;
}

describe('detectStream errors', () => {
  it('without ffmpeg: FFMPEG_MISSING, saying how to install it', () => {
    const path = process.env.PATH;
    process.env.PATH = mkdtempSync(join(tmpdir(), 'no-ffmpeg-'));
    try {
      expect(() => det.detectStream(clip.file)).toThrow(expect.objectContaining({ code: 'FFMPEG_MISSING', message: expect.stringMatching(/none was found on PATH: install it \(Debian\/Ubuntu: apt-get install ffmpeg.*ffmpegPath/) }));
    } finally {
      process.env.PATH = path;
    }
    expect(() => det.detectStream(clip.file, { ffmpegPath: '/nonexistent/ffmpeg' })).toThrow(expect.objectContaining({ code: 'FFMPEG_MISSING', file: '/nonexistent/ffmpeg' }));
    // an iterable of images needs no ffmpeg
    process.env.PATH = '';
    try {
      expect(det.detectStream([SHAPES_MODEL.sample])).toBeDefined();
    } finally {
      process.env.PATH = path;
    }
  });

  it('a missing file: ENOENT naming it; a file that is not video: STREAM with ffmpeg’s reason', async () => {
    const missing = await drain(det.detectStream(join(CACHE, 'no-such-video.mp4')));
    expect(missing.error).toMatchObject({ code: 'ENOENT', file: join(CACHE, 'no-such-video.mp4') });
    const junk = join(CACHE, 'junk.mp4');
    writeFileSync(junk, Buffer.alloc(4096, 7));
    const bad = await drain(det.detectStream(junk));
    expect(bad.n).toBe(0);
    expect(bad.error).toMatchObject({ code: 'STREAM', message: expect.stringMatching(/ffmpeg failed \(exit \d+\) reading .*junk\.mp4: .*Invalid data/) });
  });

  it('refuses bad options at once (BAD_INPUT), and a second iteration', async () => {
    for (const o of [{ policy: 'newest' }, { fps: 0 }, { every: 1.5 }, { maxFrames: 0 }, { timeout: -1 }, { track: { minIou: 3 } }, { inputArgs: [1] }, { signal: {} }]) {
      expect(() => det.detectStream(clip.file, o as never), JSON.stringify(o)).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
    }
    expect(() => det.detectStream(42 as never)).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
    const s = det.detectStream(clip.file, { maxFrames: 1 });
    await drain(s);
    expect(() => s[Symbol.asyncIterator]()).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
  });

  it('a stream that stalls mid-way ends with STREAM_TIMEOUT after the timeout, ffmpeg reaped', async () => {
    const server = await halfServer('stall');
    try {
      // a small probe, so that frames flow before the stall (ffmpeg otherwise reads 5 MB first)
      const s = det.detectStream(server.url, { timeout: 1000, inputArgs: ['-probesize', '32768'] });
      let last = 0;
      const r = await drain(s, () => { last = Date.now(); });
      expect(r.n).toBeGreaterThan(20);
      expect(r.error).toMatchObject({ code: 'STREAM_TIMEOUT', message: expect.stringContaining('1000 ms') });
      expect(Date.now() - last).toBeGreaterThanOrEqual(900);
      expect(gone(s.pid ?? 0) || s.pid === undefined).toBe(true);
    } finally {
      server.close();
    }
    // and a source that never sends a frame
    const silent = det.detectStream(await silentUdp(), { timeout: 500 });
    const t = Date.now();
    expect((await drain(silent)).error).toMatchObject({ code: 'STREAM_TIMEOUT' });
    expect(Date.now() - t).toBeLessThan(3000);
  });

  it('a stream that breaks off mid-way (connection cut, ffmpeg killed) ends with STREAM after its frames', async () => {
    const server = await halfServer('cut');
    try {
      const r = await drain(det.detectStream(server.url, { timeout: 5000, inputArgs: ['-probesize', '32768'] }));
      expect(r.n).toBeGreaterThan(20);
      expect(r.error).toMatchObject({ code: 'STREAM', message: expect.stringMatching(/broke off: .*Input\/output error/) });
    } finally {
      server.close();
    }
    const s = det.detectStream(clip.file, { policy: 'latest' }); // read in real time: still running at frame 5
    const r = await drain(s, (_f, n) => { if (n === 5) process.kill(s.pid!, 'SIGKILL'); });
    expect(r.error).toMatchObject({ code: 'STREAM', message: expect.stringContaining('was killed (SIGKILL)') });
  });

  it('an iterable that stalls: STREAM_TIMEOUT; one that throws: its error, as is', async () => {
    async function* stalls() {
      yield SHAPES_MODEL.sample;
      await new Promise(() => undefined);
    }
    const r = await drain(det.detectStream(stalls(), { timeout: 300 }));
    expect(r).toMatchObject({ n: 1, error: { code: 'STREAM_TIMEOUT' } });
    const boom = new Error('camera unplugged');
    async function* throws() {
      yield SHAPES_MODEL.sample;
      throw boom;
    }
    expect((await drain(det.detectStream(throws()))).error).toBe(boom);
  });

  it('a detector disposed under a running stream: DISPOSED, ffmpeg reaped', async () => {
    const d = await Detector.load(SHAPES_MODEL);
    const s = d.detectStream(clip.file);
    const r = await drain(s, (_f, n) => { if (n === 3) d.dispose(); });
    expect(r.error).toMatchObject({ code: 'DISPOSED' });
    expect(gone(s.pid!)).toBe(true);
  });
});

describe('detectStream resources', () => {
  it('break: ffmpeg killed and reaped (no zombie), pipes closed, frame buffers released', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const warm = det.detectStream(clip.file, { maxFrames: 2 });
    await drain(warm);
    gc();
    const fds = openFds();
    const buffers = process.memoryUsage().arrayBuffers;
    const s = det.detectStream(clip.file, { frames: true });
    const pids: Array<number | undefined> = [];
    let n = 0;
    for await (const r of s) {
      pids.push(s.pid);
      expect(r.frame).toBeDefined();
      if (++n === 60) break;
    }
    // the loop's break awaited the child's end: nothing to wait for here
    expect(gone(pids[0]!)).toBe(true);
    expect(new Set(pids).size).toBe(1);
    expect(openFds()).toBe(fds);
    gc();
    // 60 frames of 83 KB (5 MB) were handed out and dropped: none is held by the stream, which
    // is still referenced here (a few may wait for the next collection: 8 did once, in a CI run
    // on a busy machine; a stream holding its frames would keep all 60)
    expect(process.memoryUsage().arrayBuffers - buffers).toBeLessThan(1 << 20);
  });

  it('abort: rejects with the signal’s reason at once, even while ffmpeg waits for input; child reaped', async () => {
    const fds = openFds();
    const ac = new AbortController();
    const s = det.detectStream(clip.file, { signal: ac.signal });
    const r = await drain(s, (_f, n) => { if (n === 2) ac.abort(); });
    expect(r).toMatchObject({ n: 3, error: { name: 'AbortError' } });
    expect(gone(s.pid!)).toBe(true);

    const ac2 = new AbortController();
    const stalled = det.detectStream(await silentUdp(), { signal: ac2.signal, timeout: 60_000 });
    const pending = drain(stalled);
    const pid = await pidOf(stalled);
    const t = Date.now();
    setTimeout(() => ac2.abort(new Error('enough')), 200);
    const r2 = await pending;
    expect((r2.error as Error).message).toBe('enough');
    expect(Date.now() - t).toBeLessThan(2000);
    expect(gone(pid)).toBe(true);
    expect(openFds()).toBe(fds);
    // an already-aborted signal: no ffmpeg started
    for (const policy of ['all', 'latest'] as const) {
      const s3 = det.detectStream(clip.file, { signal: AbortSignal.abort(), policy });
      expect((await drain(s3)).error).toMatchObject({ name: 'AbortError' });
      expect(s3.pid).toBeUndefined();
    }
    // nor for a stream never iterated
    const idle = det.detectStream(clip.file, { policy: 'latest' });
    await sleep(100);
    expect(idle.pid).toBeUndefined();
    idle.dispose();
  });

  it('dispose() ends a waiting iteration; asyncDispose resolves once ffmpeg is reaped', async () => {
    const fds = openFds();
    const s = det.detectStream(await silentUdp(), { timeout: 60_000 });
    const pending = drain(s);
    const pid = await pidOf(s);
    await sleep(100);
    await s[Symbol.asyncDispose]();
    expect(gone(pid)).toBe(true);
    expect(await pending).toEqual({ n: 0 });
    expect(openFds()).toBe(fds);
    s.dispose(); // idempotent
  });

  it('a host process that exits mid-stream takes its ffmpeg with it', async () => {
    const r = await run(process.execPath, [join(ROOT, 'test', 'fixtures', 'video-exit.mjs'), await silentUdp()], { timeout: 60_000 });
    expect(r.status).toBe(0);
    const { pid } = JSON.parse(r.stdout) as { pid: number };
    expect(pid).toBeGreaterThan(0);
    // gone, or a zombie waiting for whoever adopted it: either way no longer running
    const state = () => { try { return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0]; } catch { return 'gone'; } };
    for (let i = 0; i < 50 && !['gone', 'Z'].includes(state()!); i++) await sleep(20);
    expect(['gone', 'Z']).toContain(state());
  });
});
