/**
 * yolov3-sized runtime checks (the tiny ones: native/runtime.test.ts): Darknet builds the layers
 * the TypeScript shape model predicts for yolov3-spp, info() reports yolov3's table
 * and heads, and the event loop keeps ticking during a yolov3 pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import { ensureModel, readRaw } from '../helpers/fixtures.js';
import { expectShapeModelMatches } from '../helpers/native-model.js';

describe('native model', () => {
  // yolov3-spp is yolov3 plus the SPP block: every layer kind of both
  it('spp: Darknet builds the layers the TypeScript shape model predicts', () => expectShapeModelMatches('spp'));
});

describe('yolov3 at run time', () => {
  let det: Detector;
  beforeAll(async () => {
    const yolov3 = await ensureModel('yolov3');
    det = await Detector.load({ cfg: yolov3.cfg, weights: yolov3.weights });
  });
  afterAll(() => det?.dispose());

  it('info() reports the layer table and YOLO heads', () => {
    const info = det.info();
    expect(info.layers).toHaveLength(107);
    expect(info.layers[0]).toMatchObject({ type: 'convolutional', filters: 32, size: 3, stride: 1, input: [416, 416, 3], output: [416, 416, 32] });
    expect(info.layers[0]!.bflops).toBeCloseTo(0.299, 3);
    expect(info.heads.map((h) => h.stride)).toEqual([32, 16, 8]);
    expect(info.candidates).toBe(10647);
  });

  it('keeps the event loop ticking (timer lag < 50 ms) during a yolov3 detect', async () => {
    let last = performance.now();
    let worst = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last - 10);
      last = now;
      ticks++;
    }, 10);
    const t0 = performance.now();
    await det.detect(readRaw('dog'));
    const took = performance.now() - t0;
    clearInterval(timer);
    console.log(`yolov3-416 detect ${took.toFixed(0)} ms, ${ticks} ticks, worst timer lag ${worst.toFixed(1)} ms`);
    expect(took).toBeGreaterThan(200); // really ran the network while we measured
    expect(ticks).toBeGreaterThan(took / 10 / 3);
    expect(worst).toBeLessThan(50);
  });
});
