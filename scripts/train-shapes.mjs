#!/usr/bin/env node
// Reproduces the shipped shapes model (models/shapes): a synthetic dataset from a fixed seed,
// anchors by k-means on its boxes, Darknet's own trainer, then COCO evaluation on the held-out
// split. usage: node scripts/train-shapes.mjs [workdir] [maxBatches]   (needs `npm run build:ts`)
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cocoEvaluate, darknetMap, Detector, fromDarknetLabels, generateSyntheticDataset, kmeansAnchors, Trainer } from '../dist/index.js';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const work = resolve(process.argv[2] ?? join(ROOT, '.cache', 'shapes'));
const maxBatches = Number(process.argv[3] ?? 2500);
const SIZE = 96;
mkdirSync(work, { recursive: true });

const t0 = Date.now();
const ds = await generateSyntheticDataset({ dir: join(work, 'data'), seed: 11, train: 1000, val: 200, width: SIZE, height: SIZE, minSize: 12, maxSize: 40, maxShapes: 3, noise: 20 });
const boxes = ds.images.filter((i) => i.split === 'train').flatMap((i) => i.objects.map((o) => [o.box[2], o.box[3]]));
const { anchors, avgIou } = kmeansAnchors(boxes, 6, { seed: 1 });
console.log(`anchors (k-means, avg IoU ${avgIou.toFixed(3)}): ${anchors.map((a) => a.join(',')).join('  ')}`);
const cfgText = readFileSync(join(ROOT, 'models', 'shapes', 'shapes.cfg.in'), 'utf8')
  .replace('MAXB', String(maxBatches))
  .replace('STEPS', `${Math.round(maxBatches * 0.75)},${Math.round(maxBatches * 0.9)}`)
  .replaceAll('ANCHORS', anchors.map((a) => a.join(',')).join(','));
const cfg = join(work, 'shapes.cfg');
writeFileSync(cfg, cfgText);

const trainer = new Trainer();
trainer.on('progress', (p) => {
  if (p.iteration % 50 === 0) console.log(`${p.iteration}: loss ${p.loss.toFixed(3)} avg ${p.avgLoss.toFixed(3)} rate ${p.learningRate.toExponential(2)} ${(p.elapsed / 1000).toFixed(0)} s`);
});
const r = await trainer.train({ cfg, data: ds.dataFile, maxBatches, checkpointEvery: 250, outDir: join(work, 'backup') });
const trainSeconds = (Date.now() - t0) / 1000;

// evaluate on the held-out split, with the valid-mode defaults (thresh .005, nms .45, letterbox)
const val = ds.images.filter((i) => i.split === 'val');
const det = await Detector.load({ cfg, weights: r.weights, names: ds.namesFile });
const gt = [];
const preds = [];
for (const [id, im] of val.entries()) {
  gt.push(...fromDarknetLabels(readFileSync(im.labelPath, 'utf8'), im.width, im.height, id));
  for (const d of await det.detect(im.path, { thresh: 0.005 })) {
    d.classProbs.forEach((p, c) => { if (p > 0) preds.push({ imageId: id, categoryId: c, bbox: [d.box.x, d.box.y, d.box.width, d.box.height], score: p }); });
  }
}
det.dispose();
const { stats } = cocoEvaluate(gt, preds, { imageIds: val.map((_, i) => i) });
const summary = { iterations: r.iterations, trainSeconds: Math.round(trainSeconds), anchors, AP: stats.AP, AP50: stats.AP50, AP75: stats.AP75, mAP50darknet: darknetMap(gt, preds).map };
console.log(JSON.stringify(summary));
copyFileSync(r.weights, join(work, 'shapes.weights'));
writeFileSync(join(work, 'summary.json'), JSON.stringify(summary, null, 2));
