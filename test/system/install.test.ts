/**
 * Both install paths, from the tarball npm would publish, into fresh projects:
 *   1. with the portable prebuild inside (scripts/prebuild.mjs: prebuildify → node-gyp): works
 *      as soon as `npm install` returns, ESM and CommonJS, with no build tools involved;
 *   2. without prebuilds: the install script builds from source (cmake-js) where npm runs it;
 *      where it does not (`--ignore-scripts`, or npm ≥ 11 configured to block dependency scripts)
 *      the first load fails with NATIVE_MISSING naming the way out, and `npx darknet-node build`
 *      builds from source, after which it works.
 * Slow (three native builds; the second source build hits ccache where it is installed):
 * DARKNET_SKIP_INSTALL_TEST=1 skips it locally.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/fixtures.js';
import { run, runOk } from '../helpers/proc.js';

const skip = process.env.DARKNET_SKIP_INSTALL_TEST === '1';
const NPM = 'npm';
const work = mkdtempSync(join(tmpdir(), 'darknet-node-install-'));
const darknetSrc = execFileSync(process.execPath, [join(ROOT, 'scripts', 'darknet-source.mjs')], { cwd: ROOT, encoding: 'utf8' }).trim();
// The two source builds compile the same files with the same flags in two project folders: with
// ccache (where installed) and the folders' common parent as its base, the second is a cache hit.
const ccache = spawnSync('ccache', ['--version']).status === 0
  ? { CMAKE_C_COMPILER_LAUNCHER: 'ccache', CMAKE_CXX_COMPILER_LAUNCHER: 'ccache', CCACHE_DIR: join(work, 'ccache'), CCACHE_BASEDIR: work, CCACHE_NOHASHDIR: '1' }
  : {};
const env = { ...process.env, ...ccache, DARKNET_SRC: darknetSrc, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

// Detect on the bundled sample through the installed package, by its name.
const ESM_CHECK = `
import { Detector, capabilities } from 'darknet-node';
import { createRequire } from 'node:module';
const root = createRequire(import.meta.url).resolve('darknet-node/package.json').replace(/package\\.json$/, '');
const m = (f) => root + 'models/shapes/' + f;
const d = await Detector.load({ cfg: m('shapes.cfg'), weights: m('shapes.weights'), names: m('shapes.names') });
const dets = await d.detect(m('sample.png'));
d.dispose();
console.log(JSON.stringify({ count: dets.length, first: dets[0]?.className, blas: capabilities().blas, detections: JSON.stringify(dets) }));
`;
const CJS_CHECK = `
const { Detector } = require('darknet-node');
const m = (f) => require.resolve('darknet-node/package.json').replace(/package\\.json$/, '') + 'models/shapes/' + f;
Detector.load({ cfg: m('shapes.cfg'), weights: m('shapes.weights'), names: m('shapes.names') })
  .then(async (d) => { const n = (await d.detect(m('sample.png'))).length; d.dispose(); console.log(JSON.stringify({ count: n })); });
`;

async function project(name: string, tarball: string, npmArgs: string[] = []): Promise<string> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type: 'module' }));
  writeFileSync(join(dir, 'check.mjs'), ESM_CHECK);
  writeFileSync(join(dir, 'check.cjs'), CJS_CHECK);
  await runOk(NPM, ['install', '--prefer-offline', ...npmArgs, tarball], { cwd: dir, env, timeout: 600_000 });
  return dir;
}

const check = (dir: string, file: string) => run(process.execPath, [file], { cwd: dir, env, timeout: 120_000 });

describe.skipIf(skip)('install from the packed tarball', () => {
  let withPrebuild: string;
  let plain: string;
  let expected: number;
  /** detections from this checkout's own (cmake-js) build: every installed binary must give these bytes */
  let expectedJson: string;

  beforeAll(async () => {
    // the tarball with the prebuild (built in a packed copy, so build/ here is untouched)
    await runOk(process.execPath, [join(ROOT, 'scripts', 'prebuild.mjs'), '--out', join(work, 'pre'), '--tarball', join(work, 'with')], { cwd: ROOT, env, timeout: 900_000 });
    withPrebuild = join(work, 'with', readdirSync(join(work, 'with'))[0]!);
    // and the plain tarball (no prebuilds/)
    const packed = await runOk(NPM, ['pack', '--pack-destination', work, '--json'], { cwd: ROOT, env });
    plain = join(work, JSON.parse(packed)[0].filename as string);
    const listing = execFileSync('tar', ['tzf', plain], { encoding: 'utf8' });
    if (listing.includes('package/prebuilds/')) {
      // this checkout has prebuilds/: strip them so that this tarball tests the source path
      execFileSync('tar', ['xzf', plain, '-C', work]);
      rmSync(join(work, 'package', 'prebuilds'), { recursive: true, force: true });
      execFileSync('tar', ['czf', plain, '-C', work, 'package']);
      rmSync(join(work, 'package'), { recursive: true, force: true });
    }
    const { Detector } = await import('../../lib/detector.js');
    const m = (f: string) => join(ROOT, 'models', 'shapes', f);
    const d = await Detector.load({ cfg: m('shapes.cfg'), weights: m('shapes.weights'), names: m('shapes.names') });
    const dets = await d.detect(m('sample.png'));
    expected = dets.length;
    expectedJson = JSON.stringify(dets);
    d.dispose();
  }, 1_200_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('the prebuild is a portable Node-API binary for this platform', () => {
    const dir = join(work, 'pre', 'prebuilds', `${process.platform}-${process.arch}`);
    const files = readdirSync(dir);
    expect(files.some((f) => /napi.*\.node$|\.node$/.test(f))).toBe(true);
    const so = join(dir, files.find((f) => f.endsWith('.node'))!);
    const needed = execFileSync('readelf', ['-d', so], { encoding: 'utf8' });
    // only system libraries: OpenBLAS is inside, not a runtime dependency
    expect(needed).not.toMatch(/libopenblas/);
    expect(execFileSync('tar', ['tzf', withPrebuild], { encoding: 'utf8' })).toMatch(/package\/prebuilds\/.*\.node/);
  });

  it('with prebuilds: works right after npm install, ESM and CommonJS, nothing compiled', async () => {
    const dir = await project('with-prebuild', withPrebuild);
    expect(existsSync(join(dir, 'node_modules', 'darknet-node', 'build'))).toBe(false);
    const esm = await check(dir, 'check.mjs');
    expect(esm.stderr).toBe('');
    const out = JSON.parse(esm.stdout);
    expect(out.count).toBe(expected);
    expect(out.detections).toBe(expectedJson); // the prebuild (node-gyp) computes what a source build does
    expect(out.blas).toMatch(/OpenBLAS/);
    expect(JSON.parse((await check(dir, 'check.cjs')).stdout).count).toBe(expected);
  }, 600_000);

  it('without prebuilds, install scripts allowed: npm install builds from source', async () => {
    const dir = await project('source-on-install', plain);
    expect(existsSync(join(dir, 'node_modules', 'darknet-node', 'build', 'Release', 'darknet.node'))).toBe(true);
    const esm = await check(dir, 'check.mjs');
    expect(esm.status, esm.stderr).toBe(0);
    expect(JSON.parse(esm.stdout)).toMatchObject({ count: expected, detections: expectedJson });
  }, 1_200_000);

  it('without prebuilds, scripts not run: NATIVE_MISSING names `npx darknet-node build`, which builds from source', async () => {
    const dir = await project('source-by-command', plain, ['--ignore-scripts']);
    expect(existsSync(join(dir, 'node_modules', 'darknet-node', 'build'))).toBe(false);
    const first = await check(dir, 'check.mjs');
    expect(first.status).not.toBe(0);
    expect(first.stderr).toMatch(/NATIVE_MISSING/);
    expect(first.stderr).toMatch(/npx darknet-node build/);
    const build = await run(join(dir, 'node_modules', '.bin', 'darknet-node'), ['build'], { cwd: dir, env, timeout: 900_000 });
    expect(build.status, build.stderr).toBe(0);
    expect(build.stdout).toMatch(/built .*darknet\.node/);
    const esm = await check(dir, 'check.mjs');
    expect(esm.status, esm.stderr).toBe(0);
    expect(JSON.parse(esm.stdout)).toMatchObject({ count: expected, detections: expectedJson });
    expect(JSON.parse((await check(dir, 'check.cjs')).stdout).count).toBe(expected);
  }, 1_200_000);
});
