#!/usr/bin/env node
// Builds the native addon with cmake-js (`npm run build:native`, `npx darknet-node build`; the
// package has no install script: a prebuild is loaded as it is, a source build is asked for).
// Skips when a usable binary already exists (a prebuild, or an earlier build) unless --force.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');
const require = createRequire(import.meta.url);

if (!force) {
  try {
    require('node-gyp-build')(ROOT);
    console.log('darknet-node: using existing native binary');
    process.exit(0);
  } catch { /* build below */ }
}

// cmake-js and node-addon-api are build tools, not runtime dependencies (a prebuild needs neither):
// a source build in an installed package finds them in the consumer's project.
const missing = ['cmake-js', 'node-addon-api'].filter((m) => {
  try { require.resolve(`${m}/package.json`); return false; } catch { return true; }
});
if (missing.length) {
  console.error(`darknet-node: a source build needs ${missing.join(' and ')}, which ${missing.length > 1 ? 'are' : 'is'} not installed.\n` +
    `  Add the build tools to your project, then build again:\n    npm install --save-dev cmake-js@^8 node-addon-api@^8.5\n    npx darknet-node build`);
  process.exit(1);
}
const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
// configure, then build: `cmake-js compile` skips configuring when build/ exists, which would keep
// the options of the build before (a CPU build's cache under DARKNET_GPU=ON, say)
const where = ['--directory', ROOT, '--out', join(ROOT, 'build')];
const args = [cmakeJs, 'configure', ...where];
// GPU: DARKNET_GPU=auto|ON|OFF (or `npm install --darknet-gpu[=auto]`), same for DARKNET_CUDNN.
const flag = (env, npmName) => {
  const v = process.env[env] ?? process.env[`npm_config_${npmName}`];
  if (v === undefined) return undefined;
  return v === '' || v === 'true' ? 'ON' : v === 'false' ? 'OFF' : v;
};
// DARKNET_GPU and DARKNET_CUDNN are always passed: a CMake cache left by an earlier build must not
// decide this one.
const gpu = flag('DARKNET_GPU', 'darknet_gpu') ?? 'OFF';
args.push(`--CDDARKNET_GPU=${gpu}`, `--CDDARKNET_CUDNN=${flag('DARKNET_CUDNN', 'darknet_cudnn') ?? 'auto'}`);
for (const [env, npmName] of [['DARKNET_BLAS', 'darknet_blas']]) {
  const v = flag(env, npmName);
  if (v !== undefined) args.push(`--CD${env}=${v}`);
}
// e.g. DARKNET_CUDA_ARCHS=90: only Hopper's code, for a faster build (default: 75;80;86;89;90)
if (process.env.DARKNET_CUDA_ARCHS) args.push(`--CDCMAKE_CUDA_ARCHITECTURES=${process.env.DARKNET_CUDA_ARCHS}`);
// a CPU build after a GPU build: the old darknet_gpu.node would be picked up as if built now
rmSync(join(ROOT, 'build', 'Release', 'darknet_gpu.node'), { force: true });
const extra = (process.env.DARKNET_CMAKE_ARGS || '').split(/\s+/).filter(Boolean);
for (const a of extra) args.push(`--CD${a.replace(/^-D/, '')}`);
const jobs = process.env.CMAKE_BUILD_PARALLEL_LEVEL || String((await import('node:os')).availableParallelism());
const env = { ...process.env, CMAKE_BUILD_PARALLEL_LEVEL: jobs };
let r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit', env });
if (r.status === 0) r = spawnSync(process.execPath, [cmakeJs, 'build', ...where], { cwd: ROOT, stdio: 'inherit', env });
if (r.status !== 0) {
  console.error('\ndarknet-node: native build failed. Needs cmake >= 3.19 and a C/C++ compiler (g++).');
  process.exit(r.status ?? 1);
}
if (!existsSync(join(ROOT, 'build', 'Release', 'darknet.node'))) {
  console.error('darknet-node: build finished but build/Release/darknet.node is missing');
  process.exit(1);
}
if (gpu === 'ON' && !existsSync(join(ROOT, 'build', 'Release', 'darknet_gpu.node'))) {
  console.error('darknet-node: DARKNET_GPU=ON but build/Release/darknet_gpu.node was not built');
  process.exit(1);
}
