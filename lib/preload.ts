/**
 * Imported first by the package's entry (index.ts), for its effect: the addon loads, and its
 * convolution library (oneDNN) starts loading on the pool, before the rest of the package is
 * evaluated — ~10 ms of mapping and relocation that then overlap the package's own start-up
 * instead of the first model load. See native.ts preload().
 */
import { preload } from './native.js';

preload();
