#!/usr/bin/env node
// Resolves the directory holding the pinned Darknet source and prints it on stdout
// (binding.gyp and CMakeLists.txt both ask this script, so the two builds agree).
//
// Order: $DARKNET_SRC, the `darknet/` submodule when checked out, `git submodule update --init`
// (a git checkout of this project), the pinned commit fetched with git (an installed package:
// node_modules has no submodule), then Debian's source package of the same upstream source
// (machines without a git host). Fetched and unpacked copies live under .cache/ (ignored; cmake-js
// wipes build/ on a failed build), never in tracked files, never in darknet/.
//   DARKNET_GIT_URL  where to fetch Darknet from (default: pjreddie's GitHub repository; a mirror)
//   DARKNET_GIT_REF  what to fetch there (default: the pinned commit; a mirror's branch)
// Whatever is fetched must be the pinned source: the pinned commit itself, or a commit whose src/
// and include/ trees are the pinned commit's (git's tree hashes name their content).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
import { buildDescription } from './native-build.mjs';

const BUILD = buildDescription();
// native/build.json: the one place the commit and the Darknet files to compile are written.
export const PINNED_COMMIT = BUILD.darknet.commit;
// Debian's orig tarball of upstream 61c9d02e, whose src/, include/ and Makefile equal PINNED_COMMIT's.
export const DEBIAN_VERSION = '0.0.0+git20180914.61c9d02e';
// git's tree hashes of PINNED_COMMIT's src/ and include/ (Debian's orig tarball has the same trees)
export const PINNED_TREES = { src: 'e4da33bf1850bf3c6eab30232e299acddf672b62', include: '87a27ca1a74b281df2301d41b7a5b359c5322335' };
export const DEFAULT_GIT_URL = 'https://github.com/pjreddie/darknet.git';
export const DEBIAN_ORIG_SHA256 = 'ec536ae11853846aab96183d8ec18730a46cce71f7d935768d235029329f9e93';

const log = (msg) => process.stderr.write(`darknet-source: ${msg}\n`);
const isSource = (dir) => existsSync(join(dir, 'src', 'parser.c')) && existsSync(join(dir, 'include', 'darknet.h'));

function fail(msg) {
  process.stderr.write(`\ndarknet-source: ERROR: ${msg}\n\n`);
  process.exit(1);
}

function trySubmodule() {
  // only a git checkout of this project has a submodule to initialise (a package in node_modules has none)
  if (!existsSync(join(ROOT, '.git')) || !existsSync(join(ROOT, '.gitmodules'))) return false;
  log('darknet/ is empty; trying `git submodule update --init darknet`');
  const r = spawnSync('git', ['submodule', 'update', '--init', 'darknet'], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  });
  if (r.status === 0 && isSource(join(ROOT, 'darknet'))) return true;
  log(`submodule clone failed (${String(r.stderr || '').trim().split('\n').pop() || 'no git host'})`);
  return false;
}

const GIT_BASE = join(ROOT, '.cache', 'darknet-git');

const git = (args, cwd, timeout = 300_000) => spawnSync('git', args, {
  cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout,
  env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true' },
});
const lastLine = (r) => String(r.stderr || r.error?.message || '').trim().split('\n').pop() || `exit ${r.status}`;

/** The git copy fetched by an earlier build, if its verification stamp is present. */
function verifiedGitCopy() {
  const srcDir = join(GIT_BASE, 'darknet');
  const stamp = join(GIT_BASE, 'VERIFIED');
  return isSource(srcDir) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === PINNED_TREES.src ? srcDir : null;
}

/** The pinned Darknet fetched with git into .cache/darknet-git/darknet; null (and why) when it cannot be. */
function fromGit() {
  if (git(['--version']).status !== 0) return { dir: null, why: 'git is not installed' };
  const url = process.env.DARKNET_GIT_URL || DEFAULT_GIT_URL;
  const ref = process.env.DARKNET_GIT_REF || PINNED_COMMIT;
  const srcDir = join(GIT_BASE, 'darknet');
  log(`fetching Darknet ${ref === PINNED_COMMIT ? PINNED_COMMIT.slice(0, 8) : ref} from ${url}`);
  rmSync(GIT_BASE, { recursive: true, force: true });
  mkdirSync(srcDir, { recursive: true });
  const step = (args) => { const r = git(args, srcDir); return r.status === 0 ? null : `git ${args[0]}: ${lastLine(r)}`; };
  let err = step(['init', '-q']);
  // one commit, shallow (GitHub serves a commit by its hash); a server that does not: the whole history
  if (!err && step(['fetch', '-q', '--depth', '1', url, ref])) err = step(['fetch', '-q', url, ref]);
  if (!err) err = step(['-c', 'advice.detachedHead=false', 'checkout', '-q', 'FETCH_HEAD']);
  if (err) {
    rmSync(GIT_BASE, { recursive: true, force: true });
    return { dir: null, why: err };
  }
  const head = git(['rev-parse', 'HEAD'], srcDir).stdout.trim();
  const tree = (p) => git(['rev-parse', `HEAD:${p}`], srcDir).stdout.trim();
  if (head !== PINNED_COMMIT && (tree('src') !== PINNED_TREES.src || tree('include') !== PINNED_TREES.include)) {
    rmSync(GIT_BASE, { recursive: true, force: true });
    fail(`${url} (${ref}) gave commit ${head}, whose src/ and include/ are not pinned Darknet's (commit ${PINNED_COMMIT}).\n` +
      '  Refusing to build an unverified Darknet. Point DARKNET_GIT_URL/DARKNET_GIT_REF at the pinned commit, or DARKNET_SRC at a checkout of it.');
  }
  if (!isSource(srcDir)) fail(`${url} (${ref}) has no src/parser.c and include/darknet.h.`);
  writeFileSync(join(GIT_BASE, 'VERIFIED'), PINNED_TREES.src + '\n');
  log(`verified: ${head === PINNED_COMMIT ? 'the pinned commit' : `src/ and include/ trees of ${PINNED_COMMIT.slice(0, 8)}`}; source at ${srcDir}`);
  return { dir: srcDir, why: null };
}

// deb-src entries derived from the machine's own apt sources (both one-line and deb822 formats),
// written to a private apt configuration so the system's apt state is never touched.
function debSrcSources() {
  const out = [];
  const oneLine = ['/etc/apt/sources.list'];
  const d = '/etc/apt/sources.list.d';
  const parts = existsSync(d) ? readdirSync(d).map((f) => join(d, f)) : [];
  for (const f of [...oneLine, ...parts.filter((p) => p.endsWith('.list'))]) {
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (/^\s*deb\s/.test(line) && /debian/.test(line)) out.push({ kind: 'list', text: line.replace(/^\s*deb\s/, 'deb-src ') });
    }
  }
  for (const f of parts.filter((p) => p.endsWith('.sources'))) {
    for (const stanza of readFileSync(f, 'utf8').split(/\n\s*\n/)) {
      if (!/^Types:.*\bdeb\b/m.test(stanza) || !/^URIs:.*debian/m.test(stanza)) continue;
      if (/^Enabled:\s*no/mi.test(stanza)) continue;
      out.push({ kind: 'sources', text: stanza.replace(/^Types:.*$/m, 'Types: deb-src').trim() });
    }
  }
  return out;
}

const DEBIAN_BASE = join(ROOT, '.cache', 'darknet-debian');

/** The Debian copy unpacked by an earlier build, if its verification stamp is present. */
function verifiedDebianCopy() {
  const srcDir = join(DEBIAN_BASE, 'darknet');
  const stamp = join(DEBIAN_BASE, 'VERIFIED');
  return isSource(srcDir) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === DEBIAN_ORIG_SHA256 ? srcDir : null;
}

function fromDebian(gitWhy) {
  const base = DEBIAN_BASE;
  const srcDir = join(base, 'darknet');
  const stamp = join(base, 'VERIFIED');
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
    fail(`Could not obtain the Darknet source: fetching it with git failed (${gitWhy}) and apt-get is not available.\n` +
      `  Fix one of: let git reach ${process.env.DARKNET_GIT_URL || DEFAULT_GIT_URL} (or set DARKNET_GIT_URL to a mirror),\n` +
      `  or set DARKNET_SRC to a checkout of pjreddie/darknet at ${PINNED_COMMIT}; then build again.`);
  }
  log(`falling back to Debian's source package darknet ${DEBIAN_VERSION}`);
  rmSync(base, { recursive: true, force: true });
  const apt = join(base, 'apt');
  for (const p of ['lists/partial', 'cache/archives/partial', 'sources.list.d', 'dl']) mkdirSync(join(apt, p), { recursive: true });
  const entries = debSrcSources();
  if (!entries.length) fail('no Debian apt source found in /etc/apt to derive a deb-src line from.');
  const lists = entries.filter((e) => e.kind === 'list').map((e) => e.text);
  const stanzas = entries.filter((e) => e.kind === 'sources').map((e) => e.text);
  if (lists.length) writeFileSync(join(apt, 'sources.list.d', 'darknet-src.list'), lists.join('\n') + '\n');
  if (stanzas.length) writeFileSync(join(apt, 'sources.list.d', 'darknet-src.sources'), stanzas.join('\n\n') + '\n');
  const opts = [
    '-o', 'Dir::Etc::SourceList=/dev/null', '-o', `Dir::Etc::SourceParts=${join(apt, 'sources.list.d')}`,
    '-o', `Dir::State::Lists=${join(apt, 'lists')}`, '-o', `Dir::Cache=${join(apt, 'cache')}`,
    '-o', 'Debug::NoLocking=1', '-o', 'APT::Sandbox::User=root', '-qq',
  ];
  const run = (args, cwd) => {
    const r = spawnSync('apt-get', [...opts, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    if (r.status !== 0) fail(`apt-get ${args.join(' ')} failed:\n${String(r.stderr)}\n` +
      `  Could not obtain the Darknet source (git: ${gitWhy}). Set DARKNET_SRC to a checkout of pjreddie/darknet at ${PINNED_COMMIT},\n` +
      '  or DARKNET_GIT_URL to a git mirror of it.');
  };
  run(['update']);
  run(['source', '--download-only', `darknet=${DEBIAN_VERSION}-2`], join(apt, 'dl'));
  const tarball = readdirSync(join(apt, 'dl')).find((f) => f.startsWith(`darknet_${DEBIAN_VERSION}.orig.tar`));
  if (!tarball) fail(`apt-get source gave no orig tarball for darknet ${DEBIAN_VERSION}.`);
  const tarPath = join(apt, 'dl', tarball);
  const sha = createHash('sha256').update(readFileSync(tarPath)).digest('hex');
  if (sha !== DEBIAN_ORIG_SHA256) {
    fail(`${tarball} has sha256 ${sha}, expected ${DEBIAN_ORIG_SHA256}.\n` +
      '  Refusing to build an unverified Darknet. Set DARKNET_SRC to a checkout of the pinned commit.');
  }
  // The orig tarball is upstream's tree as-is; Debian's own patches (debian.tar) are not applied.
  execFileSync('tar', ['-xf', tarPath, '-C', base]);
  if (!isSource(srcDir)) fail(`${tarball} did not unpack to a darknet source tree.`);
  writeFileSync(stamp, DEBIAN_ORIG_SHA256 + '\n');
  rmSync(apt, { recursive: true, force: true });
  log(`verified sha256 ${sha}; source at ${srcDir}`);
  return srcDir;
}

// Darknet's library objects (native/build.json says which and why).
export const DARKNET_OBJECTS = BUILD.darknet.objects;

export function resolveDarknetSource() {
  if (process.env.DARKNET_SRC) {
    const dir = resolve(process.env.DARKNET_SRC);
    if (!isSource(dir)) fail(`DARKNET_SRC=${dir} does not hold src/parser.c and include/darknet.h.`);
    return dir;
  }
  const sub = join(ROOT, 'darknet');
  if (isSource(sub)) return sub;
  const cached = verifiedGitCopy() ?? verifiedDebianCopy();
  if (cached) return cached;
  if (trySubmodule()) return sub;
  const fetched = fromGit();
  if (fetched.dir) return fetched.dir;
  log(`git could not fetch it (${fetched.why})`);
  return fromDebian(fetched.why);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = resolveDarknetSource();
  // --list: the C files to compile, one per line (CMake) or space-separated (--list=gyp).
  const list = process.argv.find((a) => a.startsWith('--list'));
  if (!list) process.stdout.write(dir);
  else {
    const gyp = list === '--list=gyp'; // gyp wants paths relative to binding.gyp
    const files = DARKNET_OBJECTS.map((o) => join(gyp ? relative(ROOT, dir) : dir, 'src', `${o}.c`));
    process.stdout.write(files.join(gyp ? ' ' : '\n'));
  }
}
