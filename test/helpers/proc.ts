import { spawn } from 'node:child_process';

export interface Ran {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** milliseconds, then SIGKILL (status null, signal SIGKILL) */
  timeout?: number;
}

/**
 * Runs a program to its end without blocking the test's event loop. A synchronous child (spawnSync,
 * execFileSync) that runs for minutes stalls vitest's RPC between this worker and the runner, which
 * then fails the run with "Timeout calling onTaskUpdate" on a loaded machine.
 */
export function run(file: string, args: readonly string[], o: RunOptions = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = o.timeout ? setTimeout(() => child.kill('SIGKILL'), o.timeout) : undefined;
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** run(), failing unless the program exits 0; its stdout. */
export async function runOk(file: string, args: readonly string[], o: RunOptions = {}): Promise<string> {
  const r = await run(file, args, o);
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} → ${r.signal ?? `exit ${r.status}`}\n${r.stderr}`);
  return r.stdout;
}
