/**
 * The addon in a host process: work off the event loop, serialized calls on one network,
 * worker_threads, dispose while busy, finalizers, a clean exit with work in flight, and the
 * native layer table agreeing with the TypeScript shape model.
 */
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { Detector } from '../../lib/detector.js';
import { DetectorPool } from '../../lib/pool.js';
import { capabilities } from '../../lib/index.js';
import { GPU_BINARY } from '../../lib/native.js';
import { CACHE, ensureModel, pngPath, readRaw, ROOT, type ModelFixture } from '../helpers/fixtures.js';
import { expectShapeModelMatches } from '../helpers/native-model.js';
import { runOk } from '../helpers/proc.js';
// @ts-expect-error: a plain .mjs build script, no type declarations
import { buildDescription, darknetSourceFiles, darknetSourceHash } from '../../scripts/native-build.mjs';

let tiny: ModelFixture;
beforeAll(async () => {
  tiny = await ensureModel('tiny');
});

describe('event loop and concurrency', () => {
  it('more networks than compute threads (4 per process; the rest run on the pool thread) all answer as one alone does', async () => {
    const images = ['dog', 'eagle', 'giraffe', 'horses', 'person', 'dog', 'eagle'].map(readRaw);
    const nets = await Promise.all(images.map(() => Detector.load({ cfg: tiny.cfg, weights: tiny.weights })));
    try {
      const alone: Awaited<ReturnType<Detector['detect']>>[] = [];
      for (const im of images) alone.push(await nets[0]!.detect(im, { thresh: 0.3 }));
      for (let round = 0; round < 2; round++) {
        expect(await Promise.all(nets.map((d, i) => d.detect(images[i]!, { thresh: 0.3 })))).toEqual(alone);
      }
      nets.splice(0, 3).forEach((d) => d.dispose()); // their threads go back: later networks take them
      const more = await Detector.load({ cfg: tiny.cfg, weights: tiny.weights });
      nets.push(more);
      expect(await Promise.all(nets.map((d, i) => d.detect(images[(i + 3) % images.length]!, { thresh: 0.3 })))).toEqual(nets.map((_, i) => alone[(i + 3) % images.length]));
    } finally {
      nets.forEach((d) => d.dispose());
    }
  });

  it('8 concurrent detect() calls on one detector equal sequential calls', async () => {
    const d = await Detector.load({ cfg: tiny.cfg, weights: tiny.weights });
    try {
      const images = ['dog', 'eagle', 'giraffe', 'horses', 'person', 'dog', 'eagle', 'giraffe'].map(readRaw);
      const sequential = [];
      for (const im of images) sequential.push(await d.detect(im, { thresh: 0.3 }));
      const concurrent = await Promise.all(images.map((im) => d.detect(im, { thresh: 0.3 })));
      expect(concurrent).toEqual(sequential);
      expect(sequential.some((r) => r.length > 0)).toBe(true);
      // and different images really give different answers
      expect(sequential[0]).not.toEqual(sequential[1]);
    } finally {
      d.dispose();
    }
  });

  it('loads and detects inside a worker_thread, matching the main thread', async () => {
    const d = await Detector.load({ cfg: tiny.cfg, weights: tiny.weights });
    const here = (await d.detect(pngPath('dog'))).map((x) => ({ classId: x.classId, confidence: x.confidence, relative: x.relative }));
    d.dispose();
    const run = () => new Promise<unknown>((resolve, reject) => {
      const w = new Worker(join(ROOT, 'test', 'fixtures', 'worker-detect.mjs'), {
        workerData: { cfg: tiny.cfg, weights: tiny.weights, image: pngPath('dog') },
      });
      w.once('message', resolve);
      w.once('error', reject);
    });
    const [a, b] = await Promise.all([run(), run()]); // two threads at once
    expect(a).toEqual(here);
    expect(b).toEqual(here);
  });

  it('dispose() during an in-flight detect waits for it, then rejects new calls', async () => {
    const d = await Detector.load({ cfg: tiny.cfg, weights: tiny.weights });
    const expected = await d.detect(readRaw('dog'));
    const inFlight = d.detect(readRaw('dog'));
    const queued = d.detect(readRaw('eagle'));
    // one turn of the event loop: the first call has reached the native pass (which takes tens of
    // ms), the second waits behind it; no timing assumption about how long a pass takes
    await new Promise((r) => setImmediate(r));
    d.dispose();
    expect(await inFlight).toEqual(expected);
    await expect(queued).rejects.toMatchObject({ code: 'DISPOSED' });
    await expect(d.detect(readRaw('dog'))).rejects.toMatchObject({ code: 'DISPOSED' });
  });

  it('asyncDispose lets every call already made finish: still decoding a path or bytes, or waiting for a pool copy', async () => {
    const d = await Detector.load({ cfg: tiny.cfg, weights: tiny.weights });
    const fromPath = d.detect(pngPath('dog'));
    const fromBytes = d.detect(readFileSync(pngPath('eagle')));
    await d[Symbol.asyncDispose]();
    expect((await fromPath).length).toBeGreaterThan(0);
    expect(Array.isArray(await fromBytes)).toBe(true);
    await expect(d.detect(pngPath('dog'))).rejects.toMatchObject({ code: 'DISPOSED' });
    const pool = await DetectorPool.load({ cfg: tiny.cfg, weights: tiny.weights, instances: 2 });
    const calls = ['dog', 'eagle', 'giraffe', 'horses', 'person'].map((n) => pool.detect(pngPath(n)));
    await pool[Symbol.asyncDispose]();
    const settled = await Promise.allSettled(calls);
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    await expect(pool.detect(pngPath('dog'))).rejects.toMatchObject({ code: 'DISPOSED' });
  });

  it('await using / Symbol.asyncDispose waits for queued work', async () => {
    const d = await Detector.load({ cfg: tiny.cfg, weights: tiny.weights });
    const p = d.detect(readRaw('dog'));
    await d[Symbol.asyncDispose]();
    expect((await p).length).toBeGreaterThan(0);
    expect(d.disposed).toBe(true);
  });
});

describe('native model', () => {
  it('tiny: Darknet builds the layers the TypeScript shape model predicts (spp: system/native-model.test.ts)', () => expectShapeModelMatches('tiny'));

  it('loads without weights (random init) and reports capabilities honestly', async () => {
    const d = await Detector.load({ cfg: tiny.cfg, weights: null, width: 320, height: 320 });
    expect(d.info().heads.map((h) => h.grid)).toEqual([[10, 10], [20, 20]]);
    expect(d.weightsHeader).toBeNull();
    d.dispose();
    const caps = capabilities();
    expect(caps.cuda).toBe(existsSync(GPU_BINARY)); // a GPU build: darknet_gpu.node beside darknet.node
    expect(caps.darknetCommit).toBe(buildDescription().darknet.commit);
  });

  it('reports the hash of the Darknet files it compiled, and the hash follows their content', () => {
    // the tree the build read (scripts/darknet-source.mjs' order, without fetching anything)
    const dir = [process.env.DARKNET_SRC, join(ROOT, 'darknet'), join(ROOT, '.cache', 'darknet-debian', 'darknet')]
      .find((d) => d && existsSync(join(d, 'src', 'parser.c')));
    expect(dir, 'the Darknet source this addon was built from').toBeDefined();
    const hash = darknetSourceHash(dir!);
    expect(capabilities().darknetSourceHash).toBe(hash);
    // a copy hashes the same; one changed byte in one compiled file does not
    const copy = mkdtempSync(join(tmpdir(), 'dn-src-'));
    try {
      for (const f of darknetSourceFiles(dir!)) {
        mkdirSync(dirname(join(copy, f)), { recursive: true });
        copyFileSync(join(dir!, f), join(copy, f));
      }
      expect(darknetSourceHash(copy)).toBe(hash);
      appendFileSync(join(copy, 'src', 'gemm.c'), ' ');
      expect(darknetSourceHash(copy)).not.toBe(hash);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('image buffers', () => {
  it('a huge image\'s buffers are returned after the call; a photo\'s stay, counted in memory()', async () => {
    const d = await Detector.load({ cfg: tiny.cfg, weights: tiny.weights });
    try {
      const base = d.memory().workspace;
      await d.detect(readRaw('dog')); // 768 × 576
      const photo = d.memory().workspace;
      expect(photo - base).toBe(4 * (3 * 416 * 576 + 3 * 416)); // the resized rows, the column table
      const huge = { data: new Uint8Array(4000 * 3000 * 3).fill(77), width: 4000, height: 3000, channels: 3 as const };
      await d.detect(huge); // needs ~15 MB of buffers for the pass
      expect(d.memory().workspace).toBe(base);
      expect(d.memory().total).toBe(d.memory().weights + d.memory().activations + d.memory().workspace);
    } finally {
      d.dispose();
    }
  });
});

describe('process lifetime', () => {
  it('a child process survives every bad input and exits 0 with work in flight', async () => {
    const out = await runOk(process.execPath, [join(ROOT, 'test', 'fixtures', 'child-abuse.mjs'), tiny.cfg, tiny.weights, pngPath('dog'), CACHE]);
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r.codes).toEqual(['DARKNET', 'DARKNET', 'ENOENT', 'IMAGE_DECODE', 'BAD_INPUT']);
    expect(r.detections).toBeGreaterThan(0);
  });

  it('finalizers free networks that were never disposed (--expose-gc)', async () => {
    const script = `
      import { Detector } from ${JSON.stringify(join(ROOT, 'dist', 'index.js'))};
      const rss = () => process.memoryUsage().rss / 2 ** 20;
      const before = rss();
      for (let i = 0; i < 6; i++) {
        await Detector.load({ cfg: ${JSON.stringify(tiny.cfg)}, weights: ${JSON.stringify(tiny.weights)} });
        await new Promise((r) => setTimeout(r, 10));
        globalThis.gc();
      }
      await new Promise((r) => setTimeout(r, 50));
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 50));
      console.log(JSON.stringify({ growthMb: rss() - before }));`;
    const out = await runOk(process.execPath, ['--expose-gc', '--input-type=module', '-e', script]);
    const { growthMb } = JSON.parse(out.trim().split('\n').pop()!);
    // Six tiny networks would hold ~6 × 200 MB if the finalizer did not free them.
    expect(growthMb).toBeLessThan(400);
  });
});
