/**
 * Never kill the host: every bad cfg, weights file, image, buffer or option rejects with a typed
 * DarknetError naming the file and the reason, and the same process still detects correctly.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import type { Detection } from '../../lib/detections.js';
import { DarknetError } from '../../lib/errors.js';
import { native } from '../../lib/native.js';
import { CACHE, DARKNET_SHARE, ensureModel, pngPath, readRaw } from '../helpers/fixtures.js';

const BAD = join(CACHE, 'bad');
const write = (name: string, data: string | Uint8Array) => {
  const p = join(BAD, name);
  writeFileSync(p, data);
  return p;
};

async function expectCode(p: Promise<unknown>, code: string, file?: string, re?: RegExp): Promise<DarknetError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err, `expected a ${code} rejection`).toBeInstanceOf(DarknetError);
  const e = err as DarknetError;
  expect(e.code).toBe(code);
  if (file !== undefined) {
    expect(e.file).toBe(file);
    expect(e.message).toContain(file);
  }
  if (re) expect(e.message).toMatch(re);
  return e;
}

let tiny: Awaited<ReturnType<typeof ensureModel>>;
let det: Detector;
let baseline: Detection[];

beforeAll(async () => {
  mkdirSync(BAD, { recursive: true });
  tiny = await ensureModel('tiny');
  det = await Detector.load({ cfg: tiny.cfg, weights: tiny.weights });
  baseline = await det.detect(readRaw('dog'));
  expect(baseline.length).toBeGreaterThan(0);
});
afterAll(() => det?.dispose());

describe('Detector.load rejects bad files', () => {
  it('missing cfg → ENOENT', async () => {
    await expectCode(Detector.load({ cfg: join(BAD, 'nope.cfg'), weights: tiny.weights }), 'ENOENT', join(BAD, 'nope.cfg'));
  });
  it('cfg is a directory → EIO', async () => {
    await expectCode(Detector.load({ cfg: BAD, weights: tiny.weights }), 'EIO', BAD);
  });
  it('malformed cfg → CFG_PARSE with the line', async () => {
    const p = write('parse.cfg', '[net]\nwidth=416\nthis line has no equals sign\n');
    const e = await expectCode(Detector.load({ cfg: p, weights: null }), 'CFG_PARSE', p);
    expect(e.line).toBe(3);
  });
  it('binary garbage as cfg → CFG_PARSE', async () => {
    const p = write('garbage.cfg', new Uint8Array(4096).map((_, i) => (i * 131) % 256));
    await expectCode(Detector.load({ cfg: p, weights: null }), 'CFG_PARSE', p);
  });
  it('empty cfg → CFG_PARSE', async () => {
    const p = write('empty.cfg', '');
    await expectCode(Detector.load({ cfg: p, weights: null }), 'CFG_PARSE', p);
  });
  it('unknown section → CFG_UNSUPPORTED (Darknet would call a NULL forward)', async () => {
    const p = write('unknown.cfg', readFileSync(tiny.cfg, 'utf8').replace('[upsample]', '[upsampel]'));
    await expectCode(Detector.load({ cfg: p, weights: null }), 'CFG_UNSUPPORTED', p, /upsampel/);
  });
  it('a CRLF cfg (Darknet keeps the \\r and fails on "[net]\\r") loads and detects like the LF one', async () => {
    const p = write('crlf.cfg', readFileSync(tiny.cfg, 'utf8').replace(/\n/g, '\r\n'));
    const d = await Detector.load({ cfg: p, weights: tiny.weights });
    try {
      expect(await d.detect(readRaw('dog'))).toEqual(baseline);
    } finally {
      d.dispose();
    }
  });
  it('route index out of range → CFG_INVALID (Darknet reads out of bounds)', async () => {
    const p = write('route.cfg', readFileSync(tiny.cfg, 'utf8').replace('layers=-4', 'layers=-40'));
    await expectCode(Detector.load({ cfg: p, weights: null }), 'CFG_INVALID', p, /-40/);
  });
  it('a classifier cfg is not a detector → CFG_UNSUPPORTED', async () => {
    await expectCode(Detector.load({ cfg: join(DARKNET_SHARE, 'cfg', 'darknet53.cfg'), weights: null }), 'CFG_UNSUPPORTED', undefined, /not a detector/);
  });
  it('missing weights → ENOENT', async () => {
    await expectCode(Detector.load({ cfg: tiny.cfg, weights: join(BAD, 'nope.weights') }), 'ENOENT', join(BAD, 'nope.weights'));
  });
  it.each([0, 10, 20, 1000, 35_434_955])('weights truncated at %i bytes → WEIGHTS_HEADER/WEIGHTS_SIZE', async (n) => {
    const p = write(`trunc${n}.weights`, readFileSync(tiny.weights).subarray(0, n));
    await expectCode(Detector.load({ cfg: tiny.cfg, weights: p }), n < 20 ? 'WEIGHTS_HEADER' : 'WEIGHTS_SIZE', p);
  });
  it('oversized weights → WEIGHTS_SIZE', async () => {
    const p = join(BAD, 'over.weights');
    copyFileSync(tiny.weights, p);
    writeFileSync(p, new Uint8Array(8), { flag: 'a' });
    await expectCode(Detector.load({ cfg: tiny.cfg, weights: p }), 'WEIGHTS_SIZE', p, /8 bytes too many/);
  });
  it("another network's weights → WEIGHTS_SIZE naming both sizes", async () => {
    const y = await ensureModel('yolov3');
    await expectCode(Detector.load({ cfg: y.cfg, weights: tiny.weights }), 'WEIGHTS_SIZE', tiny.weights, /35,434,956 bytes, but .* needs 248,007,048/);
  });
  it('negative header version → WEIGHTS_HEADER', async () => {
    const b = new Uint8Array(readFileSync(tiny.weights));
    new DataView(b.buffer).setInt32(0, -1, true);
    const p = write('neg.weights', b);
    await expectCode(Detector.load({ cfg: tiny.cfg, weights: p }), 'WEIGHTS_HEADER', p);
  });
  it('missing names file → ENOENT', async () => {
    await expectCode(Detector.load({ cfg: tiny.cfg, weights: tiny.weights, names: join(BAD, 'x.names') }), 'ENOENT', join(BAD, 'x.names'));
  });
  it.each([
    [{ batch: 0 }], [{ batch: 1.5 }], [{ width: 100 }], [{ width: -32 }], [{ height: Number.NaN }], [{ weights: 42 }],
  ])('bad load option %j → BAD_INPUT', async (o) => {
    await expectCode(Detector.load({ cfg: tiny.cfg, weights: tiny.weights, ...(o as object) }), 'BAD_INPUT');
  });
});

describe('detect rejects bad images and options', () => {
  const png = () => readFileSync(pngPath('dog'));
  it.each([
    ['random bytes', () => new Uint8Array(1000).map((_, i) => (i * 7919) % 251)],
    ['a truncated PNG', () => png().subarray(0, 5000)],
    ['a PNG with the wrong magic', () => { const b = Buffer.from(png()); b[1] = 0; return b; }],
    ['an empty buffer', () => new Uint8Array(0)],
    ['a JPEG header only', () => new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16])],
  ])('%s → IMAGE_DECODE', async (_n, make) => {
    await expectCode(det.detect(make()), 'IMAGE_DECODE');
  });
  it('an undecodable file → IMAGE_DECODE naming it', async () => {
    const p = write('bad.jpg', new Uint8Array([0xff, 0xd8, 0xff, 0xdb, 1, 2, 3]));
    await expectCode(det.detect(p), 'IMAGE_DECODE', p);
  });
  it('a missing file → ENOENT', async () => {
    await expectCode(det.detect(join(BAD, 'none.png')), 'ENOENT', join(BAD, 'none.png'));
  });
  it('an image over the pixel limit → IMAGE_DECODE before decoding', async () => {
    await expectCode(det.detect(png(), { maxPixels: 1000 }), 'IMAGE_DECODE', undefined, /pixel/i);
  });
  it.each([
    ['wrong length', { data: new Uint8Array(10), width: 4, height: 4, channels: 3 }],
    ['2 channels', { data: new Uint8Array(32), width: 4, height: 4, channels: 2 }],
    ['zero width', { data: new Uint8Array(0), width: 0, height: 4, channels: 3 }],
    ['a plain array', { data: [1, 2, 3], width: 1, height: 1, channels: 3 }],
    ['a Float32Array', { data: new Float32Array(3), width: 1, height: 1, channels: 3 }],
    ['a number', 42],
  ])('raw input with %s → BAD_INPUT', async (_n, input) => {
    await expectCode(det.detect(input as never), 'BAD_INPUT');
  });
  it.each([
    [{ thresh: Number.NaN }], [{ thresh: -0.1 }], [{ thresh: Infinity }], [{ nms: -1 }], [{ nms: 2 }],
    [{ hierThresh: Number.NaN }], [{ thresh: '0.5' }], [{ letterbox: 'yes' }], [{ maxPixels: -5 }],
  ])('option %j → BAD_INPUT', async (o) => {
    await expectCode(det.detect(readRaw('dog'), o as never), 'BAD_INPUT');
  });
  it('forward with the wrong input length → BAD_INPUT', async () => {
    await expectCode(det.forward(new Float32Array(10)), 'BAD_INPUT', undefined, /519168/);
  });
});

describe("Darknet's own fatal paths are trapped by the native guard (no TypeScript checks in front)", () => {
  const load = (cfg: string, weights: string | null) => new (native().Network)().load(cfg, weights);
  const nativeCode = async (p: Promise<unknown>, re: RegExp) => {
    const e = (await p.then(() => undefined, (x: unknown) => x)) as { code?: string; message?: string };
    expect(e?.code).toBe('DARKNET');
    expect(e?.message).toMatch(re);
  };
  it('file_error() on a missing cfg (exit(0) upstream)', async () => {
    await nativeCode(load(join(BAD, 'missing.cfg'), null), /Couldn't open file: .*missing\.cfg/);
  });
  it('missing weights (read by the checked loader in native/ops/weights_io.c)', async () => {
    await nativeCode(load(tiny.cfg, join(BAD, 'missing.weights')), /missing\.weights: cannot open weights file/);
  });
  it('weights that shrink after the size check: every read is checked', async () => {
    const p = write('short.weights', readFileSync(tiny.weights).subarray(0, 1_000_000));
    await nativeCode(load(tiny.cfg, p), /short\.weights: unexpected end of file at byte 1000000 while reading layer \d+/);
  });
  it('error() on a [net] without input size', async () => {
    await nativeCode(load(write('noinput.cfg', '[net]\nbatch=1\n[convolutional]\nfilters=1\n'), null), /No input parameters supplied/);
  });
  it('assert() on a yolo layer whose input does not match', async () => {
    await nativeCode(load(write('assert.cfg', '[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nfilters=16\n[yolo]\nclasses=80\nnum=3\n'), null), /assertion .*l\.outputs == params\.inputs/);
  });
  it('a failed calloc (unchecked upstream) becomes an error', async () => {
    await nativeCode(load(write('huge.cfg', '[net]\nwidth=60000\nheight=60000\nchannels=3\n[convolutional]\nfilters=1024\nsize=3\npad=1\n'), null), /out of memory|allocation size overflows/);
  });
  it('a network reading more than 3 channels is refused before it reads past the RGB image (found by fuzzing)', async () => {
    const net = new (native().Network)();
    await net.load(write('ch4.cfg', '[net]\nwidth=32\nheight=32\nchannels=4\n[convolutional]\nfilters=18\nsize=3\npad=1\n[yolo]\nclasses=1\nmask=0,1,2\nnum=3\n'), null);
    try {
      await nativeCode(net.detect([{ data: new Uint8Array(8 * 8 * 3), width: 8, height: 8, channels: 3 }], true, 0.5, 0.5, 0.45), /takes 4 input channels; detection feeds 3/);
    } finally {
      net.dispose();
    }
  });
  it('the memory-safety invariants hold past TypeScript, as internal DARKNET errors (native/ops/invariants.c)', async () => {
    const net = new (native().Network)();
    await net.load(tiny.cfg, tiny.weights);
    try {
      const im = { data: new Uint8Array(8 * 8 * 3), width: 8, height: 8, channels: 3 as const };
      await nativeCode(net.detect([{ ...im, data: new Uint8Array(10) }], true, 0.5, 0.5, 0.45), /internal: image 0 has 10 bytes/);
      await nativeCode(net.detect([{ ...im, channels: 2 as never }], true, 0.5, 0.5, 0.45), /internal: image 0 is 8x8x2/);
      await nativeCode(net.detect([im, im], true, 0.5, 0.5, 0.45), /internal: 2 images for a network of batch 1/);
      await nativeCode(net.detect([im], true, Number.NaN, 0.5, 0.45), /internal: the detection threshold is not finite/);
      await nativeCode(net.classify([{ ...im, data: new Uint8Array(10) }], 'crop'), /internal: image 0 has 10 bytes/);
      expect(() => net.output(999)).toThrow(expect.objectContaining({ code: 'DARKNET', message: expect.stringMatching(/internal: layer index 999/) }));
      await expect(net.detect([im], true, 0.5, 0.5, 0.45)).resolves.toHaveLength(1); // and the network still works
    } finally {
      net.dispose();
    }
  });
  it('lean networks keep the deltas a forward pass writes (softmax after a truth= layer; found by fuzzing)', async () => {
    const net = new (native().Network)();
    await net.load(write('truth.cfg', '[net]\nwidth=16\nheight=16\nchannels=3\n[convolutional]\nfilters=4\nsize=3\npad=1\ntruth=1\n[softmax]\ngroups=1\n'), null);
    try {
      await expect(net.detect([{ data: new Uint8Array(8 * 8 * 3), width: 8, height: 8, channels: 3 }], true, 0.5, 0.5, 0.45)).resolves.toMatchObject([{ count: 0 }]);
    } finally {
      net.dispose();
    }
  });
  it('an image too thin to letterbox is refused before Darknet divides by zero in resize (found by fuzzing)', async () => {
    const net = new (native().Network)();
    await net.load(tiny.cfg, tiny.weights);
    try {
      await nativeCode(net.detect([{ data: new Uint8Array(2000 * 2 * 3), width: 2000, height: 2, channels: 3 }], true, 0.5, 0.5, 0.45), /cannot be letterboxed to 416x0/);
    } finally {
      net.dispose();
    }
  });
  it('non-finite network outputs are refused instead of overflowing the detection array', async () => {
    // Same size as the real weights, but every float NaN: yolo_num_detections and
    // get_yolo_detections disagree on NaN and upstream writes past its allocation.
    const b = new Uint8Array(readFileSync(tiny.weights));
    const f = new Float32Array(b.buffer, 20, (b.length - 20) / 4);
    f.fill(Number.NaN);
    const p = write('nan.weights', b);
    const d = await Detector.load({ cfg: tiny.cfg, weights: p });
    try {
      await expectCode(d.detect(readRaw('dog')), 'DARKNET', undefined, /not finite/);
    } finally {
      d.dispose();
    }
  });
});

describe('after all of that', () => {
  it('the disposed detector rejects with DISPOSED', async () => {
    const d = await Detector.load({ cfg: tiny.cfg, weights: tiny.weights });
    d.dispose();
    d.dispose(); // idempotent
    await expectCode(d.detect(readRaw('dog')), 'DISPOSED');
    await expectCode(d.forward(new Float32Array(416 * 416 * 3)), 'DISPOSED');
    expect(() => d.memory()).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
  });
  it('the same process still detects exactly as before', async () => {
    expect(await det.detect(readRaw('dog'))).toEqual(baseline);
  });
  it('errors carry the caller stack (this test file), not only native frames', async () => {
    const e = await expectCode(det.detect(readRaw('dog'), { thresh: -1 }), 'BAD_INPUT');
    expect(e.stack).toContain('errors.test.ts');
  });
});
