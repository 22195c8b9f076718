/**
 * Named models: the shipped cfgs against the registry's exact sizes, and downloads from a local
 * HTTP server on 127.0.0.1 serving weights made here (never the real host): a fresh download,
 * resume after a broken transfer, redirects, short/corrupt/oversized files refused, the sha256
 * recorded on first download and checked after.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCfg } from '../../lib/cfg/parse.js';
import { validateCfg } from '../../lib/cfg/validate.js';
import { getModel, listModels, MODELS, modelCacheDir, verifyModel } from '../../lib/models.js';
import { PACKAGE_ROOT } from '../../lib/native.js';
import { writeRandomWeights } from '../../lib/random-weights.js';

const dir = mkdtempSync(join(tmpdir(), 'darknet-node-models-'));
const cfgOf = (name: string) => validateCfg(parseCfg(readFileSync(join(PACKAGE_ROOT, 'models', 'darknet', `${name}.cfg`), 'utf8')));

/** What the server does for the next requests of a path. */
type Mode = 'ok' | 'break' | 'stall' | 'short' | 'long' | 'corrupt' | 'no-range' | 'missing';
let mode: Mode = 'ok';
const requests: Array<{ url: string; range: string | undefined }> = [];
let body: Buffer;
let server: Server;
let base: string;

beforeAll(async () => {
  const file = join(dir, 'fixture.weights');
  await writeRandomWeights(cfgOf('yolov3-tiny'), file, { seed: 7 });
  body = readFileSync(file);
  server = createServer((req, res) => {
    requests.push({ url: req.url!, range: req.headers.range });
    if (req.url!.startsWith('/old/')) { // a moved mirror
      res.writeHead(302, { location: `/files/${req.url!.slice(5)}` }).end();
      return;
    }
    if (mode === 'missing' || !req.url!.endsWith('yolov3-tiny.weights')) { res.writeHead(404).end('not found'); return; }
    let data = mode === 'short' ? body.subarray(0, body.length - 1000) : mode === 'long' ? Buffer.concat([body, Buffer.alloc(10)]) : body;
    if (mode === 'corrupt') { data = Buffer.from(body); data.writeInt32LE(-5, 0); }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m && mode !== 'no-range') {
      const from = Number(m[1]);
      res.writeHead(206, { 'content-length': data.length - from, 'content-range': `bytes ${from}-${data.length - 1}/${data.length}` });
      res.end(data.subarray(from));
      return;
    }
    if (mode === 'stall') {
      // half the file, then nothing (until the client gives up)
      res.writeHead(200, { 'content-length': data.length });
      res.write(data.subarray(0, data.length >> 1));
      req.socket.once('close', () => res.destroy());
      return;
    }
    if (mode === 'break') {
      // half the file, then the connection drops
      res.writeHead(200, { 'content-length': data.length });
      res.write(data.subarray(0, data.length >> 1), () => setTimeout(() => res.destroy(), 50));
      return;
    }
    res.writeHead(200, { 'content-length': data.length }).end(data);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files/`;
}, 120_000);
afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const fresh = (name: string) => {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  return d;
};
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('model registry', () => {
  it('every published model: its cfg ships, its size is the header + 4 bytes per parameter of that cfg, its names match its classes', () => {
    for (const m of Object.values(MODELS)) {
      const shape = cfgOf(m.name);
      expect(m.bytes, m.name).toBe(m.headerBytes + 4 * shape.weightFloats);
      expect(shape.classes, m.name).toBe(m.classes);
      const names = readFileSync(join(PACKAGE_ROOT, 'models', 'darknet', m.namesFile), 'utf8').split('\n').filter(Boolean);
      expect(names.length, m.name).toBe(m.classes);
    }
    expect(MODELS.yolov3!.bytes).toBe(248_007_048); // the published file's size
  });

  it('the cache folder: option, DARKNET_NODE_CACHE, XDG_CACHE_HOME, ~/.cache', () => {
    const env = { ...process.env };
    try {
      delete process.env.DARKNET_NODE_CACHE;
      process.env.XDG_CACHE_HOME = '/x';
      expect(modelCacheDir()).toBe('/x/darknet-node');
      process.env.DARKNET_NODE_CACHE = '/y';
      expect(modelCacheDir()).toBe('/y');
      expect(modelCacheDir({ cacheDir: '/z' })).toBe('/z');
    } finally {
      process.env = env;
    }
  });

  it('unknown names are refused with the list of known ones', async () => {
    await expect(getModel('yolov4', { cacheDir: fresh('unknown'), baseUrl: base })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/unknown model "yolov4" \(known: shapes, yolov3,/) });
    await expect(getModel('toString', { cacheDir: fresh('unknown'), baseUrl: base })).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('Detector.load: model or cfg/weights, not both, not neither; an unknown name; all before any native work', async () => {
    const { Detector } = await import('../../lib/detector.js');
    await expect(Detector.load({ model: 'yolov3', cfg: 'x.cfg', weights: 'x.weights' })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/either model or cfg\/weights, not both/) });
    await expect(Detector.load({})).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/needs \{ model: 'yolov3' \}.*or \{ cfg, weights \}/) });
    await expect(Detector.load({ model: 'yolo-nas' })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/unknown model "yolo-nas"/) });
    await expect(Detector.load({ model: 'yolov3-tiny', cacheDir: fresh('load'), onDownloadProgress: 5 as unknown as () => void })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/onDownloadProgress must be a function/) });
  });

  it('a cfg from a later Darknet is refused naming AlexeyAB\'s fork', () => {
    const v4 = '[net]\nwidth=64\nheight=64\nchannels=3\n[convolutional]\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=mish\n';
    expect(() => validateCfg(parseCfg(v4))).toThrow(/activation "mish" belongs to a later Darknet \(AlexeyAB's fork: YOLOv4 and later\)/);
    const sam = '[net]\nwidth=64\nheight=64\nchannels=3\n[convolutional]\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=leaky\n[sam]\nfrom=-1\n';
    expect(() => validateCfg(parseCfg(sam))).toThrow(/\[sam\] belongs to a later Darknet/);
  });
});

describe('downloads from a local server', () => {
  it('downloads, checks and caches; a second call downloads nothing; list shows it', async () => {
    mode = 'ok';
    const cacheDir = fresh('ok');
    const progress: number[] = [];
    const r = await getModel('yolov3-tiny', { cacheDir, baseUrl: base, onProgress: (n) => progress.push(n) });
    expect(r.downloaded).toBe(true);
    expect(r.weights).toBe(join(cacheDir, 'yolov3-tiny.weights'));
    expect(r.cfg).toMatch(/models\/darknet\/yolov3-tiny\.cfg$/);
    expect(r.names).toMatch(/coco\.names$/);
    expect(sha(readFileSync(r.weights))).toBe(sha(body));
    expect(progress.at(-1)).toBe(body.length);
    expect(existsSync(`${r.weights}.part`)).toBe(false);
    expect(JSON.parse(readFileSync(`${r.weights}.sha256.json`, 'utf8')).sha256).toBe(sha(body));
    const n = requests.length;
    expect((await getModel('yolov3-tiny', { cacheDir, baseUrl: base })).downloaded).toBe(false);
    expect(requests.length).toBe(n);
    const listed = await listModels({ cacheDir });
    expect(listed.find((m) => m.name === 'yolov3-tiny')).toMatchObject({ cached: true, partial: 0 });
    expect(listed.find((m) => m.name === 'yolov3')).toMatchObject({ cached: false });
  });

  it('DARKNET_NODE_MODEL_BASE_URL, followed through a redirect', async () => {
    mode = 'ok';
    const old = process.env.DARKNET_NODE_MODEL_BASE_URL;
    process.env.DARKNET_NODE_MODEL_BASE_URL = base.replace('/files/', '/old');
    try {
      const r = await getModel('yolov3-tiny', { cacheDir: fresh('redirect') });
      expect(r.downloaded).toBe(true);
      expect(requests.at(-2)!.url).toBe('/old/yolov3-tiny.weights');
      expect(requests.at(-1)!.url).toBe('/files/yolov3-tiny.weights');
    } finally {
      if (old === undefined) delete process.env.DARKNET_NODE_MODEL_BASE_URL; else process.env.DARKNET_NODE_MODEL_BASE_URL = old;
    }
  });

  it('a broken transfer keeps its .part and the next call resumes it with a Range request', async () => {
    const cacheDir = fresh('resume');
    mode = 'break';
    const err = await getModel('yolov3-tiny', { cacheDir, baseUrl: base }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DOWNLOAD', message: expect.stringMatching(/broke off after [\d,]+ of 35,434,956 bytes.*run again to resume/) });
    const part = join(cacheDir, 'yolov3-tiny.weights.part');
    const have = statSync(part).size;
    expect(have).toBeGreaterThan(0);
    expect(existsSync(join(cacheDir, 'yolov3-tiny.weights'))).toBe(false);
    expect((await listModels({ cacheDir })).find((m) => m.name === 'yolov3-tiny')!.partial).toBe(have);
    mode = 'ok';
    const r = await getModel('yolov3-tiny', { cacheDir, baseUrl: base });
    expect(requests.at(-1)!.range).toBe(`bytes=${have}-`);
    expect(sha(readFileSync(r.weights))).toBe(sha(body));
    // a server that ignores Range sends the whole file again: still right
    writeFileSync(join(fresh('no-range'), 'yolov3-tiny.weights.part'), body.subarray(0, 1000));
    mode = 'no-range';
    const r2 = await getModel('yolov3-tiny', { cacheDir: join(dir, 'no-range'), baseUrl: base });
    expect(sha(readFileSync(r2.weights))).toBe(sha(body));
  });

  it('an abort stops the transfer at once (AbortSignal), keeps the .part, and the next call resumes', async () => {
    const cacheDir = fresh('abort');
    mode = 'stall';
    const ac = new AbortController();
    const err = await getModel('yolov3-tiny', { cacheDir, baseUrl: base, signal: ac.signal, onProgress: (n) => { if (n > 0) setTimeout(() => ac.abort(), 100); } }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    const have = statSync(join(cacheDir, 'yolov3-tiny.weights.part')).size;
    expect(have).toBeGreaterThan(0);
    mode = 'ok';
    const r = await getModel('yolov3-tiny', { cacheDir, baseUrl: base });
    expect(requests.at(-1)!.range).toBe(`bytes=${have}-`);
    expect(sha(readFileSync(r.weights))).toBe(sha(body));
  });

  it('a server that stops sending: DOWNLOAD after the idle timeout, the .part kept to resume', async () => {
    const cacheDir = fresh('stall');
    mode = 'stall';
    await expect(getModel('yolov3-tiny', { cacheDir, baseUrl: base, idleTimeoutMs: 300 })).rejects.toMatchObject({ code: 'DOWNLOAD', message: expect.stringMatching(/no data for 0\.3 s; run again to resume/) });
    expect(statSync(join(cacheDir, 'yolov3-tiny.weights.part')).size).toBeGreaterThan(0);
    mode = 'ok';
    expect((await getModel('yolov3-tiny', { cacheDir, baseUrl: base })).downloaded).toBe(true);
  });

  it('short, oversized and corrupt files are refused and nothing is left in the cache', async () => {
    for (const [m, re] of [['short', /sends 35,433,956 bytes, 35,434,956 expected/], ['long', /sends 35,434,966 bytes/], ['corrupt', /negative version/], ['missing', /HTTP 404/]] as const) {
      mode = m;
      const cacheDir = fresh(m);
      await expect(getModel('yolov3-tiny', { cacheDir, baseUrl: base }), m).rejects.toThrow(re);
      expect(existsSync(join(cacheDir, 'yolov3-tiny.weights')), m).toBe(false);
      expect(existsSync(join(cacheDir, 'yolov3-tiny.weights.part')), m).toBe(false);
    }
    mode = 'ok';
  });

  it('a cached file that changed is refused: size and header always, sha256 against the first download', async () => {
    mode = 'ok';
    const cacheDir = fresh('changed');
    const { weights } = await getModel('yolov3-tiny', { cacheDir, baseUrl: base });
    const bytes = readFileSync(weights);
    bytes[1000]! ^= 0xff; // same size, same header, other parameters
    writeFileSync(weights, bytes);
    await expect(getModel('yolov3-tiny', { cacheDir, baseUrl: base })).rejects.toMatchObject({ code: 'WEIGHTS_HASH', message: expect.stringMatching(/recorded when it was first downloaded/) });
    writeFileSync(weights, bytes.subarray(0, 5000));
    await expect(getModel('yolov3-tiny', { cacheDir, baseUrl: base })).rejects.toMatchObject({ code: 'WEIGHTS_SIZE' });
    bytes[1000]! ^= 0xff;
    writeFileSync(weights, bytes);
    expect(await verifyModel('yolov3-tiny', { cacheDir })).toBe(weights);
  });

  it('an unreachable server: DOWNLOAD naming the URL', async () => {
    await expect(getModel('yolov3-tiny', { cacheDir: fresh('down'), baseUrl: 'http://127.0.0.1:1/' })).rejects.toMatchObject({ code: 'DOWNLOAD', message: expect.stringMatching(/^http:\/\/127\.0\.0\.1:1\/yolov3-tiny\.weights: cannot connect/) });
  });
});
