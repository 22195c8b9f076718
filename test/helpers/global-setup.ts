import { ensureHarness, ensureImages, ensureModel } from './fixtures.js';

export default async function setup(): Promise<void> {
  const t = Date.now();
  await ensureImages();
  for (const m of ['tiny', 'yolov3', 'spp'] as const) await ensureModel(m);
  ensureHarness();
  console.log(`fixtures ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
