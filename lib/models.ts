import { join } from 'node:path';
import { PACKAGE_ROOT } from './native.js';

/**
 * The model shipped in the package (models/shapes): a 2-head tiny YOLOv3 trained here on
 * synthetic shapes (circle, square, triangle, cross, star; AP50 0.955 on its held-out split).
 * Paths to hand to `Detector.load`; `sample` is an image it detects well.
 */
export const SHAPES_MODEL = Object.freeze({
  cfg: join(PACKAGE_ROOT, 'models', 'shapes', 'shapes.cfg'),
  weights: join(PACKAGE_ROOT, 'models', 'shapes', 'shapes.weights'),
  names: join(PACKAGE_ROOT, 'models', 'shapes', 'shapes.names'),
  sample: join(PACKAGE_ROOT, 'models', 'shapes', 'sample.png'),
});
