import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureHarness, ensureImages, ensureModel, ROOT } from './fixtures.js';

export default async function setup(): Promise<void> {
  const t = Date.now();
  // Worker-thread and child-process tests run plain Node on the compiled dist/: keep it current.
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  await ensureImages();
  await ensureModel('tiny'); // yolov3-sized fixtures are made by the suites that use them
  ensureHarness();
  console.log(`fixtures ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
