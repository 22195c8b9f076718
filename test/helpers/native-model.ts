import { expect } from 'vitest';
import { Detector } from '../../lib/detector.js';
import { native } from '../../lib/native.js';
import { ensureModel, type ModelName } from './fixtures.js';

/** Darknet builds the layers the TypeScript shape model predicts, and memory() counts them. */
export async function expectShapeModelMatches(name: ModelName): Promise<void> {
  const fx = await ensureModel(name);
  const d = await Detector.load({ cfg: fx.cfg, weights: fx.weights, numerics: 'reference' });
  const fast = await Detector.load({ cfg: fx.cfg, weights: fx.weights });
  try {
    // fast numerics keep Winograd-transformed / packed copies of some layers' weights beside Darknet's
    const fm = fast.memory();
    expect(fm.weights).toBeGreaterThan(4 * d.shape.weightFloats);
    expect(fm.total).toBe(fm.weights + fm.activations + fm.workspace);
    const net = new (native().Network)();
    await net.load(fx.cfg, fx.weights);
    const layers = net.layers();
    net.dispose();
    expect(layers).toHaveLength(d.shape.layers.length);
    layers.forEach((l, i) => {
      const s = d.shape.layers[i]!;
      expect(l.type).toBe(s.type);
      expect([l.outW, l.outH, l.outC]).toEqual([s.output.w, s.output.h, s.output.c]);
      expect(l.outputs).toBe(s.outputs);
      if (s.yolo) expect(l.mask).toEqual(s.yolo.mask);
    });
    const mem = d.memory();
    expect(mem.weights).toBe(4 * d.shape.weightFloats); // exactly what the .weights file holds
    expect(mem.training).toBe(0);
    expect(mem.total).toBe(mem.weights + mem.activations + mem.workspace);
  } finally {
    d.dispose();
    fast.dispose();
  }
}
