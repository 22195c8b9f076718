import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Three tiers (README, "Tests"): `npm test` runs them all; `npm run test:quick` runs unit + native.
//   unit    pure TypeScript, no addon: seconds
//   native  the addon on small networks (shapes, yolov3-tiny)
//   system  yolov3-sized parity and speed paths, queue, install, leak, soak, footprint, GPU
const NEEDS_ADDON = ['test/helpers/global-setup.ts'];

export default defineConfig({
  test: {
    // The suites are CPU-bound (2 cores in CI) and some measure event-loop lag: one file at a time.
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 180_000,
    hookTimeout: 600_000,
    // compiled-weights caches of the tests' models stay in the test cache, never in ~/.cache
    env: { DARKNET_NODE_WEIGHTS_CACHE: fileURLToPath(new URL('./test/.cache/compiled', import.meta.url)) },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'native', include: ['test/native/**/*.test.ts'], globalSetup: NEEDS_ADDON } },
      { extends: true, test: { name: 'system', include: ['test/system/**/*.test.ts'], globalSetup: NEEDS_ADDON } },
    ],
  },
});
