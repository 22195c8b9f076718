/**
 * Lean inference networks (the default) against Darknet's full allocation (`training: true`):
 * identical numbers (in reference numerics: fast numerics fold batch-norm, see fast.test.ts),
 * far less memory, progress while reading weights.
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import { ensureModel, readRaw, ROOT, type ModelName } from '../helpers/fixtures.js';
import { runOk } from '../helpers/proc.js';

const IMAGES = ['dog', 'eagle', 'giraffe', 'horses'] as const;

// the allocation does not depend on the image: yolov3 on one, tiny on two keep the suite within CI's time
describe.each([['tiny', 0.5, ['dog', 'horses']], ['yolov3', 0.3, ['dog']]] as Array<[ModelName, number, readonly string[]]>)('%s: lean vs full allocation', (name, thresh, images) => {
  let lean: Detector;
  let full: Detector;
  beforeAll(async () => {
    const fx = await ensureModel(name);
    lean = await Detector.load({ cfg: fx.cfg, weights: fx.weights, numerics: 'reference' });
    full = await Detector.load({ cfg: fx.cfg, weights: fx.weights, training: true });
  });
  afterAll(() => {
    lean?.dispose();
    full?.dispose();
  });

  it.each(images)('%s: bit-identical raw outputs and detections', async (img) => {
    const a = await lean.detect(readRaw(img), { thresh });
    const b = await full.detect(readRaw(img), { thresh });
    expect(a.length).toBeGreaterThan(0);
    expect(a).toEqual(b);
    const oa = await lean.outputs();
    const ob = await full.outputs();
    oa.forEach((o, i) => expect(Buffer.from(o.data.buffer).equals(Buffer.from(ob[i]!.data.buffer))).toBe(true));
  });

  it('holds no training state and less than half the memory', () => {
    const l = lean.memory();
    const f = full.memory();
    expect(l.training).toBe(0);
    expect(f.training).toBeGreaterThan(0);
    expect(l.weights).toBe(f.weights);
    expect(l.activations).toBeLessThan(f.activations * 0.6);
    expect(l.total).toBeLessThan(f.total / 2);
  });
});

describe('loading', () => {
  it('reports progress up to the file size, in order', async () => {
    const fx = await ensureModel('yolov3');
    const seen: Array<[number, number]> = [];
    // a compiled-weights cache hit reads nothing: one call, (size, size) (weights-cache.test.ts)
    const d = await Detector.load({ cfg: fx.cfg, weights: fx.weights, cache: false, onProgress: (b, t) => seen.push([b, t]) });
    d.dispose();
    const size = statSync(fx.weights).size;
    expect(seen.length).toBeGreaterThan(50); // per layer with weights (75 convolutions)
    expect(seen.every(([, t]) => t === size)).toBe(true);
    expect(seen.every(([b], i) => i === 0 || b >= seen[i - 1]![0])).toBe(true);
    expect(seen[seen.length - 1]![0]).toBe(size);
  });

  it('yolov3-416: peak RSS through load and the first detect stays under 520 MB (stock: ~980 MB)', async () => {
    const fx = await ensureModel('yolov3');
    const out = await runOk(process.execPath, [join(ROOT, 'bench', 'footprint-child.mjs'), fx.cfg, fx.weights]);
    const r = JSON.parse(out.trim().split('\n').pop()!) as { rssLoadMB: number; rssDetectMB: number; load: number };
    console.log(`yolov3-416 lean: load ${r.load.toFixed(3)} s, peak RSS ${r.rssLoadMB.toFixed(0)} MB after load, ${r.rssDetectMB.toFixed(0)} MB after detect`);
    expect(r.rssDetectMB).toBeLessThan(520);
  });
});

interface ChildResult { load: number; rssLoadMB: number; rssDetectMB: number; report?: { cache: string; mappedBytes: number; parseMs: number; leanMs: number; cacheMs: number } }
const child = async (args: string[]): Promise<ChildResult> => {
  const out = await runOk(process.execPath, [join(ROOT, 'bench', 'footprint-child.mjs'), ...args]);
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
};

/** Rss and Pss (kB) of a process, from /proc/<pid>/smaps_rollup. */
function rollup(pid: number): { rss: number; pss: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)![1]);
  return { rss: kb('Rss'), pss: kb('Pss') };
}

/** A child that loads, detects once, reports, and holds its network until stdin closes. */
function holder(cfg: string, weights: string) {
  const p = spawn(process.execPath, [join(ROOT, 'bench', 'footprint-child.mjs'), cfg, weights, 'hold'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const ready = new Promise<ChildResult>((resolve, reject) => {
    let buf = '';
    p.stdout.on('data', (b: Buffer) => {
      buf += b.toString();
      if (buf.includes('\n')) resolve(JSON.parse(buf.split('\n')[0]!) as ChildResult);
    });
    p.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
  });
  const done = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  return { pid: p.pid!, ready, release: () => { p.stdin.end(); return done; } };
}

// The compiled-weights cache (native/ops/weights_cache.c) in the test's cache directory
// ($DARKNET_NODE_WEIGHTS_CACHE, vitest.config.ts): warmed by the first child.
describe('yolov3-416 on a warm compiled-weights cache', () => {
  let fx: { cfg: string; weights: string };
  let single: ChildResult;
  beforeAll(async () => {
    fx = await ensureModel('yolov3');
    await child([fx.cfg, fx.weights]);
    single = await child([fx.cfg, fx.weights]);
  });

  it('loads from the mapping', () => {
    const r = single.report!;
    console.log(`yolov3-416 warm cache: load ${single.load.toFixed(3)} s (parse ${r.parseMs.toFixed(0)} ms, lean ${r.leanMs.toFixed(0)} ms, map+verify ${r.cacheMs.toFixed(0)} ms), peak RSS ${single.rssDetectMB.toFixed(0)} MB`);
    expect(r.cache).toBe('hit');
    expect(r.mappedBytes).toBeGreaterThan(200e6);
    expect(single.rssDetectMB).toBeLessThan(520);
  });

  it('a DetectorPool of 2 shares the weights: peak RSS within 1.4× one Detector (goal 1.3×; 1.9× without sharing)', async () => {
    const pool = await child([fx.cfg, fx.weights, 'pool']);
    const ratio = pool.rssDetectMB / single.rssDetectMB;
    console.log(`pool of 2: peak RSS ${pool.rssDetectMB.toFixed(0)} MB = ${ratio.toFixed(2)}× one Detector (${single.rssDetectMB.toFixed(0)} MB)`);
    expect(ratio).toBeLessThan(1.4);
  });

  it('two processes share the mapped pages (PSS from smaps_rollup)', async () => {
    const a = holder(fx.cfg, fx.weights);
    const b = holder(fx.cfg, fx.weights);
    try {
      const [ra] = await Promise.all([a.ready, b.ready]);
      const pa = rollup(a.pid);
      const pb = rollup(b.pid);
      const mappedKB = ra.report!.mappedBytes / 1024;
      console.log(`two processes: Rss ${(pa.rss / 1024).toFixed(0)} / ${(pb.rss / 1024).toFixed(0)} MB, Pss ${(pa.pss / 1024).toFixed(0)} / ${(pb.pss / 1024).toFixed(0)} MB, mapped ${(mappedKB / 1024).toFixed(0)} MB`);
      // each pays half of the shared mapping: Pss ≈ Rss − mapped/2
      for (const p of [pa, pb]) expect(p.rss - p.pss).toBeGreaterThan(mappedKB * 0.35);
    } finally {
      await Promise.all([a.release(), b.release()]);
    }
  });
});
