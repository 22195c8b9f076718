// Hand detect() a sharp pipeline (here: crop and upscale first), then draw the boxes.
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { annotate, Detector } from 'darknet-node';

const model = (f: string) => fileURLToPath(new URL(`../models/shapes/${f}`, import.meta.url));

await using detector = await Detector.load({ cfg: model('shapes.cfg'), weights: model('shapes.weights'), names: model('shapes.names') });
const { width = 0, height = 0 } = await sharp(model('sample.png')).metadata();
const pipeline = sharp(model('sample.png'))
  .extract({ left: 0, top: 0, width: Math.floor(width / 2), height: Math.floor(height / 2) })
  .resize(width, height);
const detections = await detector.detect(pipeline);
// annotate() takes the same inputs as detect() and returns an encoded image
const png = await annotate(await pipeline.clone().png().toBuffer(), detections, 'png');
const out = join(tmpdir(), 'darknet-node-example.png');
await writeFile(out, png);
console.log(`${detections.length} detections drawn into ${out}`);
