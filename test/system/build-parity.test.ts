/**
 * One build description, one arithmetic: the addon node-gyp builds from binding.gyp (the path of
 * the portable prebuilds: prebuildify → node-gyp) and the one cmake-js builds from CMakeLists.txt
 * (a source install, build/Release) read the same native/build.json, and must give byte-identical
 * detections and raw outputs, in fast and in reference numerics. The gyp build goes to
 * build/gyp-parity/ (a copy of what gyp reads, timestamps kept, so a rerun is incremental; with
 * ccache where installed). Slow the first time: DARKNET_SKIP_BUILD_PARITY=1 skips it locally.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NativeAddon, NativeNetwork } from '../../lib/native.js';
import { ensureModel, readRaw, ROOT, SAMPLE_IMAGES, type ModelFixture } from '../helpers/fixtures.js';
import { runOk } from '../helpers/proc.js';

const skip = process.env.DARKNET_SKIP_BUILD_PARITY === '1';
const GYP_DIR = join(ROOT, 'build', 'gyp-parity');
const CMAKE_BINARY = join(ROOT, 'build', 'Release', 'darknet.node');
const GYP_BINARY = join(GYP_DIR, 'build', 'Release', 'darknet.node');

async function buildWithGyp(): Promise<void> {
  mkdirSync(GYP_DIR, { recursive: true });
  for (const p of ['binding.gyp', 'package.json', 'native', 'scripts']) {
    cpSync(join(ROOT, p), join(GYP_DIR, p), { recursive: true, preserveTimestamps: true, force: true });
  }
  if (!existsSync(join(GYP_DIR, 'node_modules'))) symlinkSync(join(ROOT, 'node_modules'), join(GYP_DIR, 'node_modules'), 'dir');
  const darknetSrc = execFileSync(process.execPath, [join(ROOT, 'scripts', 'darknet-source.mjs')], { cwd: ROOT, encoding: 'utf8' }).trim();
  const ccache = spawnSync('ccache', ['--version']).status === 0
    ? { CC: 'ccache gcc', CXX: 'ccache g++', CCACHE_BASEDIR: GYP_DIR, CCACHE_NOHASHDIR: '1' }
    : {};
  const nodeGyp = join(ROOT, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const env = { ...process.env, ...ccache, JOBS: 'max', DARKNET_SRC: darknetSrc };
  // node's headers where npm is configured to find them (npm passes this to node-gyp; run here
  // directly, node-gyp would try to download them)
  const nodedir = process.env.npm_config_nodedir ?? execFileSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' }).trim();
  const configure = [nodeGyp, 'configure', ...(nodedir && nodedir !== 'undefined' && nodedir !== 'null' ? [`--nodedir=${nodedir}`] : [])];
  // configured every time (seconds): binding.gyp or build.json may have changed since
  await runOk(process.execPath, configure, { cwd: GYP_DIR, env, timeout: 300_000 });
  await runOk(process.execPath, [nodeGyp, 'build'], { cwd: GYP_DIR, env, timeout: 900_000 });
}

const load = (binary: string) => createRequire(import.meta.url)(binary) as NativeAddon;

type Run = { boxes: string[]; outputs: string[] };
const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

async function detectAll(addon: NativeAddon, m: ModelFixture, fast: boolean, threads: number): Promise<Run> {
  const net: NativeNetwork = new addon.Network();
  await net.load(m.cfg, m.weights, { lean: true, fast, threads });
  try {
    const run: Run = { boxes: [], outputs: [] };
    const heads = net.layers().flatMap((l, i) => (l.type === 'yolo' ? [i] : []));
    for (const img of SAMPLE_IMAGES) {
      const [b] = await net.detect([readRaw(img)], true, 0.25, 0.5, 0.45);
      run.boxes.push(`${img}: ${b!.count} ${bytes(b!.data)}`);
      for (const h of heads) run.outputs.push(`${img} layer ${h}: ${bytes(net.output(h))}`);
    }
    return run;
  } finally {
    net.dispose();
  }
}

describe.skipIf(skip)('a gyp-built (prebuild) and a cmake-js-built addon', () => {
  let tiny: ModelFixture;
  let gyp: NativeAddon;
  let cmake: NativeAddon;
  beforeAll(async () => {
    tiny = await ensureModel('tiny');
    await buildWithGyp();
    gyp = load(GYP_BINARY);
    cmake = load(CMAKE_BINARY);
  }, 1_200_000);

  it('were built from the same description and the same Darknet source', () => {
    const a = gyp.capabilities(), b = cmake.capabilities();
    expect(a.darknetCommit).toBe(b.darknetCommit);
    expect(a.darknetSourceHash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.darknetSourceHash).toBe(b.darknetSourceHash);
    expect(a.openmp).toBe(true);
    expect(b.openmp).toBe(true);
    expect(a.blas).toBe(b.blas);
  });

  it.each([
    ['fast numerics', true, 2],
    ['fast numerics, 1 thread', true, 1],
    ['reference numerics', false, 2],
  ])('give byte-identical detections and raw outputs: %s', async (_name, fast, threads) => {
    const fromGyp = await detectAll(gyp, tiny, fast, threads);
    const fromCmake = await detectAll(cmake, tiny, fast, threads);
    expect(fromGyp.boxes.length).toBe(SAMPLE_IMAGES.length);
    expect(fromGyp.boxes.some((b) => !b.includes(': 0 '))).toBe(true); // something was detected
    expect(fromGyp.boxes).toEqual(fromCmake.boxes);
    expect(fromGyp.outputs).toEqual(fromCmake.outputs);
  });
});
