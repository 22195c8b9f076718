/**
 * Live video: ffmpeg sends the crossing clip over UDP on 127.0.0.1 at its real rate (MPEG-TS, as
 * cameras and encoders do) while detectStream consumes it with the 'latest' policy and a consumer
 * slower than the stream: frames are dropped, and each result stays about the present.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import { SHAPES_MODEL } from '../../lib/models.js';
import type { StreamFrame } from '../../lib/video/stream.js';
import { freeUdpPort, gone, makeClip, sleep, type Clip } from '../helpers/video.js';

let clip: Clip;
let det: Detector;
beforeAll(async () => {
  clip = await makeClip();
  det = await Detector.load(SHAPES_MODEL);
});
afterAll(() => det?.dispose());

/** How far behind the stream each result is: wall time elapsed minus stream time elapsed. */
function lags(results: Array<{ wall: number; r: StreamFrame }>): number[] {
  const [first] = results;
  return results.map(({ wall, r }) => (wall - first!.wall) / 1000 - (r.timestamp - first!.r.timestamp));
}

describe("detectStream, 'latest' policy", () => {
  it('keeps a slow consumer in real time on a live UDP stream, dropping frames', async () => {
    const port = await freeUdpPort();
    const stream = det.detectStream(`udp://127.0.0.1:${port}`, { policy: 'latest', timeout: 10_000 });
    const it = stream[Symbol.asyncIterator]();
    const first = it.next();
    for (let i = 0; i < 200 && stream.pid === undefined; i++) await sleep(10);
    await sleep(300); // ffmpeg listening before anything is sent
    const sender = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-i', clip.file, '-c', 'copy', '-f', 'mpegts', `udp://127.0.0.1:${port}?pkt_size=1316`], { stdio: 'ignore' });
    // UDP has no end: once the sender is done and the last frames are in, the stream is stopped
    sender.once('exit', () => setTimeout(() => stream.dispose(), 400));
    const results: Array<{ wall: number; r: StreamFrame }> = [];
    try {
      for (let next = first; ;) {
        const x = await next;
        if (x.done) break;
        results.push({ wall: Date.now(), r: x.value });
        await sleep(100); // the consumer: 10 results a second from a 25 fps stream
        next = it.next();
      }
    } finally {
      await it.return?.();
      sender.kill();
    }
    expect(gone(stream.pid!)).toBe(true);
    const lag = lags(results);
    const dropped = stream.stats.dropped;
    console.log(`live UDP, 'latest', consumer at 10 fps: ${results.length} results, ${dropped} frames dropped, lag ≤ ${Math.max(...lag).toFixed(3)} s`);
    expect(results.length).toBeGreaterThan(20);
    expect(dropped).toBeGreaterThan(30);
    expect(results.at(-1)!.r.dropped).toBe(dropped);
    // each result is about a frame at most a few tenths of a second old: no backlog builds up
    expect(Math.max(...lag)).toBeLessThan(0.4);
    // the frames detected are spread over the stream, with gaps
    const idx = results.map((x) => x.r.index);
    expect(idx.every((v, i) => i === 0 || v > idx[i - 1]!)).toBe(true);
    expect(idx.at(-1)! - idx[0]!).toBeGreaterThan(80);
    // the five objects are followed through the drops: once past the crossings (around 2 s),
    // the same five confirmed tracks in every result. Seen 10 times a second, a crossing can
    // cost an identity (video.test.ts shows every frame keeps them all)
    const confirmed = (r: StreamFrame) => r.tracks.filter((t) => t.state === 'confirmed').map((t) => t.id).join();
    const late = results.filter((x) => x.r.timestamp >= 2.6).map((x) => confirmed(x.r));
    expect(late.length).toBeGreaterThan(6);
    expect(new Set(late).size).toBe(1);
    expect(late[0]!.split(',')).toHaveLength(5);
  });

  it("reads a file at its own rate ('latest' implies realtime): 4 s of video take about 4 s", async () => {
    const results: Array<{ wall: number; r: StreamFrame }> = [];
    const t = Date.now();
    const stream = det.detectStream(clip.file, { policy: 'latest' });
    for await (const r of stream) {
      results.push({ wall: Date.now(), r });
      await sleep(100);
    }
    const elapsed = (Date.now() - t) / 1000;
    expect(elapsed).toBeGreaterThan(3.5);
    expect(elapsed).toBeLessThan(6);
    expect(stream.stats.decoded).toBe(100);
    expect(stream.stats.dropped).toBe(100 - results.length);
    expect(Math.max(...lags(results))).toBeLessThan(0.4);
  });
});
