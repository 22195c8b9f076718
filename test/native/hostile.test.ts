/**
 * Hostile files and options that once hung, starved or aborted the process, or held memory:
 * FIFOs and device files where files are expected, unvalidated limits, oversized or short raw
 * pixels, a thread count the OS cannot grant, abandoned loads, and loads without a temp dir.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector, MAX_THREADS } from '../../lib/detector.js';
import { DarknetError } from '../../lib/errors.js';
import { DEFAULT_MAX_PIXELS } from '../../lib/input.js';
import { readWeightsHeader } from '../../lib/weights.js';
import { CACHE, ensureModel, ROOT, type ModelFixture } from '../helpers/fixtures.js';
import { run } from '../helpers/proc.js';

const DIR = join(CACHE, 'hostile');
const FIFO = join(DIR, 'w.fifo');
let tiny: ModelFixture;
let det: Detector;

beforeAll(async () => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  execFileSync('mkfifo', [FIFO]); // no writer, ever
  tiny = await ensureModel('tiny');
  det = await Detector.load({ cfg: tiny.cfg, weights: tiny.weights });
});
afterAll(() => {
  det?.dispose();
  rmSync(DIR, { recursive: true, force: true });
});

async function code(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(DarknetError);
  return { code: (e as DarknetError).code, message: (e as DarknetError).message };
}

describe('files that are not regular files', () => {
  it('a FIFO as cfg, weights, names or header is refused at once, and the libuv pool stays free', async () => {
    const calls = [
      () => Detector.load({ cfg: FIFO, weights: tiny.weights }),
      () => Detector.load({ cfg: tiny.cfg, weights: FIFO }),
      () => Detector.load({ cfg: tiny.cfg, weights: tiny.weights, names: FIFO }),
      () => readWeightsHeader(FIFO),
      () => Detector.load({ cfg: FIFO, weights: null }),
    ];
    for (const c of calls) expect(await code(c())).toMatchObject({ code: 'EIO', message: expect.stringMatching(/not a regular file/) });
    expect((await readFile(tiny.cfg, 'utf8')).length).toBeGreaterThan(0); // four stuck reads would have starved this
  });

  it('device files (/dev/zero, /dev/urandom) are refused, not read without end', async () => {
    expect(await code(Detector.load({ cfg: '/dev/zero', weights: null }))).toMatchObject({ code: 'EIO' });
    expect(await code(Detector.load({ cfg: tiny.cfg, weights: '/dev/urandom' }))).toMatchObject({ code: 'EIO' });
    expect(await code(Detector.load({ cfg: tiny.cfg, weights: tiny.weights, names: '/dev/zero' }))).toMatchObject({ code: 'EIO' });
  });
});

describe('options', () => {
  it('maxBytes must be a positive number; threads at most 4 per core', async () => {
    for (const maxBytes of ['lots', Number.NaN, -1, 0, Infinity]) {
      expect(await code(Detector.load({ cfg: tiny.cfg, weights: tiny.weights, maxBytes: maxBytes as number }))).toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/maxBytes/) });
    }
    expect(await code(Detector.load({ cfg: tiny.cfg, weights: tiny.weights, threads: 1024 }))).toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/threads/) });
    expect(await code(det.setThreads(MAX_THREADS + 1))).toMatchObject({ code: 'BAD_INPUT' });
  });

  it('more threads than the OS grants is an error, not the end of the process', async () => {
    // RLIMIT_NPROC binds root only after dropping to another user (setpriv, util-linux)
    const asRoot = process.getuid?.() === 0;
    const node = `exec ${asRoot ? 'setpriv --reuid=65534 --regid=65534 --clear-groups ' : ''}${process.execPath}`;
    const script = join(ROOT, 'test', 'fixtures', 'thread-refusal.mjs');
    const r = await run('bash', ['-c', `ulimit -u 60 && ${node} ${script} ${tiny.cfg} ${tiny.weights} 200`]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/threads: the system refused thread \d+ of 200/) });
  });

  it('an exception thrown by the caller\'s own code (a getter, a Proxy) comes back as itself', async () => {
    const mine = new Error('from my getter');
    const options = { get thresh(): number { throw mine; } };
    await expect(det.detect({ data: new Uint8Array(300), width: 10, height: 10, channels: 3 }, options)).rejects.toBe(mine);
    const image = new Proxy({ data: new Uint8Array(300), width: 10, height: 10, channels: 3 as const }, { get(t, k) { if (k === 'width') throw mine; return Reflect.get(t, k); } });
    await expect(det.detect(image)).rejects.toBe(mine);
    await expect(Detector.load({ cfg: tiny.cfg, get weights(): string { throw mine; } })).rejects.toBe(mine);
    let calls = 0;
    await expect(Detector.load({ cfg: tiny.cfg, weights: tiny.weights, onProgress: () => { calls++; throw mine; } })).rejects.toBe(mine);
    expect(calls).toBe(1);
  });

  it('a load takes an AbortSignal: already aborted, or aborted while Darknet reads the weights', async () => {
    const reason = new Error('changed my mind');
    await expect(Detector.load({ cfg: tiny.cfg, weights: tiny.weights, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    const ac = new AbortController();
    // cache: false — a compiled-weights cache hit reads no weights (one progress call, at the end)
    const p = Detector.load({ cfg: tiny.cfg, weights: tiny.weights, cache: false, signal: ac.signal, onProgress: () => ac.abort() });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(await code(Detector.load({ cfg: tiny.cfg, weights: tiny.weights, signal: 'soon' as never }))).toMatchObject({ code: 'BAD_INPUT' });
  });

  it('loading writes no temporary file (works with TMPDIR pointing nowhere)', async () => {
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = join(DIR, 'does-not-exist');
    try {
      const d = await Detector.load({ cfg: tiny.cfg, weights: tiny.weights });
      d.dispose();
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});

describe('pixels', () => {
  it('raw and sharp-raw inputs are checked as strictly as encoded ones: length, channels, maxPixels', async () => {
    expect(await code(det.detect({ data: new Uint8Array(1), info: { width: 100, height: 100, channels: 2 } }))).toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/20000/) });
    expect(await code(det.detect({ data: new Uint8Array(1), info: { width: 30000, height: 30000, channels: 2 } }))).toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/maxPixels/) });
    const side = Math.ceil(Math.sqrt(DEFAULT_MAX_PIXELS)) + 1;
    expect(await code(det.detect({ data: new Uint8Array(3), width: side, height: side, channels: 3 }))).toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/maxPixels/) });
    expect(await code(det.detect({ data: new Uint8Array(300), width: 10, height: 10, channels: 3 }, { maxPixels: 99 }))).toMatchObject({ code: 'BAD_INPUT' });
    expect((await det.detect({ data: new Uint8Array(300).fill(9), width: 10, height: 10, channels: 3 }, { maxPixels: 100 })).length).toBeGreaterThanOrEqual(0);
  });

  it('a small JPEG whose header claims 16000² is refused before decoding by the default limit', async () => {
    const sharp = (await import('sharp')).default;
    const jpeg = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } }).jpeg().toBuffer();
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    expect(sof).toBeGreaterThan(0);
    jpeg.writeUInt16BE(16000, sof + 5); // height
    jpeg.writeUInt16BE(16000, sof + 7); // width
    expect(jpeg.length).toBeLessThan(2048);
    expect(await code(det.detect(jpeg))).toMatchObject({ code: 'IMAGE_DECODE', message: expect.stringMatching(/pixel limit/i) });
  });
});
