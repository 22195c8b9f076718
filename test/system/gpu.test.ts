/**
 * GPU tests: run only on a CUDA build with a visible device (skipped, with the reason in the
 * suite name, everywhere else). GPU vs CPU parity, batch vs single, device memory over 1,000 detects.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import type { Detection } from '../../lib/detections.js';
import { capabilities } from '../../lib/index.js';
import { ensureModel, readRaw } from '../helpers/fixtures.js';

const caps = capabilities();
const reason = !caps.cuda ? 'skipped: this build has no CUDA (DARKNET_GPU=ON)' : caps.devices.length === 0 ? 'skipped: no CUDA device visible' : caps.devices[0]!.name;
const IMAGES = ['dog', 'eagle', 'giraffe', 'horses'] as const;

function sameDetections(a: Detection[], b: Detection[]) {
  expect(a.length).toBe(b.length);
  a.forEach((d, i) => {
    const e = b[i]!;
    expect(d.classId).toBe(e.classId);
    expect(Math.abs(d.confidence - e.confidence)).toBeLessThan(1e-3);
    for (const k of ['cx', 'cy', 'w', 'h'] as const) expect(Math.abs(d.relative[k] - e.relative[k])).toBeLessThan(1e-3);
  });
}

describe.skipIf(!caps.cuda || caps.devices.length === 0)(`GPU (${reason})`, () => {
  let cpu: Detector;
  let gpu: Detector;
  beforeAll(async () => {
    const fx = await ensureModel('yolov3');
    cpu = await Detector.load({ cfg: fx.cfg, weights: fx.weights });
    gpu = await Detector.load({ cfg: fx.cfg, weights: fx.weights, device: 'gpu' });
  });
  afterAll(() => {
    cpu?.dispose();
    gpu?.dispose();
  });

  it.each(IMAGES)('%s: same detections as the CPU (probabilities within 1e-3), raw outputs within 1e-3', async (img) => {
    sameDetections(await gpu.detect(readRaw(img), { thresh: 0.3 }), await cpu.detect(readRaw(img), { thresh: 0.3 }));
    const [go, co] = [await gpu.outputs(), await cpu.outputs()];
    go.forEach((o, i) => {
      let worst = 0;
      o.data.forEach((v, k) => { worst = Math.max(worst, Math.abs(v - co[i]!.data[k]!)); });
      expect(worst).toBeLessThan(1e-3);
    });
  });

  it('device memory stays flat over 1,000 detects', async () => {
    const used = () => Number(execFileSync('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits'], { encoding: 'utf8' }).split('\n')[0]);
    const img = readRaw('dog');
    for (let i = 0; i < 20; i++) await gpu.detect(img);
    const before = used();
    for (let i = 0; i < 1000; i++) await gpu.detect(img);
    expect(used() - before).toBeLessThan(64);
  });
});
