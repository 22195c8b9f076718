/**
 * The one validation authority (lib/is.ts and the rules in lib/options.ts): every refusal is a
 * BAD_INPUT naming the option and what it must be; the rules the native bridge relies on
 * (threads, thresholds, device, images too thin to letterbox, raw channels) hold here.
 */
import { describe, expect, it } from 'vitest';
import { DarknetError } from '../../lib/errors.js';
import { checkGeometry } from '../../lib/geometry.js';
import { toPixels } from '../../lib/input.js';
import * as is from '../../lib/is.js';
import * as rules from '../../lib/options.js';

function refusal(f: () => unknown): DarknetError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DarknetError);
    expect((e as DarknetError).code).toBe('BAD_INPUT');
    return e as DarknetError;
  }
  throw new Error('not refused');
}

describe('lib/is.ts: one error shape', () => {
  it('"<name> must be <expected>, got <value>"', () => {
    expect(refusal(() => is.integer('batch', 0, 1, 1024)).message).toBe('batch must be an integer in [1, 1024], got 0');
    expect(refusal(() => is.integer('top', 1.5, 1)).message).toBe('top must be a positive integer, got 1.5');
    expect(refusal(() => is.integer('every', -1, 0)).message).toBe('every must be a non-negative integer, got -1');
    expect(refusal(() => is.number('nms', Number.NaN, 0, 1)).message).toBe('nms must be a number in [0, 1], got NaN');
    expect(refusal(() => is.number('fps', 0, 0, 1000, { lo: true })).message).toBe('fps must be a number in (0, 1000], got 0');
    expect(refusal(() => is.oneOf('policy', 'some', ['all', 'latest'])).message).toBe("policy must be one of 'all', 'latest', got \"some\"");
    expect(refusal(() => is.boolean('frames', 'yes')).message).toBe('frames must be a boolean, got "yes"');
    expect(refusal(() => is.object(null)).message).toBe('options must be an object');
    expect(refusal(() => is.object([])).message).toBe('options must be an object');
    expect(refusal(() => is.signal('soon')).message).toBe('signal must be an AbortSignal');
    expect(refusal(() => is.fn('onProgress', 1)).message).toBe('onProgress must be a function');
    expect(refusal(() => is.array('detectBatch', 'a.png', 'images')).message).toBe('detectBatch needs an array of images');
  });
  it('values pass through unchanged; only undefined means "not given"', () => {
    expect(is.integer('x', 3, 1, 4)).toBe(3);
    expect(is.optional(undefined, (x) => is.integer('x', x, 1))).toBeUndefined();
    refusal(() => is.optional(null, (x) => is.integer('x', x, 1)));
    expect(is.describe({})).toBe('an object');
    expect(is.describe('x'.repeat(100))).toHaveLength(63);
  });
});

describe('lib/options.ts: the rules the native bridge relies on', () => {
  it('threads: an integer in [0, MAX_THREADS]', () => {
    expect(rules.threads(0)).toBe(0);
    expect(rules.threads(rules.MAX_THREADS)).toBe(rules.MAX_THREADS);
    for (const v of [-1, 1.5, rules.MAX_THREADS + 1, Number.NaN, '2', null]) expect(refusal(() => rules.threads(v)).message).toMatch(/^threads must be an integer in \[0, \d+\] \(0 = all cores; at most 4 per core\)/);
  });
  it('device: cpu, gpu or an index in [0, 1024]', () => {
    expect(rules.deviceIndex(undefined)).toBe(-1);
    expect(rules.deviceIndex('cpu')).toBe(-1);
    expect(rules.deviceIndex('gpu')).toBe(0);
    expect(rules.deviceIndex(3)).toBe(3);
    for (const v of [-1, 1.5, 1025, 'cuda', null, Number.NaN]) expect(refusal(() => rules.deviceIndex(v)).message).toMatch(/^device must be 'cpu', 'gpu' or a CUDA device index/);
  });
  it('thresholds: finite numbers in [0, 1], for detect and for video streams alike', () => {
    expect(rules.detectOptions({})).toEqual({ thresh: 0.5, hier: 0.5, nms: 0.45, letterbox: true, maxPixels: undefined });
    for (const k of ['thresh', 'hierThresh', 'nms']) {
      for (const v of [-0.1, 1.1, Number.NaN, Infinity, '0.5', null]) expect(refusal(() => rules.detectOptions({ [k]: v })).message).toMatch(new RegExp(`^${k} must be a number in \\[0, 1\\]`));
    }
    refusal(() => rules.detectOptions({ letterbox: 'yes' }));
    refusal(() => rules.detectOptions({ maxPixels: 0 }));
    refusal(() => rules.detectOptions(null));
  });
  it('classify: top ≥ 1 (capped at the outputs), preprocess one of three', () => {
    expect(rules.classifyOptions({ top: 50 }, 10)).toEqual({ top: 10, prep: 'letterbox', maxPixels: undefined });
    refusal(() => rules.classifyOptions({ top: 0 }, 10));
    expect(refusal(() => rules.classifyOptions({ preprocess: 'stretch' }, 10)).message).toMatch(/^preprocess must be one of 'letterbox', 'crop', 'resize'/);
  });
  it('network sides, batch, numerics, maxBytes', () => {
    expect(rules.side('width', 416)).toBe(416);
    refusal(() => rules.side('width', 400));
    refusal(() => rules.batch(0));
    refusal(() => rules.numerics('fast', true, -1));
    refusal(() => rules.numerics('fast', false, 0));
    expect(rules.numerics(undefined, false, -1)).toBe('fast');
    expect(rules.numerics(undefined, false, 0)).toBe('reference');
    for (const v of [0, -1, Infinity, 'lots']) expect(refusal(() => rules.maxBytes(v)).message).toMatch(/^maxBytes must be a positive number of bytes/);
  });
});

describe('images: too thin to letterbox, and channels', () => {
  it('a side letterboxed to under 2 pixels is refused (as letterbox_image computes it)', () => {
    expect(refusal(() => checkGeometry(2000, 2, 416, 416, 'letterbox')).message).toMatch(/too thin to letterbox into 416×416 \(it would become 416×0/);
    expect(refusal(() => checkGeometry(1, 500, 416, 416, 'letterbox')).message).toMatch(/too thin/);
    expect(() => checkGeometry(416, 2, 416, 416, 'letterbox')).not.toThrow();
    expect(() => checkGeometry(2000, 2, 416, 416, 'resize')).not.toThrow();
    expect(() => checkGeometry(2000, 2, 416, 416, 'crop')).not.toThrow();
  });
  it('raw pixels: 1, 3 or 4 channels, exact length, sides in [1, 65535]', async () => {
    const bad = async (input: unknown) => expect(toPixels(input as never)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await bad({ data: new Uint8Array(8), width: 2, height: 2, channels: 2 });
    await bad({ data: new Uint8Array(5 * 4), width: 2, height: 2, channels: 5 });
    await bad({ data: new Uint8Array(11), width: 2, height: 2, channels: 3 });
    await bad({ data: new Uint8Array(0), width: 0, height: 2, channels: 3 });
    await expect(toPixels({ data: new Uint8Array(12), width: 2, height: 2, channels: 3 })).resolves.toMatchObject({ width: 2, channels: 3 });
    await expect(toPixels({ data: new Uint8Array(12), width: 2, height: 2, channels: 3 }, { maxPixels: 0 })).rejects.toMatchObject({ code: 'BAD_INPUT', message: /maxPixels/ });
  });
});
