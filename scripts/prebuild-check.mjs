#!/usr/bin/env node
// Checks prebuilt binaries where they will run:
//   1. the newest GLIBC symbol version they need (objdump -T) is at most --glibc (default 2.31);
//   2. they load and detect (scripts/prebuild-smoke.cjs on the bundled shapes model) on this
//      machine's Node, or, with --root, inside that Linux root with its own Node (for an arm64
//      binary: the root's arm64 Node under qemu-user, as scripts/prebuild-linux.sh sets it up).
//   node scripts/prebuild-check.mjs [--glibc 2.31] [--root DIR --arch x64|arm64] <dir or .node>…
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cmpVersion = (a, b) => {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};

/** The symbol versions of `family` (GLIBC, GLIBCXX, GOMP…) a binary needs (objdump -T; readelf's
 * version section where this machine's objdump cannot read another architecture's ELF), newest last. */
export function symbolVersions(file, family = 'GLIBC') {
  let text;
  try {
    text = execFileSync('objdump', ['-T', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch {
    text = execFileSync('readelf', ['-V', '-W', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  }
  const versions = new Set([...text.matchAll(new RegExp(`\\b${family}_(\\d+(?:\\.\\d+)+)`, 'g'))].map((m) => m[1]));
  return [...versions].sort(cmpVersion);
}
export const glibcVersions = (file) => symbolVersions(file, 'GLIBC');
/** Debian 11's and Ubuntu 20.04's libstdc++ (GCC 10) */
export const GLIBCXX_CEILING = '3.4.28';
export { cmpVersion };

/** The shared libraries a binary names (readelf -d NEEDED). */
export function neededLibraries(file) {
  const text = execFileSync('readelf', ['-d', '-W', file], { encoding: 'utf8' });
  return [...text.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
}

/** The ELF machine of a binary: 'x64', 'arm64' or what readelf says. */
export function elfArch(file) {
  const m = /Machine:\s+(.*)/.exec(execFileSync('readelf', ['-h', file], { encoding: 'utf8' }))?.[1] ?? '';
  return /X86-64/.test(m) ? 'x64' : /AArch64/.test(m) ? 'arm64' : m.trim();
}

/** The bundled sample's RGB pixels, decoded by sharp on this machine (the smoke script has no deps). */
async function samplePixels() {
  const sharp = (await import('sharp')).default;
  const { data, info } = await sharp(join(ROOT, 'models', 'shapes', 'sample.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function runInRoot(root, arch, args) {
  // the root's Node: this machine's x64 Node copied in (/usr/local/bin), or Debian's arm64 Node under qemu-user
  const node = arch === 'arm64' ? ['/usr/local/bin/qemu-aarch64-static', '/usr/bin/node'] : ['/usr/local/bin/node'];
  return spawnSync('chroot', [root, '/usr/bin/env', '-i', 'PATH=/usr/local/bin:/usr/bin:/bin', ...node, ...args], { encoding: 'utf8', timeout: 600_000 });
}

/**
 * Runs prebuild-smoke.cjs on `file`: here with this Node, or in `root` (chroot) with the root's
 * Node for `arch`. Returns the parsed JSON line and the exit status.
 */
export async function smoke(file, { root, arch } = {}) {
  const base = root ? join(root, 'tmp') : tmpdir();
  const dir = mkdtempSync(join(base, 'darknet-node-check-'));
  try {
    const px = await samplePixels();
    writeFileSync(join(dir, 'sample.rgb'), px.data);
    for (const f of ['shapes.cfg', 'shapes.weights', 'sample.txt']) copyFileSync(join(ROOT, 'models', 'shapes', f), join(dir, f));
    copyFileSync(join(ROOT, 'scripts', 'prebuild-smoke.cjs'), join(dir, 'smoke.cjs'));
    copyFileSync(file, join(dir, 'darknet.node'));
    const at = (f) => (root ? '/' + relative(root, join(dir, f)) : join(dir, f));
    const args = [at('smoke.cjs'), at('darknet.node'), at('shapes.cfg'), at('shapes.weights'), at('sample.rgb'), String(px.width), String(px.height), at('sample.txt')];
    let r;
    if (!root) r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 300_000 });
    else {
      // a real system has /proc (the addon reads a cfg given as text through /proc/self/fd)
      const proc = join(root, 'proc');
      const mounted = spawnSync('mountpoint', ['-q', proc]).status !== 0 && spawnSync('mount', ['-t', 'proc', 'proc', proc]).status === 0;
      try {
        r = runInRoot(root, arch, args);
      } finally {
        if (mounted) execFileSync('umount', [proc]);
      }
    }
    let result = null;
    try { result = JSON.parse(r.stdout.trim().split('\n').pop()); } catch { /* reported below */ }
    return { status: r.status, result, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const binaries = (paths) => paths.flatMap((p) => (statSync(p).isDirectory()
  ? readdirSync(p).filter((f) => f.endsWith('.node')).map((f) => join(p, f)) : [p]));

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { glibc: { type: 'string', default: '2.31' }, root: { type: 'string' }, arch: { type: 'string' } } });
  const files = binaries(positionals.length ? positionals : [join(ROOT, 'prebuilds')]);
  if (!files.length) { console.error('prebuild-check: no .node files'); process.exit(1); }
  let failed = false;
  for (const file of files) {
    const versions = glibcVersions(file);
    const newest = versions.at(-1) ?? 'none';
    const arch = values.arch ?? elfArch(file);
    const okGlibc = newest === 'none' || cmpVersion(newest, values.glibc) <= 0;
    const cxx = symbolVersions(file, 'GLIBCXX').at(-1) ?? 'none';
    const okCxx = cxx === 'none' || cmpVersion(cxx, GLIBCXX_CEILING) <= 0;
    const gomp = symbolVersions(file, 'GOMP').at(-1) ?? 'none';
    console.log(`${file}: ${arch}, newest GLIBC_${newest} (ceiling ${values.glibc}: ${okGlibc ? 'ok' : 'TOO NEW'}), ` +
      `GLIBCXX_${cxx} (ceiling ${GLIBCXX_CEILING}: ${okCxx ? 'ok' : 'TOO NEW'}), GOMP_${gomp}; needs ${neededLibraries(file).join(' ')}`);
    if (!okGlibc || !okCxx) failed = true;
    if (!values.root && arch !== process.arch) { console.log('  (another architecture: load it with --root)'); continue; }
    const r = await smoke(file, { root: values.root && resolve(values.root), arch });
    console.log(`  loaded and ran: ${r.result ? JSON.stringify({ ...r.result, found: undefined }) : '(no result)'}`);
    if (r.status !== 0) { failed = true; console.error(`  smoke test failed (exit ${r.status}): ${r.stderr.trim()}`); }
  }
  process.exit(failed ? 1 : 0);
}
