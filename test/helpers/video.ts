/**
 * Video fixtures: the crossing-shapes clip encoded by ffmpeg into test/.cache with its ground
 * truth, and checks that a child process is gone (reaped, not a zombie) and that no descriptors
 * were left open.
 */
import { createSocket } from 'node:dgram';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MotFrame } from '../../lib/eval/mot.js';
import type { Track } from '../../lib/track/tracker.js';
import { crossingClip, writeShapesClip, type ClipSpec, type ClipTruth } from '../../lib/video/synthetic.js';
import { CACHE } from './fixtures.js';

export interface Clip {
  file: string;
  spec: ClipSpec;
  truth: ClipTruth[][];
}

/** The default crossing clip (192 × 144, 25 fps, 4 s) as H.264 MP4 (or other options). */
export async function makeClip(name = 'crossing.mp4', spec: ClipSpec = crossingClip(), outputArgs?: string[]): Promise<Clip> {
  mkdirSync(CACHE, { recursive: true });
  const file = join(CACHE, name);
  const truth = await writeShapesClip(file, spec, outputArgs ? { outputArgs } : {});
  return { file, spec, truth };
}

/** A MOT frame: the truth against the confirmed tracks. */
export function motFrame(truth: readonly ClipTruth[], tracks: readonly Track[]): MotFrame {
  return {
    gt: truth.map((g) => ({ id: g.id, box: g.box })),
    hyp: tracks.filter((t) => t.state === 'confirmed').map((t) => ({ id: t.id, box: t.box })),
  };
}

/** True once the process no longer exists: kill(pid, 0) still succeeds on an unreaped zombie. */
export function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Open file descriptors of this process (pipes to children included). */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A UDP port on 127.0.0.1 that nothing uses now. */
export async function freeUdpPort(): Promise<number> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const { port } = sock.address();
  await new Promise<void>((r) => sock.close(() => r()));
  return port;
}
