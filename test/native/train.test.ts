/**
 * Training from Node with Darknet's own trainer: progress per iteration, checkpoints, abort,
 * and typed errors naming the file and line for bad training data.
 */
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCfg } from '../../lib/cfg/parse.js';
import { validateCfg } from '../../lib/cfg/validate.js';
import { Detector } from '../../lib/detector.js';
import { partialWeights } from '../../lib/partial.js';
import { writeRandomWeights } from '../../lib/random-weights.js';
import { generateSyntheticDataset, labelPathFor, Trainer, type SyntheticDataset, type TrainProgress } from '../../lib/train/index.js';
import { native } from '../../lib/native.js';
import { CACHE } from '../helpers/fixtures.js';
import { CFG } from '../helpers/train-cfg.js';

/** glibc's rand() after srand(seed) (the TYPE_3 additive generator native/guard/rand.c reproduces). */
function glibcRand(seed: number): () => number {
  const r: number[] = [seed | 0 || 1];
  for (let i = 1; i < 31; i++) {
    const v = (16807 * r[i - 1]!) % 2147483647;
    r.push(v < 0 ? v + 2147483647 : v);
  }
  for (let i = 31; i < 34; i++) r.push(r[i - 31]!);
  for (let i = 34; i < 344; i++) r.push((r[i - 31]! + r[i - 3]!) >>> 0);
  return () => {
    const i = r.length;
    r.push((r[i - 31]! + r[i - 3]!) >>> 0);
    return r[i]! >>> 1;
  };
}

const dir = join(CACHE, 'train');
const cfg = join(dir, 'shapes-tiny.cfg');
let ds: SyntheticDataset;

beforeAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  ds = await generateSyntheticDataset({ dir: join(dir, 'data'), seed: 3, train: 24, val: 4, width: 64, height: 64, minSize: 10, maxSize: 28, maxShapes: 2 });
  writeFileSync(cfg, CFG);
});

describe('Trainer', () => {
  it('runs Darknet\'s trainer with a progress event per iteration, checkpoints and final weights', async () => {
    const trainer = new Trainer();
    const events: TrainProgress[] = [];
    const checkpoints: string[] = [];
    trainer.on('progress', (p: TrainProgress) => events.push(p));
    trainer.on('checkpoint', (p: string) => checkpoints.push(p));
    const r = await trainer.train({ cfg, data: ds.dataFile, maxBatches: 4, checkpointEvery: 2, outDir: join(dir, 'out') });
    expect(events.map((e) => e.iteration)).toEqual([1, 2, 3, 4]);
    for (const e of events) {
      // random=0 in this cfg: every iteration at the cfg's size
      expect([e.width, e.height]).toEqual([64, 64]);
      expect(Number.isFinite(e.loss) && e.loss > 0).toBe(true);
      expect(e.learningRate).toBeCloseTo(0.001, 6);
      expect(e.elapsed).toBeGreaterThanOrEqual(0);
    }
    expect(events[3]!.imagesSeen).toBe(32);
    expect(checkpoints).toEqual([join(dir, 'out', 'shapes-tiny_2.weights')]);
    expect(r).toMatchObject({ weights: join(dir, 'out', 'shapes-tiny_final.weights'), iterations: 4, aborted: false });
    // the result is an ordinary .weights file for the same cfg
    const det = await Detector.load({ cfg, weights: r.weights, batch: 1 });
    expect(Array.isArray(await det.detect(ds.images[0]!.path, { thresh: 0.01 }))).toBe(true);
    expect(det.weightsHeader).toMatchObject({ major: 0, minor: 2, seen: 32 });
    det.dispose();
    // and training continues from it
    const more = await new Trainer().train({ cfg, data: ds.trainList, initialWeights: r.weights, maxBatches: 5, checkpointEvery: 0, outDir: join(dir, 'out2') });
    expect(more.iterations).toBe(5);
    expect(more.initialLayers).toBe(6); // a complete file holds every layer
  });

  it('starts from the first layers of a network (a partialWeights file), whose later layers keep their random initialisation', async () => {
    const shape = validateCfg(parseCfg(CFG));
    const full = join(dir, 'full.weights');
    // layers 0–2: two batch-normalised convolutions and a maxpool; the head convolution is left out
    const prefix = async (seed: number) => {
      await writeRandomWeights(shape, full, { seed });
      return (await partialWeights({ cfg, weights: full, out: join(dir, `prefix-${seed}.weights`), layers: 3 })).file;
    };
    const train = async (initialWeights: string) => {
      const losses: number[] = [];
      const t = new Trainer();
      t.on('progress', (p: TrainProgress) => losses.push(p.loss));
      const r = await t.train({ cfg, data: ds.trainList, initialWeights, maxBatches: 2, checkpointEvery: 0, outDir: join(dir, 'prefix-out'), seed: 11 });
      return { r, losses };
    };
    const a = await prefix(1);
    const first = await train(a);
    expect(first.r).toMatchObject({ initialLayers: 3, iterations: 2 });
    expect(first.losses.every((l) => Number.isFinite(l) && l > 0)).toBe(true);
    expect((await train(a)).losses).toEqual(first.losses);
    // Another prefix changes the first loss: it was read, and the head convolution after it was
    // drawn at random. Left at zero (the initialisation a complete file skips), the head would
    // output 0 whatever layers 0–2 hold, and the first loss would not change.
    expect((await train(await prefix(2))).losses[0]).not.toBe(first.losses[0]);
    // the result is complete weights
    const det = await Detector.load({ cfg, weights: first.r.weights, batch: 1 });
    det.dispose();
    // a detector needs every layer
    await expect(Detector.load({ cfg, weights: a, batch: 1 })).rejects.toMatchObject({ code: 'WEIGHTS_SIZE' });
    // a file cut inside a layer is refused, naming the layer
    const cut = join(dir, 'cut.weights');
    writeFileSync(cut, readFileSync(a).subarray(0, -4));
    await expect(new Trainer().train({ cfg, data: ds.trainList, initialWeights: cut, maxBatches: 1, outDir: join(dir, 'prefix-out') }))
      .rejects.toMatchObject({ code: 'WEIGHTS_SIZE', file: cut, message: expect.stringMatching(/inside layer 2 \(convolutional, line 28\)/) });
  });

  it('stops on an AbortSignal after the current iteration and still writes the weights', async () => {
    const ac = new AbortController();
    const trainer = new Trainer();
    trainer.on('progress', (p: TrainProgress) => { if (p.iteration === 2) ac.abort(); });
    const r = await trainer.train({ cfg, data: ds.images.map((i) => i.path), maxBatches: 1000, checkpointEvery: 0, outDir: join(dir, 'abort'), signal: ac.signal });
    expect(r.aborted).toBe(true);
    expect(r.iterations).toBeLessThan(10);
    expect(existsSync(r.weights)).toBe(true);
  });

  it('is reproducible from its seed, and networks loaded, run and disposed on other threads meanwhile change nothing', async () => {
    // dropout draws from the random stream on every pass, as augmentation does for every image
    const dropCfg = join(dir, 'shapes-dropout.cfg');
    writeFileSync(dropCfg, CFG.replace('[maxpool]\nsize=2\nstride=2\n', '[maxpool]\nsize=2\nstride=2\n[dropout]\nprobability=.2\n'));
    const losses = async (seed: number, busy?: () => Promise<void>) => {
      const seen: number[] = [];
      const t = new Trainer();
      t.on('progress', (p: TrainProgress) => seen.push(p.loss));
      let training = true;
      const noise = busy ? (async () => { while (training) await busy(); })() : Promise.resolve();
      noise.catch(() => undefined); // awaited below; a failure there fails the test, not the run
      try {
        const r = await t.train({ cfg: dropCfg, data: ds.trainList, maxBatches: 6, checkpointEvery: 0, outDir: join(dir, 'seeded'), seed });
        expect(r.seed).toBe(seed);
      } finally {
        training = false;
        await noise;
      }
      return seen;
    };
    const alone = await losses(7);
    expect(alone).toHaveLength(6);
    expect(await losses(7)).toEqual(alone);
    expect(await losses(8)).not.toEqual(alone);
    // a copy: the run below rewrites its own final weights in that folder
    const trained = join(dir, 'shapes-dropout-trained.weights');
    copyFileSync(join(dir, 'seeded', 'shapes-dropout_final.weights'), trained);
    // Loads with weights (random init skipped on their thread), loads without (random init drawn
    // there; make_yolo_layer reseeds), detects and disposes, on the other libuv threads.
    let loads = 0;
    const busy = async () => {
      await Promise.all([
        (async () => { const d = await Detector.load({ cfg: dropCfg, weights: trained, batch: 1 }); await d.detect(ds.images[0]!.path); d.dispose(); })(),
        (async () => { const d = await Detector.load({ cfg, weights: null, batch: 1, numerics: 'reference' }); d.dispose(); })(),
      ]);
      loads += 2;
    };
    expect(await losses(7, busy)).toEqual(alone);
    expect(loads).toBeGreaterThan(0);
    await expect(new Trainer().train({ cfg, data: ds.trainList, maxBatches: 1, seed: -1 })).rejects.toMatchObject({ code: 'BAD_INPUT', message: /seed/ });
  });

  it('names the file and line of bad training data instead of exiting', async () => {
    const img = ds.images[1]!.path;
    const label = labelPathFor(img);
    expect(label).toBe(ds.images[1]!.labelPath);
    const run = (data: string[]) => new Trainer().train({ cfg, data, maxBatches: 1, outDir: join(dir, 'bad') });
    await expect(run([join(dir, 'data', 'images', 'train', 'missing.png')])).rejects.toMatchObject({ code: 'ENOENT' });
    writeFileSync(label, '0 0.5 0.5 0.2 0.2\n1 0.5 oops 0.2 0.2\n');
    await expect(run([img])).rejects.toMatchObject({ code: 'DATASET', file: label, line: 2 });
    writeFileSync(label, '7 0.5 0.5 0.2 0.2\n');
    await expect(run([img])).rejects.toMatchObject({ code: 'DATASET', file: label, line: 1, message: expect.stringMatching(/class 7 is outside the 5 classes/) });
    rmSync(label);
    await expect(run([img])).rejects.toMatchObject({ code: 'ENOENT', file: label });
    await expect(new Trainer().train({ cfg, data: [img], maxBatches: 0 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  describe('random=1 (multi-scale, as train_detector)', () => {
    // one image per iteration and a small rate: sizes up to 608 stay quick and the loss finite
    const multiCfg = join(dir, 'shapes-random.cfg');
    const sizes = async (opts: { seed: number; maxBatches: number; stopAt: number }) => {
      const ac = new AbortController();
      const seen: TrainProgress[] = [];
      const t = new Trainer();
      t.on('progress', (p: TrainProgress) => { seen.push(p); if (p.iteration >= opts.stopAt) ac.abort(); });
      const r = await t.train({ cfg: multiCfg, data: data.trainList, maxBatches: opts.maxBatches, checkpointEvery: 0, outDir: join(dir, 'random'), seed: opts.seed, signal: ac.signal });
      expect(seen.map((p) => p.iteration)).toEqual(Array.from({ length: r.iterations }, (_, i) => i + 1));
      for (const p of seen) {
        expect(p.height).toBe(p.width);
        expect(Number.isFinite(p.loss)).toBe(true);
      }
      return seen.map((p) => p.width);
    };
    // its own images: the test above damages a label file of the shared set
    let data: SyntheticDataset;
    beforeAll(async () => {
      data = await generateSyntheticDataset({ dir: join(dir, 'random-data'), seed: 4, train: 12, val: 1, width: 64, height: 64, minSize: 10, maxSize: 28, maxShapes: 2 });
      writeFileSync(multiCfg, CFG.replace('batch=8', 'batch=1').replace('learning_rate=0.001', 'learning_rate=0.00001').replace('random=0', 'random=1'));
    });

    it('resizes before iterations 1, 11, 21, … to a seeded multiple of 32 in 320..608', async () => {
      const seed = 5;
      const w = await sizes({ seed, maxBatches: 1000, stopAt: 21 });
      expect(w.length).toBeGreaterThanOrEqual(21);
      for (const x of w) {
        expect(x % 32).toBe(0);
        expect(x).toBeGreaterThanOrEqual(320);
        expect(x).toBeLessThanOrEqual(608);
        expect(x).not.toBe(64);
      }
      // Darknet's count++ % 10 == 0 before loading a batch: iterations 1–10, 11–20, 21–30 share a size
      for (let i = 0; i < w.length; i++) expect(w[i]).toBe(w[i - (i % 10)]);
      expect(w[10]).not.toBe(w[9]);
      expect(w[20]).not.toBe(w[19]);
      // the first draw is the first rand() after seeding: (rand() % 10 + 10) * 32, as Darknet
      expect(w[0]).toBe(((glibcRand(seed)() % 10) + 10) * 32);
      // augmentation draws from the same stream between resizes; the same seed repeats it all
      expect((await sizes({ seed, maxBatches: 1000, stopAt: 11 })).slice(0, 11)).toEqual(w.slice(0, 11));
    });

    it('trains at 608 when fewer than 200 iterations remain at a resize, and at the cfg\'s size without random=1', async () => {
      // get_current_batch(net) + 200 > max_batches, tested before each resize: with 199 the first
      // draw (batch 0) is replaced by 608, with 200 it is kept and the second (batch 10) replaced
      expect(new Set(await sizes({ seed: 5, maxBatches: 199, stopAt: 1 }))).toEqual(new Set([608]));
      const edge = await sizes({ seed: 5, maxBatches: 200, stopAt: 11 });
      expect(edge.slice(0, 11)).toEqual([...Array<number>(10).fill(((glibcRand(5)() % 10) + 10) * 32), 608]);
      writeFileSync(multiCfg, CFG.replace('batch=8', 'batch=1').replace('learning_rate=0.001', 'learning_rate=0.00001'));
      try {
        expect(new Set(await sizes({ seed: 5, maxBatches: 1000, stopAt: 12 }))).toEqual(new Set([64]));
      } finally {
        writeFileSync(multiCfg, CFG.replace('batch=8', 'batch=1').replace('learning_rate=0.001', 'learning_rate=0.00001').replace('random=0', 'random=1'));
      }
    });

    it('refuses cfgs Darknet cannot resize with a typed error, also past the TypeScript checks', async () => {
      const dropout = join(dir, 'shapes-random-dropout.cfg');
      const text = CFG.replace('[maxpool]\nsize=2\nstride=2\n', '[maxpool]\nsize=2\nstride=2\n[dropout]\nprobability=.2\n').replace('random=0', 'random=1');
      writeFileSync(dropout, text);
      const line = text.split('\n').indexOf('[dropout]') + 1;
      await expect(new Trainer().train({ cfg: dropout, data: data.trainList, maxBatches: 5, outDir: join(dir, 'random') }))
        .rejects.toMatchObject({ code: 'CFG_UNSUPPORTED', file: dropout, line, message: expect.stringMatching(/random=1.*cannot resize a \[dropout\]/) });
      // resize_network would call error() after reallocating the layers before it: the native
      // trainer refuses before the first resize
      const job = native().train({ cfg: dropout, paths: data.images.map((i) => i.path), maxBatches: 5, checkpointEvery: 0, prefix: join(dir, 'random', 'x'), clearSeen: false, seed: 1 }, () => undefined);
      await expect(job.promise).rejects.toMatchObject({ code: 'DARKNET', message: expect.stringMatching(/cannot resize layer 2 \(dropout\)/) });
      // resize_network asserts a shortcut's layers have one size only after resizing the layers
      // before it: refused up front, and when the native trainer is reached anyway the guard's
      // error comes back and the half-resized network is left alone (freeing it would crash)
      const shortcut = join(dir, 'shapes-random-shortcut.cfg');
      writeFileSync(shortcut, CFG.replace('filters=16\nsize=3\nstride=1\npad=1\nactivation=leaky\n', '$&[shortcut]\nfrom=-3\n').replace('random=0', 'random=1'));
      await expect(new Trainer().train({ cfg: shortcut, data: data.trainList, maxBatches: 5, outDir: join(dir, 'random') }))
        .rejects.toMatchObject({ code: 'CFG_UNSUPPORTED', file: shortcut, message: expect.stringMatching(/shortcut between layers of the same size \(at 64×64 layer 0 outputs 64×64, the previous layer 32×32\)/) });
      const half = native().train({ cfg: shortcut, paths: data.images.map((i) => i.path), maxBatches: 5, checkpointEvery: 0, prefix: join(dir, 'random', 'x'), clearSeen: false, seed: 1 }, () => undefined);
      await expect(half.promise).rejects.toMatchObject({ code: 'DARKNET', message: expect.stringMatching(/assertion `l->w == l->out_w` failed at shortcut_layer\.c/) });
      // a route joining layers whose sizes differ at some of the sizes trained
      const routed = join(dir, 'shapes-random-route.cfg');
      writeFileSync(routed, CFG.replace('width=64\nheight=64', 'width=96\nheight=96').replace('[convolutional]\nfilters=30', '[maxpool]\nsize=3\nstride=3\n[upsample]\nstride=3\n[route]\nlayers=-1,-3\n[convolutional]\nfilters=30').replace('random=0', 'random=1'));
      await expect(new Trainer().train({ cfg: routed, data: data.trainList, maxBatches: 5, outDir: join(dir, 'random') }))
        .rejects.toMatchObject({ code: 'CFG_INVALID', file: routed, message: expect.stringMatching(/random=1 trains at 320×320, where \[route\] layers: layer \d+ outputs/) });
    });
  });
});
