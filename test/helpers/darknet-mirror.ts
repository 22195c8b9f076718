import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './fixtures.js';

const git = (args: string[], cwd: string) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', ...args], { cwd, stdio: 'pipe' });

/** The pinned Darknet source this checkout builds from (submodule, DARKNET_SRC or the verified Debian copy). */
export const darknetSource = (): string =>
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'darknet-source.mjs')], { cwd: ROOT, encoding: 'utf8' }).trim();

/**
 * A local bare git repository (a stand-in for a Darknet mirror) in `dir`, whose `main` branch is one
 * commit holding the pinned source, changed by `tamper` first if given. Returns its file:// URL.
 */
export function darknetMirror(dir: string, name: string, tamper?: (tree: string) => void): string {
  const tree = mkdtempSync(join(dir, `${name}-tree-`));
  cpSync(darknetSource(), tree, { recursive: true });
  rmSync(join(tree, '.git'), { recursive: true, force: true });
  tamper?.(tree);
  const bare = join(dir, `${name}.git`);
  git(['init', '-q', '--bare', bare], dir);
  git(['init', '-q'], tree);
  git(['add', '-A'], tree);
  git(['commit', '-qm', 'darknet'], tree);
  git(['push', '-q', bare, 'HEAD:refs/heads/main'], tree);
  rmSync(tree, { recursive: true, force: true });
  return `file://${bare}`;
}
