#!/usr/bin/env node
// npm run prebuild: the portable CPU prebuild (prebuildify → node-gyp → binding.gyp, Node-API 8)
// for this platform, written to prebuilds/<platform>-<arch>/ where node-gyp-build finds it.
// It builds in a packed copy of the package, so the cmake-js build in build/ is left alone
// (node-gyp would replace it), and the binary is built from exactly what npm ships.
//   --out <dir>       where prebuilds/ goes (default: the package root)
//   --tarball <dir>   also write the package tarball with the prebuild inside to <dir>
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { out: { type: 'string' }, tarball: { type: 'string' } } });
const out = resolve(values.out ?? ROOT);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const work = mkdtempSync(join(tmpdir(), 'darknet-node-prebuild-'));
try {
  // The sources npm would publish (dist/ is built by `prepare`).
  const packed = execFileSync(npm, ['pack', '--pack-destination', work, '--json'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const tgz = join(work, JSON.parse(packed)[0].filename);
  execFileSync('tar', ['xzf', tgz, '-C', work]);
  const pkg = join(work, 'package');
  rmSync(join(pkg, 'prebuilds'), { recursive: true, force: true });
  // node-addon-api and prebuildify from this checkout; the Darknet source this checkout resolves
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  const darknetSrc = execFileSync(process.execPath, [join(ROOT, 'scripts', 'darknet-source.mjs')], { cwd: ROOT, encoding: 'utf8' }).trim();
  const prebuildify = join(ROOT, 'node_modules', 'prebuildify', 'bin.js');
  // node-gyp compiles one file at a time unless JOBS says otherwise: Darknet is ~70 files
  execFileSync(process.execPath, [prebuildify, '--napi', '--strip'], {
    cwd: pkg, stdio: 'inherit', env: { JOBS: 'max', ...process.env, DARKNET_SRC: darknetSrc },
  });
  cpSync(join(pkg, 'prebuilds'), join(out, 'prebuilds'), { recursive: true });
  for (const dir of readdirSync(join(pkg, 'prebuilds'))) {
    console.log(`prebuild: ${join(out, 'prebuilds', dir)}/${readdirSync(join(pkg, 'prebuilds', dir)).join(', ')}`);
  }
  if (values.tarball) {
    rmSync(join(pkg, 'node_modules'));
    rmSync(join(pkg, 'build'), { recursive: true, force: true });
    mkdirSync(resolve(values.tarball), { recursive: true });
    const withPrebuild = execFileSync(npm, ['pack', '--ignore-scripts', '--pack-destination', resolve(values.tarball), '--json'], { cwd: pkg, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    console.log(`tarball with prebuild: ${join(resolve(values.tarball), JSON.parse(withPrebuild)[0].filename)}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
