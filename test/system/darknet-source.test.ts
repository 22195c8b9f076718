/**
 * A source build in an installed package (node_modules: no git checkout, no submodule) fetches the
 * pinned Darknet with git (scripts/darknet-source.mjs), here from local bare repositories through
 * DARKNET_GIT_URL (never a real host): what it fetches must be the pinned source, and without git
 * or apt the error names what to do in an installed package (no submodule advice).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { darknetMirror } from '../helpers/darknet-mirror.js';
import { ROOT } from '../helpers/fixtures.js';
import { run } from '../helpers/proc.js';

const work = mkdtempSync(join(tmpdir(), 'darknet-node-gitsrc-'));
/** A package folder as npm installs it: scripts/ and native/build.json (the pinned commit), no
 * .git, no darknet/ checkout. */
function pkg(name: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  mkdirSync(join(dir, 'native'), { recursive: true });
  for (const f of ['darknet-source.mjs', 'native-build.mjs']) cpSync(join(ROOT, 'scripts', f), join(dir, 'scripts', f));
  cpSync(join(ROOT, 'native', 'build.json'), join(dir, 'native', 'build.json'));
  return dir;
}

const baseEnv = () => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DARKNET_SRC;
  return env;
};
const resolveIn = (dir: string, env: NodeJS.ProcessEnv) => run(process.execPath, [join(dir, 'scripts', 'darknet-source.mjs')], { cwd: dir, env, timeout: 120_000 });

let good: string;
let tampered: string;

beforeAll(() => {
  good = darknetMirror(work, 'mirror');
  tampered = darknetMirror(work, 'tampered', (tree) => appendFileSync(join(tree, 'src', 'parser.c'), '\n/* not the pinned source */\n'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('Darknet source for a package in node_modules', () => {
  it('fetches the pinned source with git from DARKNET_GIT_URL, verifies it, and reuses it', async () => {
    const dir = pkg('pkg-good');
    const env = { ...baseEnv(), DARKNET_GIT_URL: good, DARKNET_GIT_REF: 'main' };
    const r = await resolveIn(dir, env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(join(dir, '.cache', 'darknet-git', 'darknet'));
    expect(r.stderr).toMatch(/fetching Darknet main from file:/);
    expect(r.stderr).toMatch(/verified: src\/ and include\/ trees of f6afaabc/);
    expect(existsSync(join(r.stdout, 'src', 'parser.c'))).toBe(true);
    expect(r.stderr).not.toMatch(/submodule/);
    // a second build reuses the verified copy without fetching
    const again = await resolveIn(dir, env);
    expect(again.stdout).toBe(r.stdout);
    expect(again.stderr).not.toMatch(/fetching/);
  });

  it('refuses a fetched tree that is not the pinned source', async () => {
    const dir = pkg('pkg-tampered');
    const r = await resolveIn(dir, { ...baseEnv(), DARKNET_GIT_URL: tampered, DARKNET_GIT_REF: 'main' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/not pinned Darknet's .*\n.*Refusing to build an unverified Darknet/);
    expect(existsSync(join(dir, '.cache', 'darknet-git'))).toBe(false);
  });

  it('without a reachable git source nor apt-get, says what to do in an installed package', async () => {
    const dir = pkg('pkg-offline');
    // a PATH with node and git only: no apt-get
    const bin = join(work, 'bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync(execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim(), join(bin, 'git'));
    // the mirror lacks the pinned commit (the default ref): git cannot fetch it
    const r = await resolveIn(dir, { ...baseEnv(), PATH: bin, DARKNET_GIT_URL: good });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Could not obtain the Darknet source: fetching it with git failed \(git fetch: .+\)/);
    expect(r.stderr).toMatch(/DARKNET_GIT_URL/);
    expect(r.stderr).toMatch(/DARKNET_SRC to a checkout of pjreddie\/darknet at f6afaabcdf85f77e7aff2ec55c020c0e297c77f9/);
    expect(r.stderr).not.toMatch(/submodule/);
    expect(existsSync(join(dir, '.cache', 'darknet-git'))).toBe(false);
  });
});
