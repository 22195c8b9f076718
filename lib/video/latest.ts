/**
 * The 'latest' policy: the source is read as fast as it delivers, and only the newest frame
 * waits for the consumer; older ones are dropped and counted. A live stream is thereby never
 * backed up behind a slower detector: each result is about the present.
 */
import type { FrameSource, SourceFrame } from './sources.js';

export class LatestFrame implements FrameSource {
  dropped = 0;
  private slot: SourceFrame | undefined;
  private ended = false;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;
  /** started by the first read(): nothing runs (no ffmpeg) for a stream never iterated */
  private pump: Promise<void> | undefined;

  constructor(private readonly source: FrameSource) {}

  get info() {
    return this.source.info;
  }

  async read(): Promise<SourceFrame | null> {
    this.pump ??= this.run();
    for (;;) {
      const f = this.slot;
      if (f) {
        this.slot = undefined;
        return f;
      }
      if (this.failure) throw this.failure.error;
      if (this.ended) return null;
      await new Promise<void>((resolve) => { this.wake = resolve; });
    }
  }

  async stop(): Promise<void> {
    this.ended = true;
    this.slot = undefined;
    await this.source.stop();
    await this.pump;
    this.poke();
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        const f = await this.source.read();
        if (!f || this.ended) break;
        if (this.slot) this.dropped++;
        this.slot = f;
        this.poke();
      }
    } catch (error) {
      if (!this.ended) this.failure = { error };
    }
    this.ended = true;
    this.poke();
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
