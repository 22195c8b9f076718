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
import { CACHE } from '../helpers/fixtures.js';
import { CFG } from '../helpers/train-cfg.js';

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
});
