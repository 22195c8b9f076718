/**
 * Clean JPEGs are decoded inside the addon by libjpeg-turbo (native/image/jpeg.c), everything else by
 * sharp — and the pixels are the same either way: the native path only takes files whose result
 * sharp would give byte for byte, and answers "not mine" (null) to anything it is unsure of.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { toPixels } from '../../lib/input.js';
import { native } from '../../lib/native.js';
import { Detector } from '../../lib/detector.js';
import { DARKNET_SHARE, ensureModel } from '../helpers/fixtures.js';

const SAMPLES = ['dog', 'eagle', 'giraffe', 'horses', 'kite', 'person', 'scream'];
const addon = native();
const decode = (b: Uint8Array, max = 1e8) => addon.decodeJpeg!(b, max);
const viaSharp = async (b: Uint8Array) =>
  (await sharp(b, { failOn: 'error' }).toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true })).data;

/** an APP1 Exif segment (little-endian TIFF, one IFD entry: Orientation) right after SOI */
function withOrientation(jpeg: Buffer, orientation: number): Buffer {
  const tiff = Buffer.alloc(26);
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(1, 8); // one entry
  tiff.writeUInt16LE(0x0112, 10); // Orientation
  tiff.writeUInt16LE(3, 12); // SHORT
  tiff.writeUInt32LE(1, 14);
  tiff.writeUInt16LE(orientation, 18);
  tiff.writeUInt32LE(0, 22); // no next IFD
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 255]);
  return Buffer.concat([jpeg.subarray(0, 2), head, body, jpeg.subarray(2)]);
}

let dog: Buffer;
beforeAll(() => {
  dog = readFileSync(join(DARKNET_SHARE, 'data', 'dog.jpg'));
});

describe('native JPEG decoding', () => {
  it('is built in wherever libjpeg-turbo\'s header was there at build time', () => {
    const headers = existsSync('/usr/include/jpeglib.h');
    expect(addon.capabilities().jpeg ?? null).toEqual(headers ? expect.stringMatching(/libjpeg/) : null);
  });

  it.runIf(existsSync('/usr/include/jpeglib.h'))('gives sharp\'s pixels, byte for byte, on the sample photos and on encoder variants', async () => {
    const variants: Array<[string, Buffer]> = SAMPLES.map((s) => [s, readFileSync(join(DARKNET_SHARE, 'data', `${s}.jpg`))]);
    variants.push(
      ['grey', await sharp(dog).greyscale().jpeg().toBuffer()],
      ['progressive 4:4:4', await sharp(dog).jpeg({ progressive: true, chromaSubsampling: '4:4:4' }).toBuffer()],
      ['odd size, q30', await sharp(dog).resize(333, 77, { fit: 'fill' }).jpeg({ quality: 30 }).toBuffer()],
      ['1×1', await sharp({ create: { width: 1, height: 1, channels: 3, background: '#c83' } }).jpeg().toBuffer()],
      ['EXIF orientation 6 (not applied, as sharp without rotate())', withOrientation(await sharp(dog).jpeg().toBuffer(), 6)],
    );
    for (const [name, bytes] of variants) {
      const out = await decode(bytes);
      expect(out, name).not.toBeNull();
      const meta = await sharp(bytes).metadata();
      expect([out!.width, out!.height], name).toEqual([meta.width, meta.height]);
      expect(Buffer.compare(out!.data, await viaSharp(bytes)), name).toBe(0);
    }
  });

  it('leaves to sharp what it cannot vouch for: colour profiles, CMYK, truncation, non-JPEGs, oversize', async () => {
    const cases: Array<[string, Buffer]> = [
      ['Display P3 profile', await sharp(dog).withIccProfile('p3').jpeg().toBuffer()],
      ['CMYK', await sharp(dog).toColourspace('cmyk').jpeg().toBuffer()],
      ['truncated', dog.subarray(0, dog.length - 5000)],
      ['PNG', await sharp(dog).png().toBuffer()],
      ['empty', Buffer.alloc(0)],
      ['header only', dog.subarray(0, 600)],
    ];
    for (const [name, bytes] of cases) expect(await decode(bytes), name).toBeNull();
    expect(await decode(dog, 768 * 576 - 1)).toBeNull();
    expect(await decode(dog, 768 * 576)).not.toBeNull();
  });

  it('survives corrupt bytes: 300 mutants of a real JPEG decode, or answer null, without harm', async () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / (1 << 24);
    let decoded = 0;
    for (let i = 0; i < 300; i++) {
      const m = Buffer.from(dog.subarray(0, 2000 + Math.floor(rand() * (dog.length - 2000))));
      for (let k = 0; k < 1 + rand() * 20; k++) m[2 + Math.floor(rand() * (m.length - 2))] = Math.floor(rand() * 256);
      const out = await decode(m);
      if (out) {
        decoded++;
        expect(out.data.length).toBe(out.width * out.height * 3);
      }
    }
    expect(decoded).toBeLessThan(300);
  }, 60_000);

  it('toPixels takes the native path for JPEG files and bytes, with the same result as sharp\'s', async () => {
    const file = join(DARKNET_SHARE, 'data', 'dog.jpg');
    const a = await toPixels(file);
    const b = await toPixels(dog);
    const s = await viaSharp(dog);
    expect(Buffer.compare(Buffer.from(a.data), s)).toBe(0);
    expect(Buffer.compare(Buffer.from(b.data), s)).toBe(0);
    expect([a.width, a.height, a.channels]).toEqual([768, 576, 3]);
  });
});

describe('decoding into a lent buffer (lib/pixel-scratch.ts)', () => {
  it('the pixels are the same in a lent buffer as in a new one; one too small is left alone', async () => {
    const fresh = await decode(dog);
    const into = new Uint8Array(fresh!.data.length + 100).fill(7);
    const lent = await addon.decodeJpeg!(dog, 1e8, into);
    expect(lent!.data).toBe(into); // the same array back, not a copy
    expect(Buffer.from(into.subarray(0, fresh!.data.length)).equals(Buffer.from(fresh!.data))).toBe(true);
    expect(into[fresh!.data.length]).toBe(7); // nothing written past the pixels
    const small = new Uint8Array(1000).fill(9);
    const other = await addon.decodeJpeg!(dog, 1e8, small);
    expect(other!.data).not.toBe(small);
    expect(Buffer.from(other!.data).equals(Buffer.from(fresh!.data))).toBe(true);
    expect(small.every((v) => v === 9)).toBe(true);
  });

  it('detect() gives the same detections image after image, sizes changing, calls overlapping, raw input never reused', async () => {
    const fx = await ensureModel('tiny');
    const d = await Detector.load({ cfg: fx.cfg, weights: fx.weights });
    try {
      const files = ['dog', 'horses', 'eagle', 'dog', 'person', 'giraffe'].map((n) => readFileSync(join(DARKNET_SHARE, 'data', `${n}.jpg`)));
      const expected = [];
      for (const f of files) expected.push(await d.detect(await toPixels(f))); // raw pixels: nothing lent
      const one = [];
      for (const f of files) one.push(await d.detect(f));
      expect(one).toEqual(expected);
      expect(await Promise.all(files.map((f) => d.detect(f)))).toEqual(expected);
      const raw = await toPixels(files[0]!);
      const copy = Buffer.from(raw.data);
      await d.detect(raw);
      await d.detect(files[1]!); // would overwrite raw.data had it been kept as the spare
      expect(Buffer.from(raw.data).equals(copy)).toBe(true);
    } finally {
      d.dispose();
    }
  });
});
