/**
 * One ffmpeg process decoding a source into raw RGB frames, read one at a time: the pixels from
 * stdout, each frame's pre-scaling size and time from its showinfo line on stderr (they arrive on
 * two pipes in no fixed order, and are paired by position). Not reading is backpressure: the pipe
 * fills and ffmpeg waits.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { DarknetError } from '../errors.js';
import { decodeArgs, parseShowinfo, parseStreamLine, type DecodeArgs, type FrameInfo, type StreamInfo } from './args.js';
import { exited, lastWords, startFfmpeg, stopFfmpeg, type Exit } from './ffmpeg.js';

export interface DecodedFrame {
  /** rgb24, width × height × 3 bytes; a fresh buffer the caller may keep */
  data: Buffer;
  width: number;
  height: number;
  /** what showinfo said of it: number, time, size before scaling */
  info: FrameInfo;
}

/** Lines of ffmpeg's own messages kept for error reports. */
const KEEP_LINES = 20;

export class FfmpegDecoder {
  /** the input video stream, once ffmpeg has opened it */
  info: StreamInfo | undefined;
  private readonly child: ChildProcess;
  private readonly stdout: Readable;
  private readonly infos: FrameInfo[] = [];
  private readonly said: string[] = [];
  /** the process has ended: stdout holds all it will get */
  private processExited = false;
  /** …and its pipes are closed, the process reaped */
  private exit: Exit | undefined;
  private stopping = false;
  private inputError: string | undefined;
  private failure: DarknetError | undefined;
  private wake: (() => void) | undefined;
  private readonly ended: Promise<void>;

  constructor(bin: string, private readonly args: DecodeArgs, private readonly timeoutMs: number) {
    this.child = startFfmpeg(bin, decodeArgs(args), 'ignore', 'pipe');
    this.stdout = this.child.stdout!;
    let inputSeen = false;
    const lines = createInterface({ input: this.child.stderr!, crlfDelay: Infinity });
    lines.on('line', (line) => {
      const f = parseShowinfo(line);
      if (f) { this.infos.push(f); this.poke(); return; }
      if (line.includes('Parsed_showinfo')) return; // its second line per frame (colour properties)
      if (/^Input #/.test(line)) inputSeen = true;
      if (/^Output #/.test(line)) inputSeen = false;
      if (inputSeen && !this.info) this.info = parseStreamLine(line) ?? undefined;
      // how ffmpeg reports a failed read of its input ("<url>: Input/output error"); it then
      // stops as at the end of the stream and exits 0: a connection cut is not an ending
      if (line.startsWith(`${args.source}: `)) this.inputError ??= line;
      this.said.push(line);
      if (this.said.length > KEEP_LINES) this.said.shift();
    });
    this.stdout.on('readable', () => this.poke());
    this.stdout.on('end', () => this.poke());
    this.child.once('exit', () => { this.processExited = true; this.poke(); });
    // errors on our side of the pipes come from stop() destroying them: the exit tells the story
    this.stdout.on('error', () => undefined);
    this.child.stderr!.on('error', () => undefined);
    this.child.once('error', (e: NodeJS.ErrnoException) => {
      this.failure ??= new DarknetError(e.code === 'ENOENT' ? 'FFMPEG_MISSING' : 'STREAM', `cannot run ffmpeg: ${e.message}`, { cause: e });
      this.poke();
    });
    this.ended = exited(this.child).then((x) => { this.exit = x; this.poke(); });
  }

  /** The process id of the ffmpeg child (for tests and diagnostics). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * The next frame, or null at the end of the stream. Rejects with STREAM when ffmpeg fails or is
   * killed by someone else, STREAM_TIMEOUT when no frame comes within the timeout.
   */
  async read(): Promise<DecodedFrame | null> {
    const deadline = Date.now() + this.timeoutMs;
    const net = this.args.geometry.net;
    for (;;) {
      if (this.failure) throw this.failure;
      const info = this.infos[0];
      if (info) {
        const width = net ? net.width : info.width;
        const height = net ? net.height : info.height;
        const bytes = width * height * 3;
        // asked for whole: read(n) also raises the stream's buffer limit to a frame, without
        // which it would stop filling at 64 KiB and never hold one
        const data = this.stdout.read(bytes) as Buffer | null;
        if (data && data.length === bytes) {
          this.infos.shift();
          return { data, width, height, info };
        }
        // a shorter read comes only at the end of the stream
        if (data) throw this.fail('STREAM', `ffmpeg stopped in the middle of a frame (${data.length} of ${bytes} bytes)${lastWords(this.said)}`);
      } else if (this.processExited) {
        // bytes with no frame line cannot be a frame; consumed so that the pipe can close
        this.stdout.read();
      }
      if (this.exit) return this.finish();
      const left = deadline - Date.now();
      if (left <= 0) {
        throw this.fail('STREAM_TIMEOUT', `no frame from ${this.args.source} in ${this.timeoutMs} ms (a stalled stream; set timeout to wait longer)`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => { clearTimeout(timer); resolve(); };
      });
    }
  }

  /** Kills ffmpeg (if running) and waits until it is reaped and its pipes are closed. */
  async stop(): Promise<void> {
    this.stopping = true;
    await stopFfmpeg(this.child);
    await this.ended;
    this.infos.length = 0;
  }

  private finish(): null {
    const [code, signal] = this.exit!;
    if (this.stopping) return null;
    if (code === 0 && this.inputError) throw this.fail('STREAM', `the stream broke off: ${this.inputError}`);
    if (code === 0) return null;
    const how = signal ? `was killed (${signal})` : `failed (exit ${code})`;
    throw this.fail('STREAM', `ffmpeg ${how} reading ${this.args.source}${lastWords(this.said)}`);
  }

  private fail(code: 'STREAM' | 'STREAM_TIMEOUT', message: string): DarknetError {
    this.failure ??= new DarknetError(code, message);
    return this.failure;
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
