/**
 * TypeScript is the one validation authority: each rule the native bridge relies on (threads,
 * thresholds, images too thin to letterbox, 3-channel networks, raw pixel channels, device,
 * forward input length) is refused on every path — detect, detectBatch, classify, raw pixels,
 * video frames, the pool, setThreads, load — before the native bridge is called.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Classifier } from '../../lib/classifier.js';
import { Detector } from '../../lib/detector.js';
import { MAX_THREADS } from '../../lib/options.js';
import { SHAPES_MODEL } from '../../lib/models.js';
import { DetectorPool } from '../../lib/pool.js';
import { CACHE } from '../helpers/fixtures.js';

const DIR = join(CACHE, 'validation');
const CLASSIFIER = `[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nfilters=4\nsize=3\nstride=2\npad=1\nactivation=leaky\n[avgpool]\n[softmax]\n`;
const THIN = { data: new Uint8Array(2000 * 2 * 3), width: 2000, height: 2, channels: 3 as const };
const OK = { data: new Uint8Array(64 * 64 * 3).fill(128), width: 64, height: 64, channels: 3 as const };

/** Replaces a product's native network by a proxy that records the calls reaching it. */
function spyNative(product: Detector | Classifier): string[] {
  const calls: string[] = [];
  const h = product as unknown as { net: Record<string | symbol, unknown> };
  const real = h.net;
  h.net = new Proxy(real, {
    get(target, key) {
      const v = Reflect.get(target, key, target);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls.push(String(key));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
    set(target, key, value) {
      calls.push(`set ${String(key)}`);
      return Reflect.set(target, key, value, target);
    },
  });
  return calls;
}

const refused = async (p: Promise<unknown>, re: RegExp) => {
  await expect(p).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(re) });
};

let det: Detector;
let cls: Classifier;
let pool: DetectorPool;

beforeAll(async () => {
  mkdirSync(DIR, { recursive: true });
  writeFileSync(join(DIR, 'classifier.cfg'), CLASSIFIER);
  det = await Detector.load({ cfg: SHAPES_MODEL.cfg, weights: SHAPES_MODEL.weights, batch: 2 });
  cls = await Classifier.load({ cfg: join(DIR, 'classifier.cfg'), weights: null, batch: 2 });
  pool = await DetectorPool.load({ cfg: SHAPES_MODEL.cfg, weights: SHAPES_MODEL.weights, instances: 2 });
});

afterAll(() => {
  det?.dispose();
  cls?.dispose();
  pool?.dispose();
});

describe('refused in TypeScript, before the native bridge', () => {
  it('detect and detectBatch: thresholds, thin images, raw channels', async () => {
    const calls = spyNative(det);
    for (const o of [{ thresh: 2 }, { hierThresh: -1 }, { nms: Number.NaN }]) await refused(det.detect(OK, o), /must be a number in \[0, 1\]/);
    await refused(det.detect(THIN), /too thin to letterbox/);
    await refused(det.detectBatch([OK, THIN]), /^input 1: .*too thin/);
    await refused(det.detect({ ...OK, channels: 2 as never }), /channels must be 1, 3 or 4/);
    await refused(det.forward(new Float32Array(10)), /input has 10 floats, the network takes \d+/);
    await refused(det.setThreads(MAX_THREADS + 1), /^threads must be an integer/);
    expect(calls).toEqual([]);
    // what passes the checks does reach it
    await det.detect(THIN, { letterbox: false });
    expect(calls).toEqual(['detect']);
  });

  it('classify and classifyBatch: thin images, top, preprocess', async () => {
    const calls = spyNative(cls);
    await refused(cls.classify(THIN), /too thin to letterbox/);
    await refused(cls.classifyBatch([OK, THIN]), /^input 1: .*too thin/);
    await refused(cls.classify(OK, { top: 0 }), /^top must be a positive integer/);
    await refused(cls.classify(OK, { preprocess: 'stretch' as never }), /^preprocess must be one of/);
    await refused(cls.classify({ ...OK, channels: 2 as never }), /channels must be 1, 3 or 4/);
    expect(calls).toEqual([]);
  });

  it('the pool: its threads option, and every copy\'s detect rules', async () => {
    const calls = pool.detectors.map((d) => spyNative(d));
    await refused(DetectorPool.load({ cfg: SHAPES_MODEL.cfg, weights: SHAPES_MODEL.weights, threads: -1 }), /^threads must be an integer/);
    await refused(pool.detect(THIN), /too thin/);
    await refused(pool.detectBatch([THIN], { thresh: 0.5 }), /too thin/);
    await refused(pool.detect(OK, { thresh: Infinity }), /^thresh must be a number in \[0, 1\]/);
    expect(calls.flat()).toEqual([]);
  });

  it('video frames: the stream checks the detect options up front, and each frame as detect() does', async () => {
    const calls = spyNative(det);
    expect(() => det.detectStream([OK], { thresh: 1.5 })).toThrow(/^thresh must be a number in \[0, 1\]/);
    expect(() => det.detectStream([OK], { nms: -1 })).toThrow(/^nms must be a number in \[0, 1\]/);
    const frames: unknown[] = [];
    const iterate = async () => { for await (const f of det.detectStream([THIN], { track: false })) frames.push(f); };
    await refused(iterate(), /too thin/);
    expect(frames).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('load: threads, device, numerics, and networks that do not take 3 channels', async () => {
    const base = { cfg: SHAPES_MODEL.cfg, weights: SHAPES_MODEL.weights };
    // the TypeScript wording (the native bridge would not say "per core")
    await refused(Detector.load({ ...base, threads: 100_000 }), /at most 4 per core/);
    for (const device of [-1, 1.5, 'cuda', 5000]) await refused(Detector.load({ ...base, device: device as never }), /^device must be 'cpu', 'gpu' or a CUDA device index/);
    await refused(Detector.load({ ...base, numerics: 'quick' as never }), /^numerics must be one of/);
    const four = join(DIR, 'four.cfg');
    writeFileSync(four, CLASSIFIER.replace('channels=3', 'channels=4'));
    await expect(Classifier.load({ cfg: four, weights: null })).rejects.toMatchObject({ code: 'CFG_UNSUPPORTED', message: /channels=4: images are fed as RGB/ });
  });
});
