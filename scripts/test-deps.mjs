#!/usr/bin/env node
// `npm test` runs this first (pretest): the system packages the suites use, installed when this
// machine lets us (root, or passwordless sudo, and apt-get), otherwise a stop at once that names
// the exact command. Nothing here is needed to use the package, only to test it.
//   darknet               the reference oracle: libdarknet.so, its cfgs and sample images
//   redis-server          the BullMQ worker tests (test/queue.test.ts starts its own server)
//   valgrind              the leak check (test/leak)
//   libopenblas-openmp-dev the BLAS behind fast numerics: without it the addon uses Darknet's
//                         gemm and the suite runs several times slower; installed here, the addon
//                         is rebuilt with it
//   libdnnl-dev           oneDNN, which runs fast numerics' convolutions where libdnnl.so.2 loads
//                         (native/fast/dnnl.c; its header is a build check): installed here, the
//                         addon is rebuilt with it, so the suites test the path users get
//   ccache                the install test's second source build (test/system/install.test.ts)
//   ffmpeg                the video tests: detectStream decodes with it, and the tests encode,
//                         serve and probe their synthetic clips with it (test/native/video*.test.ts)
//   libjpeg-turbo-progs   cjpeg and jpegtran: JPEGs with every chroma subsampling and restart
//                         markers for the two-part decode's test (test/system/jpeg-split.test.ts)
// and, in a project-local venv (.venv, ignored by git), pycocotools: the oracle the COCO
// evaluation is compared with (test/system/coco-oracle.test.ts); pip installs it from the
// configured index (a local one on the CI machines).
// DARKNET_TEST_DEPS=check only reports what is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NEEDS = [
  { pkg: 'darknet', has: () => existsSync('/usr/lib/darknet/libdarknet.so') && existsSync('/usr/share/darknet/cfg/yolov3.cfg') },
  { pkg: 'redis-server', has: () => existsSync('/usr/bin/redis-server') },
  { pkg: 'valgrind', has: () => spawnSync('valgrind', ['--version']).status === 0 },
  { pkg: 'ccache', has: () => spawnSync('ccache', ['--version']).status === 0 },
  { pkg: 'ffmpeg', has: () => spawnSync('ffmpeg', ['-version']).status === 0 && spawnSync('ffprobe', ['-version']).status === 0 },
  { pkg: 'libjpeg-turbo-progs', has: () => spawnSync('cjpeg', ['-version']).status === 0 && spawnSync('jpegtran', ['-version']).status === 0 },
  { pkg: 'libopenblas-openmp-dev', has: () => spawnSync(process.execPath, [join(ROOT, 'scripts', 'find-blas.mjs'), '--define'], { encoding: 'utf8' }).stdout.trim() === '1' },
  { pkg: 'libdnnl-dev', has: () => spawnSync(process.execPath, [join(ROOT, 'scripts', 'native-build.mjs'), 'dnnl'], { encoding: 'utf8' }).stdout.trim() === '1' },
];

const venvPython = join(ROOT, '.venv', 'bin', 'python');
const hasPycocotools = () => spawnSync(venvPython, ['-c', 'import pycocotools.cocoeval, numpy']).status === 0;
if (!hasPycocotools()) {
  const make = 'python3 -m venv .venv && .venv/bin/pip install pycocotools';
  if (process.env.DARKNET_TEST_DEPS === 'check') {
    console.error(`npm test needs pycocotools in .venv:\n\n  ${make}\n`);
    process.exit(1);
  }
  console.error('npm test: installing pycocotools into .venv (the COCO evaluation oracle)');
  const ok = (existsSync(venvPython) || spawnSync('python3', ['-m', 'venv', join(ROOT, '.venv')], { stdio: 'inherit' }).status === 0)
    && spawnSync(venvPython, ['-m', 'pip', 'install', '--quiet', '--retries', '0', 'pycocotools'], { stdio: 'inherit' }).status === 0 && hasPycocotools();
  if (!ok) {
    console.error(`npm test: could not install pycocotools; run:\n\n  ${make}\n`);
    process.exit(1);
  }
}

const missing = NEEDS.filter((n) => !n.has()).map((n) => n.pkg);
if (missing.length === 0) process.exit(0);

const root = process.getuid?.() === 0;
const sudo = !root && spawnSync('sudo', ['-n', 'true']).status === 0;
const apt = spawnSync('apt-get', ['--version']).status === 0;
const command = `${root ? '' : 'sudo '}apt-get install -y --no-install-recommends ${missing.join(' ')}`;
if (process.env.DARKNET_TEST_DEPS === 'check' || !apt || !(root || sudo)) {
  console.error(`npm test needs these packages: ${missing.join(', ')}.\nInstall them with:\n\n  ${apt ? command : `your package manager: ${missing.join(' ')} (Debian names)`}\n`);
  process.exit(1);
}

console.error(`npm test: installing ${missing.join(', ')} (apt-get)`);
const pre = root ? [] : ['sudo', '-n'];
const aptRun = (...args) => {
  const argv = [...pre, 'apt-get', ...args];
  return spawnSync(argv[0], argv.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
};
// a fresh machine has no package lists yet
if (!aptRun('install', '-y', '--no-install-recommends', ...missing) && !(aptRun('update') && aptRun('install', '-y', '--no-install-recommends', ...missing))) {
  console.error(`npm test: could not install them; run:\n\n  ${command}\n`);
  process.exit(1);
}
if (missing.includes('libopenblas-openmp-dev') || missing.includes('libdnnl-dev')) {
  console.error('npm test: rebuilding the addon with the new libraries');
  // the configure step that found no BLAS (or no dnnl.h) is cached: drop it so that CMake looks again
  rmSync(join(ROOT, 'build', 'CMakeCache.txt'), { force: true });
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--force'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
