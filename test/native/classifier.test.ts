/**
 * Classifier: the layers classifiers add run as libdarknet.so runs them, batches equal single
 * calls, every input kind, options checked once, what is not a classifier refused, corrupt
 * weights reported, disposal.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCfg } from '../../lib/cfg/parse.js';
import { validateCfg } from '../../lib/cfg/validate.js';
import { Classifier } from '../../lib/classifier.js';
import { IMAGENET_NAMES } from '../../lib/imagenet.js';
import { writeRandomWeights } from '../../lib/random-weights.js';
import { ensureClassifier, maxAbsDiff, referenceProbabilities, type ClassifierFixture } from '../helpers/classifiers.js';
import { CACHE, cfgPath, DARKNET_SHARE, pngPath, readRaw, SAMPLE_IMAGES, weightsPath } from '../helpers/fixtures.js';

/** crop, grouped convolution, shortcut, maxpool, route, dropout, connected, softmax, cost */
const MINI = `[net]
batch=1
width=64
height=64
channels=3
[crop]
crop_height=56
crop_width=56
[convolutional]
batch_normalize=1
filters=16
size=3
stride=2
pad=1
activation=leaky
[convolutional]
batch_normalize=1
filters=16
size=3
pad=1
groups=4
activation=leaky
[shortcut]
from=-2
activation=linear
[maxpool]
size=2
stride=2
[convolutional]
filters=8
size=1
activation=leaky
[route]
layers=-1,-2
[convolutional]
batch_normalize=1
filters=32
size=3
stride=2
pad=1
activation=leaky
[dropout]
probability=.5
[connected]
output=64
activation=leaky
[connected]
output=10
activation=linear
[softmax]
groups=1
[cost]
type=sse
`;

const mini = async (name: string, text: string): Promise<ClassifierFixture> => {
  const cfg = join(CACHE, `${name}.cfg`);
  const weights = join(CACHE, `${name}.weights`);
  writeFileSync(cfg, text);
  await writeRandomWeights(validateCfg(parseCfg(text)), weights, { seed: 5, classifierGain: 8 });
  return { name: 'tiny', cfg, weights };
};

describe('layers classifiers add, against libdarknet.so', () => {
  // with dropout the lean network keeps every layer's output; without, outputs share buffers
  it.each([
    ['with dropout', MINI],
    ['without dropout (pooled outputs, the softmax read before a trailing [cost])', MINI.replace('[dropout]\nprobability=.5\n', '')],
  ])('%s: reference within 1e-4 of libdarknet.so, fast within 1e-4 of reference', async (name, text) => {
    const fx = await mini(`cls-mini-${name.split(' ')[1]}`, text);
    const images = ['dog', 'person'] as const;
    const ref = await referenceProbabilities(fx, 'letterbox', images);
    for (const numerics of ['reference', 'fast'] as const) {
      const c = await Classifier.load({ cfg: fx.cfg, weights: fx.weights, numerics });
      expect(c.classes).toBe(10);
      expect(c.outputLayer).toBe(c.shape.layers.length - 2);
      for (const [i, img] of images.entries()) {
        const r = await c.classify(pngPath(img), { top: 3 });
        expect(maxAbsDiff(r.probabilities, ref[i]!)).toBeLessThan(1e-4);
        // no names for a 10-class network: numbered
        expect(r.top.map((t) => t.className)).toEqual(r.top.map((t) => `class${t.classId}`));
      }
      c.dispose();
    }
    // the two inputs differ: a comparison of something
    expect(maxAbsDiff(ref[0]!, ref[1]!)).toBeGreaterThan(1e-3);
  });
});

describe('Classifier', () => {
  let fx: ClassifierFixture;
  let c: Classifier;

  beforeAll(async () => {
    fx = await ensureClassifier('tiny');
    c = await Classifier.load({ cfg: fx.cfg, weights: fx.weights, numerics: 'reference' });
  });
  afterAll(() => c?.dispose());

  it('names 1000-class networks with ImageNet\'s short names, sorts as Darknet\'s top_k, and returns every probability', async () => {
    const r = await c.classify(pngPath('dog'));
    expect(r.top).toHaveLength(5);
    expect(r.probabilities).toHaveLength(1000);
    const sum = r.probabilities.reduce((a, p) => a + p, 0);
    expect(sum).toBeCloseTo(1, 4);
    for (const t of r.top) expect(t.className).toBe(IMAGENET_NAMES[t.classId]);
    const sorted = [...r.probabilities.keys()].sort((a, b) => r.probabilities[b]! - r.probabilities[a]! || a - b);
    expect(r.top.map((t) => t.classId)).toEqual(sorted.slice(0, 5));
    expect(r.top.map((t) => t.probability)).toEqual(sorted.slice(0, 5).map((k) => r.probabilities[k]));
    // top is capped at the network's outputs
    expect((await c.classify(pngPath('dog'), { top: 5000 })).top.map((t) => t.classId)).toEqual(sorted);
  });

  it('takes a path, encoded bytes, raw pixels and a sharp pipeline alike', async () => {
    const byPath = await c.classify(pngPath('eagle'));
    expect(await c.classify(readFileSync(pngPath('eagle')))).toEqual(byPath);
    expect(await c.classify(readRaw('eagle'))).toEqual(byPath);
    expect(await c.classify(sharp(pngPath('eagle')))).toEqual(byPath);
  });

  it('classifyBatch: batch images per pass, the same results as one call per image, in order', async () => {
    const b = await Classifier.load({ cfg: fx.cfg, weights: fx.weights, numerics: 'reference', batch: 3 });
    try {
      const images = SAMPLE_IMAGES.map(pngPath);
      for (const preprocess of ['letterbox', 'crop'] as const) {
        const batched = await b.classifyBatch(images, { top: 3, preprocess });
        const single = await Promise.all(images.map((i) => c.classify(i, { top: 3, preprocess })));
        expect(batched).toHaveLength(5);
        batched.forEach((r, i) => expect(maxAbsDiff(r.probabilities, single[i]!.probabilities)).toBeLessThan(1e-6));
        expect(batched.map((r) => r.top.map((t) => t.classId))).toEqual(single.map((r) => r.top.map((t) => t.classId)));
      }
      // an undecodable image is named by its position
      await expect(b.classifyBatch([pngPath('dog'), new Uint8Array([1, 2, 3])])).rejects.toMatchObject({ code: 'IMAGE_DECODE', index: 1 });
    } finally {
      b.dispose();
    }
  });

  it('forward() returns the softmax of raw planar input for the whole batch', async () => {
    const out = await c.forward(new Float32Array(224 * 224 * 3).fill(0.5));
    expect(out).toHaveLength(1000);
    expect(out.reduce((a, p) => a + p, 0)).toBeCloseTo(1, 4);
    await expect(c.forward(new Float32Array(10))).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('checks its options once, before any work', async () => {
    await expect(c.classify(pngPath('dog'), { top: 0 })).rejects.toMatchObject({ code: 'BAD_INPUT', message: /top/ });
    await expect(c.classify(pngPath('dog'), { top: 1.5 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(c.classify(pngPath('dog'), { preprocess: 'stretch' as never })).rejects.toMatchObject({ code: 'BAD_INPUT', message: /preprocess/ });
    await expect(c.classify(pngPath('dog'), null as never)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(c.classifyBatch('dog' as never)).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('refuses an image too thin to letterbox, and center-crops it to its one-pixel square', async () => {
    const thin = { data: new Uint8Array(1 * 600 * 3).fill(200), width: 1, height: 600, channels: 3 as const };
    await expect(c.classify(thin)).rejects.toMatchObject({ code: 'BAD_INPUT', message: /too thin to letterbox/ });
    const r = await c.classify(thin, { preprocess: 'crop' });
    expect(r.probabilities.every(Number.isFinite)).toBe(true);
  });

  it('uses the names it is given', async () => {
    const names = IMAGENET_NAMES.map((n) => n.toUpperCase());
    const u = await Classifier.load({ cfg: fx.cfg, weights: fx.weights, names });
    try {
      const r = await u.classify(pngPath('dog'), { top: 1 });
      expect(r.top[0]!.className).toBe(IMAGENET_NAMES[r.top[0]!.classId]!.toUpperCase());
    } finally {
      u.dispose();
    }
  });
});

describe('what is not a classifier, or not runnable, is refused', () => {
  it('a detector', async () => {
    await expect(Classifier.load({ cfg: cfgPath('tiny'), weights: weightsPath('tiny') })).rejects.toMatchObject({ code: 'CFG_UNSUPPORTED', message: /it is a detector/ });
  });

  it('a network that ends without a softmax (a backbone cfg)', async () => {
    await expect(Classifier.load({ cfg: join(DARKNET_SHARE, 'cfg', 'vgg-conv.cfg'), weights: null })).rejects.toMatchObject({ code: 'CFG_UNSUPPORTED', message: /\[convolutional\], not \[softmax\]/ });
  });

  it('weights made for another network', async () => {
    const fx = await ensureClassifier('tiny');
    await expect(Classifier.load({ cfg: join(DARKNET_SHARE, 'cfg', 'darknet.cfg'), weights: fx.weights })).rejects.toMatchObject({ code: 'WEIGHTS_SIZE', file: fx.weights });
  });

  it('corrupt weights: a typed error naming the output, and the classifier stays usable', async () => {
    const fx = await mini('cls-mini-nan', MINI);
    const buf = readFileSync(fx.weights);
    new Float32Array(buf.buffer, buf.byteOffset + buf.length - 4 * 640, 640).fill(Number.NaN); // the scoring layer
    const bad = join(CACHE, 'cls-mini-nan-bad.weights');
    writeFileSync(bad, buf);
    const c = await Classifier.load({ cfg: fx.cfg, weights: bad, numerics: 'reference' });
    try {
      await expect(c.classify(pngPath('dog'))).rejects.toMatchObject({ code: 'DARKNET', message: /not finite/ });
      await expect(c.classify(pngPath('dog'))).rejects.toMatchObject({ code: 'DARKNET' });
    } finally {
      c.dispose();
    }
  });

  it('an aborted load, and calls after dispose', async () => {
    const fx = await ensureClassifier('tiny');
    const ac = new AbortController();
    ac.abort();
    await expect(Classifier.load({ cfg: fx.cfg, weights: fx.weights, signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    const c = await Classifier.load({ cfg: fx.cfg, weights: fx.weights });
    const pending = c.classify(pngPath('dog'));
    await c[Symbol.asyncDispose]();
    expect((await pending).top).toHaveLength(5); // accepted before disposal: it finishes
    await expect(c.classify(pngPath('dog'))).rejects.toMatchObject({ code: 'DISPOSED', message: /classifier has been disposed/ });
  });
});
