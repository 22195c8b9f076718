/**
 * Encodes raw RGB frames into a video file through ffmpeg (H.264 in MP4 by default), frames
 * written to its stdin with backpressure.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { DarknetError } from '../errors.js';
import * as is from '../is.js';
import { exited, findFfmpeg, lastWords, startFfmpeg, stopFfmpeg } from './ffmpeg.js';

export interface VideoWriterOptions {
  width: number;
  height: number;
  /** frames per second of the output */
  fps: number;
  /** the ffmpeg executable (default: `ffmpeg` on PATH) */
  ffmpegPath?: string;
  /** output options replacing the default H.264 ones (libx264, yuv420p, CRF 18, a keyframe a second) */
  outputArgs?: readonly string[];
}

export class VideoWriter {
  private readonly child: ChildProcess;
  private readonly said: string[] = [];
  private readonly frameBytes: number;
  private failed: DarknetError | undefined;
  private closed = false;

  private constructor(readonly file: string, private readonly o: VideoWriterOptions) {
    const { width, height, fps } = o;
    is.integer('width', width, 1, 16384);
    is.integer('height', height, 1, 16384);
    is.number('fps', fps, 0, 1000, { lo: true });
    this.frameBytes = width * height * 3;
    const out = o.outputArgs ?? [
      // yuv420p (what players accept) needs even sides: padded by one pixel when odd
      '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18',
      '-pix_fmt', 'yuv420p', '-g', String(Math.max(1, Math.round(fps))), '-movflags', '+faststart',
    ];
    const args = [
      '-hide_banner', '-nostats', '-loglevel', 'error', '-y',
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0',
      '-an', ...out, file,
    ];
    this.child = startFfmpeg(findFfmpeg(o.ffmpegPath), args, 'pipe', 'ignore');
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      this.said.push(...s.split('\n'));
      this.said.splice(0, Math.max(0, this.said.length - 20));
    });
    // a write to a dead encoder: reported by write() and close() through the exit status
    this.child.stdin!.on('error', () => undefined);
    exited(this.child).then(([code, signal]) => {
      if (code !== 0 && !this.closed) this.failed ??= this.failure(code, signal);
    }, () => undefined);
  }

  /** Starts ffmpeg writing `file` (overwritten). */
  static async open(file: string, options: VideoWriterOptions): Promise<VideoWriter> {
    is.path('the output', file, 'a file path');
    is.object(options);
    return new VideoWriter(file, options);
  }

  /** Appends one frame (RGB, width × height × 3 bytes); waits while ffmpeg catches up. */
  async write(rgb: Uint8Array): Promise<void> {
    if (this.failed) throw this.failed;
    if (!(rgb instanceof Uint8Array) || rgb.length !== this.frameBytes) {
      throw is.badInput(`a frame must be ${this.o.width}×${this.o.height}×3 = ${this.frameBytes} bytes of RGB, got ${rgb?.length}`);
    }
    const stdin = this.child.stdin!;
    if (!stdin.write(rgb)) {
      await Promise.race([once(stdin, 'drain'), exited(this.child)]);
      if (this.failed) throw this.failed;
    }
  }

  /** Finishes the file: waits for ffmpeg to write it and exit. */
  async close(): Promise<void> {
    if (this.failed) throw this.failed;
    this.child.stdin!.end();
    const [code, signal] = await exited(this.child);
    this.closed = true;
    if (code !== 0) throw this.failed ?? this.failure(code, signal);
  }

  /** Stops without finishing the file (ffmpeg killed and reaped). */
  async abort(): Promise<void> {
    this.closed = true;
    await stopFfmpeg(this.child);
  }

  private failure(code: number | null, signal: NodeJS.Signals | null): DarknetError {
    return new DarknetError('STREAM', `ffmpeg ${signal ? `was killed (${signal})` : `failed (exit ${code})`} writing the video${lastWords(this.said)}`, { file: this.file });
  }
}
