/**
 * The ffmpeg program as a child process: found on PATH (or where the caller says), started with
 * its pipes, and stopped so that nothing outlives its use — the child killed and reaped, its
 * pipes closed — including when the host process exits while one is running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { DarknetError } from '../errors.js';
import * as is from '../is.js';

const INSTALL = 'install it (Debian/Ubuntu: apt-get install ffmpeg; Fedora: dnf install ffmpeg; macOS: brew install ffmpeg; Windows: winget install ffmpeg) or pass its path as ffmpegPath';

const executable = (p: string) => {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/** The ffmpeg executable to run: `explicit` if given, else the first `ffmpeg` on PATH. */
export function findFfmpeg(explicit?: string): string {
  if (explicit !== undefined) {
    is.path('ffmpegPath', explicit, 'a path');
    if (!executable(explicit)) throw new DarknetError('FFMPEG_MISSING', `no ffmpeg executable here: ${INSTALL}`, { file: explicit });
    return explicit;
  }
  const names = process.platform === 'win32' ? ['ffmpeg.exe'] : ['ffmpeg'];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const n of names) if (executable(join(dir, n))) return join(dir, n);
  }
  throw new DarknetError('FFMPEG_MISSING', `video needs ffmpeg, and none was found on PATH: ${INSTALL}`);
}

/** Children running now: killed if the host process exits before they are stopped. */
const live = new Set<ChildProcess>();
let exitHook = false;

/** Exit status of a finished child: [code, signal]. */
export type Exit = [number | null, NodeJS.Signals | null];
const ends = new WeakMap<ChildProcess, Promise<Exit>>();

/** Starts ffmpeg with the given stdio; stderr is always a pipe (its messages explain failures). */
export function startFfmpeg(bin: string, args: readonly string[], stdin: 'pipe' | 'ignore', stdout: 'pipe' | 'ignore'): ChildProcess {
  if (!exitHook) {
    exitHook = true;
    // a decoder blocked on a silent network stream would otherwise run on after us, unseen
    process.on('exit', () => { for (const c of live) c.kill('SIGKILL'); });
  }
  const child = spawn(bin, args, { stdio: [stdin, stdout, 'pipe'], windowsHide: true });
  live.add(child);
  // listened for at once, so that no ending is missed however late exited() is asked
  ends.set(child, new Promise<Exit>((resolve) => {
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => { live.delete(child); resolve([code, signal]); });
    // could not start (ENOENT, EACCES): there is no process to wait for
    child.once('error', () => { if (child.pid === undefined) { live.delete(child); resolve([null, null]); } });
  }));
  return child;
}

/** Resolves when the child has exited and its pipes are closed (Node has reaped it by then). */
export function exited(child: ChildProcess): Promise<Exit> {
  const end = ends.get(child);
  if (!end) throw new Error('exited() is for children started by startFfmpeg');
  return end;
}

/**
 * Stops the child: its pipes are destroyed (a writer blocked on a full pipe gets EPIPE), then
 * SIGTERM (ffmpeg closes network sessions on it), SIGKILL after `graceMs`; resolves once it is
 * reaped.
 */
export async function stopFfmpeg(child: ChildProcess, graceMs = 1000): Promise<void> {
  const done = exited(child);
  for (const s of [child.stdin, child.stdout, child.stderr]) s?.destroy();
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      await done;
    } finally {
      clearTimeout(timer);
    }
  }
  await done;
}

/** The last lines ffmpeg wrote that say what went wrong, for error messages. */
export function lastWords(lines: readonly string[]): string {
  const said = lines.map((l) => l.trim()).filter(Boolean).slice(-3).join(' | ');
  return said ? `: ${said}` : '';
}
