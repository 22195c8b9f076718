/**
 * Every prebuilt binary in prebuilds/ (made by scripts/prebuild-linux.sh, or `npm run prebuild`):
 * loads on glibc 2.31 (the newest GLIBC symbol version it needs, by objdump -T), links only system
 * libraries (OpenBLAS is inside), and, for this machine's architecture, loads here and finds the
 * bundled sample's objects. With DARKNET_PREBUILD_ROOT (the Debian 11 root the script makes) each
 * binary is also run inside that root, with its own architecture's Node (arm64 under qemu-user).
 * A checkout without prebuilds/ has nothing to check here (the install test makes and checks one).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/fixtures.js';
// @ts-expect-error: a plain .mjs script without declarations
import { cmpVersion, elfArch, GLIBCXX_CEILING, glibcVersions, neededLibraries, smoke, symbolVersions } from '../../scripts/prebuild-check.mjs';

const GLIBC_CEILING = '2.31';
const SYSTEM_LIBS = /^(libc\.so\.6|libm\.so\.6|libstdc\+\+\.so\.6|libgcc_s\.so\.1|libgomp\.so\.1|libpthread\.so\.0|libdl\.so\.2|ld-linux-(x86-64|aarch64)\.so\.[12])$/;

const dir = join(ROOT, 'prebuilds');
const binaries = existsSync(dir)
  ? readdirSync(dir).filter((p) => p.startsWith('linux-')).flatMap((p) => readdirSync(join(dir, p)).filter((f) => f.endsWith('.node')).map((f) => ({ platform: p, file: join(dir, p, f) })))
  : [];
const root = process.env.DARKNET_PREBUILD_ROOT;

describe.skipIf(binaries.length === 0)('prebuilt binaries in prebuilds/', () => {
  it.each(binaries)('$platform: GLIBC ≤ 2.31 and GLIBCXX ≤ 3.4.28 (Debian 11, Ubuntu 20.04), only system libraries, the folder\'s architecture', ({ platform, file }) => {
    const versions: string[] = glibcVersions(file);
    expect(versions.length).toBeGreaterThan(0);
    expect(cmpVersion(versions.at(-1), GLIBC_CEILING), `needs GLIBC_${versions.at(-1)}`).toBeLessThanOrEqual(0);
    const cxx: string[] = symbolVersions(file, 'GLIBCXX');
    if (cxx.length) expect(cmpVersion(cxx.at(-1), GLIBCXX_CEILING), `needs GLIBCXX_${cxx.at(-1)}`).toBeLessThanOrEqual(0);
    const needed: string[] = neededLibraries(file);
    expect(needed.filter((l) => !SYSTEM_LIBS.test(l))).toEqual([]);
    expect(elfArch(file)).toBe(platform.slice('linux-'.length));
  });

  it.each(binaries.filter((b) => b.platform === `linux-${process.arch}`))('$platform: loads here and finds every object of the sample', async ({ file }) => {
    const r = await smoke(file);
    expect(r.status, r.stderr).toBe(0);
    expect(r.result.matched).toBe(r.result.truth);
    expect(r.result.blas).toMatch(/OpenBLAS/);
  });

  it.skipIf(!root || !existsSync(join(root ?? '', 'usr/local/bin/node'))).each(binaries)('$platform: loads in the Debian 11 root with its own Node and finds every object', async ({ platform, file }) => {
    const arch = platform.slice('linux-'.length);
    const r = await smoke(file, { root, arch });
    expect(r.status, r.stderr).toBe(0);
    expect(r.result.arch).toBe(arch);
    expect(r.result.matched).toBe(r.result.truth);
  }, 900_000);
});
