/**
 * detect() of a JPEG (file or bytes) on an idle network is one native call: decode on the compute
 * threads, then the pass (native/ops/detect_jpeg.c). It must be indistinguishable from decoding
 * first: the same detections and the same raw outputs to the bit, the same errors, the same
 * fallbacks for what the native decoder leaves to sharp.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import { toPixels } from '../../lib/input.js';
import type { NativeNetwork } from '../../lib/native.js';
import { DARKNET_SHARE, ensureModel } from '../helpers/fixtures.js';

let d: Detector;
let calls: Array<Awaited<ReturnType<NativeNetwork['detectJpeg']>>>;
const file = (n: string) => join(DARKNET_SHARE, 'data', `${n}.jpg`);
/** the heads' raw outputs as one buffer (compared with equals: toEqual walks megabytes slowly) */
const raw = async () => Buffer.concat((await d.outputs()).map((o) => Buffer.from(o.data.buffer, o.data.byteOffset, o.data.byteLength)));

beforeAll(async () => {
  const fx = await ensureModel('tiny');
  d = await Detector.load({ cfg: fx.cfg, weights: fx.weights });
  // count the one-call path's answers (the network object is private: reached for the test only)
  const net = (d as unknown as { net: NativeNetwork }).net;
  const detectJpeg = net.detectJpeg.bind(net);
  calls = [];
  // an own property over the prototype's read-only method
  Object.defineProperty(net, 'detectJpeg', {
    configurable: true,
    value: async (...args: Parameters<NativeNetwork['detectJpeg']>) => {
      const r = await detectJpeg(...args);
      calls.push(r);
      return r;
    },
  });
});
afterAll(() => d.dispose());

describe('detect() of a JPEG in one native call', () => {
  it('gives the detections and raw outputs of detect(decoded pixels), from a path and from bytes, at 1 and 2 threads', async () => {
    for (const threads of [2, 1]) {
      await d.setThreads(threads);
      for (const name of ['dog', 'kite', 'scream', 'person']) {
        const px = await toPixels(file(name));
        const expected = await d.detect(px);
        const expectedRaw = await raw();
        calls.length = 0;
        expect(await d.detect(file(name)), name).toEqual(expected);
        expect((await raw()).equals(expectedRaw), name).toBe(true);
        expect(await d.detect(readFileSync(file(name))), name).toEqual(expected);
        expect((await raw()).equals(expectedRaw), name).toBe(true);
        expect(calls.map((c) => c !== null && 'boxes' in c), name).toEqual([true, true]);
      }
    }
    await d.setThreads(0);
  });

  it('leaves what its decoder declines to the usual path: a CMYK JPEG, a progressive one still one call', async () => {
    const dog = readFileSync(file('dog'));
    const cmyk = await sharp(dog).toColourspace('cmyk').jpeg().toBuffer();
    calls.length = 0;
    expect(await d.detect(cmyk)).toEqual(await d.detect(await toPixels(cmyk)));
    expect(calls[0]).toBeNull();
    const progressive = await sharp(dog).jpeg({ progressive: true }).toBuffer();
    calls.length = 0;
    expect(await d.detect(progressive)).toEqual(await d.detect(await toPixels(progressive)));
    expect(calls[0]).not.toBeNull();
  });

  it('reports what detect(pixels) reports: a too thin image, too many pixels, a missing file', async () => {
    const thin = await sharp({ create: { width: 1000, height: 1, channels: 3, background: '#777' } }).jpeg().toBuffer();
    const viaPixels = await d.detect(await toPixels(thin)).catch((e: unknown) => e);
    expect(viaPixels).toMatchObject({ code: 'BAD_INPUT', message: /too thin to letterbox/ });
    await expect(d.detect(thin)).rejects.toMatchObject({ code: 'BAD_INPUT', message: (viaPixels as Error).message });
    const dog = readFileSync(file('dog'));
    calls.length = 0;
    const over = await d.detect(dog, { maxPixels: 768 * 576 - 1 }).catch((e: unknown) => e);
    const overViaSharp = await toPixels(dog, { maxPixels: 768 * 576 - 1 }).catch((e: unknown) => e);
    expect(calls).toEqual([null]); // declined natively, refused by the usual path
    expect(over).toMatchObject({ code: (overViaSharp as { code: string }).code, message: (overViaSharp as Error).message });
    await expect(d.detect('/nonexistent/dir/x.jpg')).rejects.toMatchObject({ code: 'ENOENT' });
    // and the network still works afterwards
    expect((await d.detect(dog)).length).toBe((await d.detect(await toPixels(dog))).length);
  });

  it('keeps one decoded photo in memory for the next call, and counts it', async () => {
    const fx = await ensureModel('tiny');
    const e = await Detector.load({ cfg: fx.cfg, weights: fx.weights });
    try {
      await e.detect(file('dog'));
      const m = e.memory();
      await e.detect(await toPixels(file('kite'))); // the letterbox's rows for 900 rows, no JPEG kept
      const rows = e.memory();
      await e.detect(file('kite')); // 1352×900: a larger buffer replaces the kept one
      const grown = e.memory();
      expect(rows.workspace - m.workspace).toBe(3 * 416 * (900 - 576) * 4);
      expect(grown.workspace - rows.workspace).toBe((1352 * 900 - 768 * 576) * 3);
    } finally {
      e.dispose();
    }
  });
});
