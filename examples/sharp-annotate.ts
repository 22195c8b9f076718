// Hand detect() a sharp pipeline (here: crop and upscale first), then draw the boxes.
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { annotate, Detector, SHAPES_MODEL } from 'darknet-node';

await using detector = await Detector.load({ cfg: SHAPES_MODEL.cfg, weights: SHAPES_MODEL.weights, names: SHAPES_MODEL.names });
const { width = 0, height = 0 } = await sharp(SHAPES_MODEL.sample).metadata();
const pipeline = sharp(SHAPES_MODEL.sample)
  .extract({ left: 0, top: 0, width: Math.floor(width / 2), height: Math.floor(height / 2) })
  .resize(width, height);
const detections = await detector.detect(pipeline);
// annotate() takes the same inputs as detect() and returns an encoded image
const png = await annotate(await pipeline.clone().png().toBuffer(), detections, 'png');
const out = join(tmpdir(), 'darknet-node-example.png');
await writeFile(out, png);
console.log(`${detections.length} detections drawn into ${out}`);
