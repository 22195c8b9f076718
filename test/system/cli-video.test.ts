/**
 * `darknet-node video`, run as users run it (node dist/cli/main.js) on the crossing-shapes clip:
 * the annotated video (decoded again and looked at), the JSON lines, sampling, progress only on
 * a terminal, usage errors, and no ffmpeg.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { classColor } from '../../lib/draw/colors.js';
import { evaluateMot } from '../../lib/eval/mot.js';
import type { Track } from '../../lib/track/tracker.js';
import { CACHE, ROOT } from '../helpers/fixtures.js';
import { run as runProcess } from '../helpers/proc.js';
import { makeClip, motFrame, type Clip } from '../helpers/video.js';

const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const run = (args: string[], env?: NodeJS.ProcessEnv) => runProcess(process.execPath, [CLI, ...args], { timeout: 300_000, ...(env ? { env } : {}) });

let clip: Clip;
beforeAll(async () => {
  clip = await makeClip();
});

async function probe(file: string): Promise<{ frames: number; width: number; height: number; rate: string }> {
  const r = await runProcess('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames,width,height,r_frame_rate', '-of', 'json', file]);
  const s = (JSON.parse(r.stdout) as { streams: Array<{ nb_read_frames: string; width: number; height: number; r_frame_rate: string }> }).streams[0]!;
  return { frames: Number(s.nb_read_frames), width: s.width, height: s.height, rate: s.r_frame_rate };
}

/** One decoded frame of a video, RGB. */
async function frameAt(file: string, index: number, width: number, height: number): Promise<Buffer> {
  const { spawn } = await import('node:child_process');
  const child = spawn('ffmpeg', ['-v', 'error', '-i', file, '-vf', `select=eq(n\\,${index})`, '-vsync', 'passthrough', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
  const out: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  await new Promise((r) => child.once('close', r));
  const buf = Buffer.concat(out);
  expect(buf.length).toBe(width * height * 3);
  return buf;
}

describe('darknet-node video', () => {
  it('--out writes the annotated video (ids and trails drawn), --json the tracks, one line a frame', async () => {
    const dir = mkdtempSync(join(CACHE, 'video-cli-'));
    const out = join(dir, 'annotated.mp4');
    const jsonl = join(dir, 'tracks.jsonl');
    const r = await run(['video', clip.file, '--out', out, '--json', jsonl]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^100 frames in [\d.]+ s \([\d.]+ fps\), 0 dropped, \d+ tracks → .*annotated\.mp4 → .*tracks\.jsonl\n$/);
    expect(r.stderr).toBe(''); // no progress when stderr is not a terminal
    expect(await probe(out)).toEqual({ frames: 100, width: 192, height: 144, rate: '25/1' });

    const lines = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { index: number; timestamp: number; detections: unknown[]; tracks: Track[] });
    expect(lines.map((l) => l.index)).toEqual(clip.truth.map((_, i) => i));
    expect(lines[0]!.tracks[0]).toMatchObject({ id: 1, className: 'circle', state: 'confirmed', box: expect.any(Object), velocity: expect.any(Object), hits: 1 });
    // the same tracking as the API: scored against the truth
    expect(evaluateMot(lines.map((l) => motFrame(clip.truth[l.index]!, l.tracks))).mota).toBeGreaterThanOrEqual(0.9);

    // frame 90 (no two objects touching): each confirmed track's box is outlined in its id's colour: along the bottom edge
    // the annotated frame is far nearer that colour than the clip's own frame (H.264 blurs a
    // 2-pixel line into its neighbours, hence means over the edge, not single pixels)
    const at = lines[90]!;
    const drawn = await frameAt(out, 90, 192, 144);
    const plain = await frameAt(clip.file, 90, 192, 144);
    for (const t of at.tracks.filter((x) => x.state === 'confirmed')) {
      const c = classColor(t.id);
      const distance = (px: Buffer) => {
        let best = Infinity;
        for (let dy = -2; dy <= 2; dy++) {
          const y = Math.min(143, Math.max(0, Math.round(t.box.y + t.box.height) + dy));
          const sum = [0, 0, 0];
          let n = 0;
          for (let x = Math.ceil(t.box.x + 3); x <= t.box.x + t.box.width - 3 && x < 192; x++, n++) for (let k = 0; k < 3; k++) sum[k]! += px[(y * 192 + x) * 3 + k]!;
          best = Math.min(best, sum.reduce((d, v, k) => d + Math.abs(v / n - c[k]!), 0));
        }
        return best;
      };
      expect(distance(drawn), `track ${t.id}`).toBeLessThan(distance(plain) - 60);
    }
  });

  it('--every and --fps sample the input; the video keeps the sampled rate', async () => {
    const dir = mkdtempSync(join(CACHE, 'video-cli-'));
    const every = await run(['video', clip.file, '--every', '2', '--out', join(dir, 'e.mp4'), '--json', join(dir, 'e.jsonl')]);
    expect(every.status, every.stderr).toBe(0);
    expect(readFileSync(join(dir, 'e.jsonl'), 'utf8').trim().split('\n')).toHaveLength(50);
    expect(await probe(join(dir, 'e.mp4'))).toMatchObject({ frames: 50, rate: '25/2' });
    const fps = await run(['video', clip.file, '--fps', '5', '--json', join(dir, 'f.jsonl')]);
    expect(fps.status, fps.stderr).toBe(0);
    const ts = readFileSync(join(dir, 'f.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { timestamp: number }).timestamp);
    expect(ts).toHaveLength(20);
    expect(ts[5]).toBeCloseTo(1, 6);
  });

  it('shows progress (frames, fps, dropped) on a terminal', async () => {
    const dir = mkdtempSync(join(CACHE, 'video-cli-'));
    // script(1) gives the command a pseudo-terminal
    const r = await runProcess('script', ['-qec', `${process.execPath} ${CLI} video ${clip.file} --json ${join(dir, 't.jsonl')}`, '/dev/null']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\rframe \d+, [\d.]+ fps, 0 dropped, \d+ tracks/);
  });

  it('usage errors exit 2; no ffmpeg exits 1 saying how to install it', async () => {
    const none = await run(['video', clip.file]);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/nothing to write/);
    expect((await run(['video', clip.file, '--out', clip.file])).status).toBe(2);
    expect((await run(['video', clip.file, '--json', 'x.jsonl', '--every', '0'])).status).toBe(2);
    expect((await run(['video'])).status).toBe(2);
    const empty = mkdtempSync(join(tmpdir(), 'no-ffmpeg-'));
    const r = await run(['video', clip.file, '--json', join(empty, 't.jsonl')], { ...process.env, PATH: empty });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\[FFMPEG_MISSING\] .*apt-get install ffmpeg/);
    expect((await run(['--help'])).stdout).toMatch(/video <input> +detect and track objects/);
    expect((await run(['video', '--help'])).stdout).toMatch(/--out <file> +the video with boxes, track ids and trails drawn/);
  });
});
