/**
 * Lean inference networks (the default) against Darknet's full allocation (`training: true`):
 * identical numbers (in reference numerics: fast numerics fold batch-norm, see fast.test.ts),
 * far less memory, progress while reading weights.
 */
import { statSync } from 'node:fs';
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
    const d = await Detector.load({ cfg: fx.cfg, weights: fx.weights, onProgress: (b, t) => seen.push([b, t]) });
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
