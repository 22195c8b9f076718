// Many images: one network running `batch` images per pass, or a pool of independent copies.
import { availableParallelism } from 'node:os';
import { Detector, DetectorPool, SHAPES_MODEL } from 'darknet-node';

const options = { cfg: SHAPES_MODEL.cfg, weights: SHAPES_MODEL.weights, names: SHAPES_MODEL.names };
const images = Array.from({ length: 8 }, () => SHAPES_MODEL.sample);

await using batched = await Detector.load({ ...options, batch: 4 });
const perImage = await batched.detectBatch(images); // 2 forward passes of 4 images
console.log('detectBatch:', perImage.map((d) => d.length).join(' '));

await using pool = await DetectorPool.load({ ...options, instances: Math.min(2, availableParallelism()) });
const fromPool = await Promise.all(images.map((im) => pool.detect(im))); // spread over the copies
console.log(`pool of ${pool.size}:`, fromPool.map((d) => d.length).join(' '));
