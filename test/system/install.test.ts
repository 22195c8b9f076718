/**
 * Both install paths, from the tarball npm would publish, into fresh projects:
 *   1. with the portable prebuild inside (scripts/prebuild.mjs: prebuildify → node-gyp): works
 *      as soon as `npm install` returns, ESM and CommonJS, with no build tools installed, no
 *      install script (so no npm warning about one), the licence files there, no source maps;
 *   2. without prebuilds: the first load fails with NATIVE_MISSING naming the way out;
 *      `npx darknet-node build` asks for the build tools (cmake-js, node-addon-api: not runtime
 *      dependencies), then builds from source, fetching the pinned Darknet with git (a local bare
 *      repository through DARKNET_GIT_URL) as a package in node_modules must, after which it works.
 * Slow (two native builds): DARKNET_SKIP_INSTALL_TEST=1 skips it locally.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { darknetMirror } from '../helpers/darknet-mirror.js';
import { ROOT } from '../helpers/fixtures.js';
import { run, runOk } from '../helpers/proc.js';

const skip = process.env.DARKNET_SKIP_INSTALL_TEST === '1';
const NPM = 'npm';
const work = mkdtempSync(join(tmpdir(), 'darknet-node-install-'));
const darknetSrc = execFileSync(process.execPath, [join(ROOT, 'scripts', 'darknet-source.mjs')], { cwd: ROOT, encoding: 'utf8' }).trim();
// ccache (where installed) for the source build: a rerun of this test is a cache hit
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

/** A fresh project with the tarball installed; npm's output (both streams) is kept for checks. */
async function project(name: string, tarball: string): Promise<{ dir: string; npmOutput: string }> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type: 'module' }));
  writeFileSync(join(dir, 'check.mjs'), ESM_CHECK);
  writeFileSync(join(dir, 'check.cjs'), CJS_CHECK);
  const r = await run(NPM, ['install', '--prefer-offline', tarball], { cwd: dir, env, timeout: 600_000 });
  expect(r.status, r.stderr).toBe(0);
  return { dir, npmOutput: r.stdout + r.stderr };
}

/** Every file under `dir`, relative paths. */
const filesUnder = (dir: string): string[] => (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
  .filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));

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

  it('with prebuilds: works right after npm install, ESM and CommonJS, nothing compiled, no install script, no build tools', async () => {
    const { dir, npmOutput } = await project('with-prebuild', withPrebuild);
    const pkgDir = join(dir, 'node_modules', 'darknet-node');
    expect(existsSync(join(pkgDir, 'build'))).toBe(false);
    // no install script at all (npm would add `node-gyp rebuild` for a binding.gyp without gypfile: false)
    const installed = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    expect(installed.scripts?.install).toBeUndefined();
    expect(installed.scripts?.preinstall).toBeUndefined();
    expect(installed.scripts?.postinstall).toBeUndefined();
    expect(JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')).packages['node_modules/darknet-node'].hasInstallScript).toBeUndefined();
    expect(npmOutput).not.toMatch(/install script|install-scripts|node-gyp|gyp info/i);
    // build tools are not runtime dependencies: nothing of cmake-js or node-addon-api installed
    expect(existsSync(join(dir, 'node_modules', 'cmake-js'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules', 'node-addon-api'))).toBe(false);
    const esm = await check(dir, 'check.mjs');
    expect(esm.stderr).toBe('');
    const out = JSON.parse(esm.stdout);
    expect(out.count).toBe(expected);
    expect(out.detections).toBe(expectedJson); // the prebuild (node-gyp) computes what a source build does
    expect(out.blas).toMatch(/OpenBLAS/);
    expect(JSON.parse((await check(dir, 'check.cjs')).stdout).count).toBe(expected);
  }, 600_000);

  it('the package carries its licence, the third-party notices, and no source map pointing at a missing file', async () => {
    const { dir } = await project('licences', withPrebuild);
    const pkgDir = join(dir, 'node_modules', 'darknet-node');
    expect(readFileSync(join(pkgDir, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    const notices = readFileSync(join(pkgDir, 'THIRD_PARTY_NOTICES'), 'utf8');
    for (const part of [/YOLO LICENSE/, /OpenBLAS/, /BSD-3-clause/i, /University of Texas/, /node-addon-api/, /stb_image/]) expect(notices).toMatch(part);
    const installed = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    expect(installed.repository?.url).toMatch(/github\.com/);
    expect(installed.homepage).toBeTruthy();
    expect(installed.bugs?.url).toBeTruthy();
    const files = filesUnder(pkgDir);
    for (const map of files.filter((f) => f.endsWith('.map'))) {
      const { sources, sourceRoot = '' } = JSON.parse(readFileSync(map, 'utf8'));
      for (const src of sources) expect(existsSync(join(map, '..', sourceRoot, src)), `${map} → ${src}`).toBe(true);
    }
    for (const js of files.filter((f) => /\.(c|m)?js$/.test(f) && !f.includes('/node_modules/'))) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(js, 'utf8'))?.[1];
      if (url && !url.startsWith('data:')) expect(existsSync(join(js, '..', url)), `${js} → ${url}`).toBe(true);
    }
  }, 600_000);

  it('without prebuilds: NATIVE_MISSING names `npx darknet-node build`, which asks for the build tools, then builds, fetching Darknet with git', async () => {
    const { dir, npmOutput } = await project('source-by-command', plain);
    expect(npmOutput).not.toMatch(/install script|install-scripts|gyp info/i);
    expect(existsSync(join(dir, 'node_modules', 'darknet-node', 'build'))).toBe(false);
    const first = await check(dir, 'check.mjs');
    expect(first.status).not.toBe(0);
    expect(first.stderr).toMatch(/NATIVE_MISSING/);
    expect(first.stderr).toMatch(/npx darknet-node build/);
    expect(first.stderr).toMatch(/npm install --save-dev cmake-js node-addon-api/);
    expect(first.stderr).not.toMatch(/submodule|install-scripts approve/);
    // a package in node_modules has no darknet/ checkout: the build fetches the pinned commit with git
    const buildEnv: NodeJS.ProcessEnv = { ...env, DARKNET_GIT_URL: darknetMirror(work, 'darknet-mirror'), DARKNET_GIT_REF: 'main' };
    delete buildEnv.DARKNET_SRC;
    const cli = join(dir, 'node_modules', '.bin', 'darknet-node');
    const noTools = await run(cli, ['build'], { cwd: dir, env: buildEnv, timeout: 120_000 });
    expect(noTools.status).not.toBe(0);
    expect(noTools.stderr).toMatch(/needs cmake-js and node-addon-api[\s\S]*npm install --save-dev cmake-js@\^8 node-addon-api@\^8\.5/);
    await runOk(NPM, ['install', '--prefer-offline', '--save-dev', 'cmake-js@^8', 'node-addon-api@^8.5'], { cwd: dir, env, timeout: 600_000 });
    const build = await run(cli, ['build'], { cwd: dir, env: buildEnv, timeout: 900_000 });
    expect(build.status, build.stderr).toBe(0);
    expect(build.stderr).toMatch(/fetching Darknet main from file:.*\n.*verified: src\/ and include\/ trees of f6afaabc/);
    expect(build.stdout).toMatch(/built .*darknet\.node/);
    const esm = await check(dir, 'check.mjs');
    expect(esm.status, esm.stderr).toBe(0);
    expect(JSON.parse(esm.stdout)).toMatchObject({ count: expected, detections: expectedJson });
    expect(JSON.parse((await check(dir, 'check.cjs')).stdout).count).toBe(expected);
  }, 1_200_000);
});
