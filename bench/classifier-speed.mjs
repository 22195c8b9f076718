#!/usr/bin/env node
// Classifier speed beside the detector's (npm run build:ts first): the network's forward time and
// GFLOP/s (the validator's BFLOPs, as `info` prints them, over the median forward time) of the
// ImageNet classifiers and of YOLOv3, whose backbone Darknet-53 is. Random-init weights of the
// real size; runs interleaved round by round (this machine's speed drifts), medians reported.
// env: ROUNDS (default 5), RUNS per round (default 3), NUMERICS (fast, reference or both; default fast)
import { Classifier, Detector } from '../dist/index.js';
import { prepareModel } from './models.mjs';

const MODELS = [
  { name: 'darknet53-256', base: 'darknet53', size: 256, gain: 2, kind: Classifier },
  { name: 'darknet19-256', base: 'darknet19', size: 256, gain: 2, kind: Classifier },
  { name: 'yolov3-416', base: 'yolov3', size: 416, gain: 2, kind: Detector },
  { name: 'yolov3-tiny-416', base: 'yolov3-tiny', size: 416, gain: 16, kind: Detector },
];
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const RUNS = Number(process.env.RUNS ?? 3);
const NUMERICS = process.env.NUMERICS === 'both' ? ['fast', 'reference'] : [process.env.NUMERICS ?? 'fast'];
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];

const nets = [];
for (const m of MODELS) {
  const { cfgPath, weights, bflops } = await prepareModel(m);
  for (const numerics of NUMERICS) {
    const net = await m.kind.load({ cfg: cfgPath, weights, numerics });
    const input = new Float32Array(net.width * net.height * 3).fill(0.5);
    await net.forward(input); // warm-up
    nets.push({ label: `${m.name} (${m.kind.name}, ${numerics})`, net, input, bflops, times: [] });
  }
}
for (let r = 0; r < ROUNDS; r++) {
  for (const n of nets) {
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await n.net.forward(n.input);
      n.times.push((performance.now() - t) / 1000);
    }
  }
}
console.log(`| network | BFLOPs | forward (median of ${ROUNDS * RUNS}) | GFLOP/s |\n|---|---|---|---|`);
for (const n of nets) {
  const s = median(n.times);
  console.log(`| ${n.label} | ${n.bflops.toFixed(2)} | ${(s * 1000).toFixed(0)} ms | ${(n.bflops / s).toFixed(1)} |`);
  n.net.dispose();
}
