#!/usr/bin/env node
// npm run prebuild: the portable CPU prebuild (prebuildify → node-gyp → binding.gyp, Node-API 8),
// written to prebuilds/<platform>-<arch>/ where node-gyp-build finds it.
// It builds in a packed copy of the package, so the cmake-js build in build/ is left alone
// (node-gyp would replace it), and the binary is built from exactly what npm ships.
//   --out <dir>       where prebuilds/ goes (default: the package root)
//   --tarball <dir>   also write the package tarball with the prebuild inside to <dir>
//   --root <dir>      compile inside this Linux root with chroot (an older glibc: the binary then
//                     loads on every glibc from that root's on; scripts/prebuild-linux.sh makes it)
//   --arch arm64      cross-compile with Debian's aarch64-linux-gnu toolchain (in --root)
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { out: { type: 'string' }, tarball: { type: 'string' }, root: { type: 'string' }, arch: { type: 'string' } } });
const out = resolve(values.out ?? ROOT);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const chrootDir = values.root ? realpathSync(values.root) : null;
const arch = values.arch ?? process.arch;
const CROSS = { arm64: 'aarch64-linux-gnu' };
if (arch !== process.arch && !CROSS[arch]) throw new Error(`prebuild: no cross toolchain known for --arch ${arch}`);

// In a root, the work folder must be inside it; what the build reads from outside (node_modules,
// the Darknet source) is bind-mounted in, and unmounted at the end whatever happens.
const work = mkdtempSync(join(chrootDir ? join(chrootDir, 'tmp') : tmpdir(), 'darknet-node-prebuild-'));
const mounts = [];
const bind = (from, to, ...opts) => {
  mkdirSync(to, { recursive: true });
  execFileSync('mount', [...opts, from, to]);
  mounts.push(to);
};
const inRoot = (p) => (chrootDir ? '/' + relative(chrootDir, p) : p);
try {
  // The sources npm would publish (dist/ is built by `prepack`).
  const packed = execFileSync(npm, ['pack', '--pack-destination', work, '--json'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const tgz = join(work, JSON.parse(packed)[0].filename);
  execFileSync('tar', ['xzf', tgz, '-C', work]);
  const pkg = join(work, 'package');
  rmSync(join(pkg, 'prebuilds'), { recursive: true, force: true });
  // node-addon-api and prebuildify from this checkout; the Darknet source this checkout resolves
  let darknetSrc = execFileSync(process.execPath, [join(ROOT, 'scripts', 'darknet-source.mjs')], { cwd: ROOT, encoding: 'utf8' }).trim();
  // node-gyp compiles one file at a time unless JOBS says otherwise: Darknet is ~70 files
  const env = { JOBS: 'max', ...process.env };
  if (arch !== process.arch) {
    const t = CROSS[arch];
    // find-blas.mjs reads PREBUILD_ARCH (prebuildify sets it) to look in the target's multiarch folders
    Object.assign(env, { CC: `${t}-gcc`, CXX: `${t}-g++`, LINK: `${t}-g++`, AR: `${t}-ar`, PREBUILD_STRIP_BIN: `${t}-strip` });
  }
  const prebuildifyArgs = ['--napi', '--strip', '--arch', arch];
  if (!chrootDir) {
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'prebuildify', 'bin.js'), ...prebuildifyArgs], {
      cwd: pkg, stdio: 'inherit', env: { ...env, DARKNET_SRC: darknetSrc },
    });
  } else {
    bind(realpathSync(join(ROOT, 'node_modules')), join(pkg, 'node_modules'), '--bind');
    bind(realpathSync(darknetSrc), join(work, 'darknet'), '--bind');
    for (const d of ['proc', 'dev']) bind(d === 'proc' ? 'proc' : '/dev', join(chrootDir, d), ...(d === 'proc' ? ['-t', 'proc'] : ['--bind']));
    // the root's Node (scripts/prebuild-linux.sh installs this one's, with its headers, in /usr/local)
    const vars = Object.entries({
      ...Object.fromEntries(['JOBS', 'CC', 'CXX', 'LINK', 'AR', 'PREBUILD_STRIP_BIN'].filter((k) => env[k]).map((k) => [k, env[k]])),
      PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/root', DARKNET_SRC: inRoot(join(work, 'darknet')),
      npm_config_nodedir: '/usr/local', DARKNET_BLAS: process.env.DARKNET_BLAS ?? 'ON',
      ...(process.env.DARKNET_OPENBLAS_PREFIX ? { DARKNET_OPENBLAS_PREFIX: process.env.DARKNET_OPENBLAS_PREFIX } : {}),
    }).map(([k, v]) => `${k}=${v}`);
    execFileSync('chroot', [chrootDir, '/usr/bin/env', '-i', ...vars, 'sh', '-c',
      `cd '${inRoot(pkg)}' && exec node node_modules/prebuildify/bin.js ${prebuildifyArgs.join(' ')}`], { stdio: 'inherit' });
  }
  cpSync(join(pkg, 'prebuilds'), join(out, 'prebuilds'), { recursive: true });
  for (const dir of readdirSync(join(pkg, 'prebuilds'))) {
    console.log(`prebuild: ${join(out, 'prebuilds', dir)}/${readdirSync(join(pkg, 'prebuilds', dir)).join(', ')}`);
  }
  if (values.tarball) {
    while (mounts.length) execFileSync('umount', [mounts.pop()]);
    rmSync(join(pkg, 'node_modules'), { recursive: true, force: true });
    rmSync(join(pkg, 'build'), { recursive: true, force: true });
    mkdirSync(resolve(values.tarball), { recursive: true });
    const withPrebuild = execFileSync(npm, ['pack', '--ignore-scripts', '--pack-destination', resolve(values.tarball), '--json'], { cwd: pkg, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    console.log(`tarball with prebuild: ${join(resolve(values.tarball), JSON.parse(withPrebuild)[0].filename)}`);
  }
} finally {
  // a bind mount left behind would make the rmSync below delete the checkout's node_modules
  while (mounts.length) execFileSync('umount', [mounts.pop()]);
  rmSync(work, { recursive: true, force: true });
}
