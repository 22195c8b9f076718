/**
 * The pure parts of detectStream: ffmpeg's command line per source, the letterbox geometry (as
 * Darknet computes it), the parsing of ffmpeg's messages, boxes mapped back to the source frame.
 */
import { describe, expect, it } from 'vitest';
import { toDetections } from '../../lib/detections.js';
import { decodeArgs, letterboxSize, parseShowinfo, parseStreamLine, sourceKind } from '../../lib/video/args.js';
import { placement, toSource } from '../../lib/video/placement.js';

const base = { geometry: { net: { width: 416, height: 416, letterbox: true } }, realtime: false, threads: 1 } as const;
const before = (args: string[]) => args.slice(0, args.indexOf('-i'));
const vf = (args: string[]) => args[args.indexOf('-vf') + 1]!;

describe('ffmpeg command line', () => {
  it('recognises files, URLs and V4L2 devices, with the input options each needs', () => {
    expect(['/tmp/a.mp4', 'a.mkv', 'http://h/x.ts', 'HTTPS://h/x', 'rtsp://cam/1', 'udp://127.0.0.1:5000', 'srt://h:1', '/dev/video0', '/dev/sda'].map(sourceKind))
      .toEqual(['file', 'file', 'url', 'url', 'url', 'url', 'url', 'device', 'file']);
    expect(before(decodeArgs({ ...base, source: '/dev/video2' }))).toEqual(expect.arrayContaining(['-f', 'v4l2']));
    expect(before(decodeArgs({ ...base, source: 'rtsp://cam/1' })).join(' ')).toContain('-rtsp_transport tcp');
    expect(before(decodeArgs({ ...base, source: 'rtsp://cam/1', inputArgs: ['-rtsp_transport', 'udp'] })).join(' ')).not.toContain('tcp');
    expect(before(decodeArgs({ ...base, source: 'udp://127.0.0.1:5000' })).join(' ')).toContain('-analyzeduration 1000000');
    expect(before(decodeArgs({ ...base, source: 'a.mp4', realtime: true }))).toContain('-re');
    expect(before(decodeArgs({ ...base, source: 'udp://x:1', realtime: true }))).not.toContain('-re');
    const a = decodeArgs({ ...base, source: 'a.mp4', threads: 2, inputArgs: ['-ss', '10'] });
    expect(before(a).join(' ')).toMatch(/-threads 2 -ss 10$/);
    expect(a.slice(a.indexOf('-i'), a.indexOf('-i') + 2)).toEqual(['-i', 'a.mp4']);
    expect(a.slice(-5)).toEqual(['-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
    expect(a).toEqual(expect.arrayContaining(['-vsync', 'passthrough', '-noautorotate', '-nostdin']));
  });

  it('filters: sampling, then showinfo, then one scaling to the network (letterboxed, stretched, or none)', () => {
    expect(vf(decodeArgs({ ...base, source: 'a.mp4', every: 3, fps: 5 }))).toMatch(/^select=not\(mod\(n\\,3\)\),fps=5,showinfo=checksum=0,scale=w=if\(lt\(416\/iw\\,416\/ih\).*,format=rgb24,pad=416:416:trunc\(\(ow-iw\)\/2\):trunc\(\(oh-ih\)\/2\):color=0x808080$/);
    expect(vf(decodeArgs({ ...base, source: 'a.mp4', geometry: { net: { width: 320, height: 256, letterbox: false } } }))).toBe('showinfo=checksum=0,scale=320:256:flags=bilinear,format=rgb24');
    expect(vf(decodeArgs({ ...base, source: 'a.mp4', geometry: {} }))).toBe('showinfo=checksum=0,format=rgb24');
  });

  it("letterbox geometry is Darknet's (letterbox_image: integer division, bars centred)", () => {
    const darknet = (w: number, h: number, nw: number, nh: number) => {
      // image.c in C: float ratios, int arithmetic
      let newW = w, newH = h;
      if (Math.fround(nw / w) < Math.fround(nh / h)) { newW = nw; newH = Math.trunc((h * nw) / w); } else { newH = nh; newW = Math.trunc((w * nh) / h); }
      return { width: newW, height: newH, dx: Math.trunc((nw - newW) / 2), dy: Math.trunc((nh - newH) / 2) };
    };
    for (const [w, h, nw, nh] of [[640, 480, 416, 416], [1920, 1080, 416, 416], [480, 640, 416, 416], [192, 144, 96, 96], [1280, 720, 608, 320], [333, 777, 320, 320], [416, 416, 416, 416]] as const) {
      expect(letterboxSize(w, h, nw, nh), `${w}x${h}`).toEqual(darknet(w, h, nw, nh));
    }
    expect(letterboxSize(640, 480, 416, 416)).toEqual({ width: 416, height: 312, dx: 0, dy: 52 });
  });
});

describe("ffmpeg's messages", () => {
  it('showinfo lines give the frame number, time and pre-scaling size; other lines nothing', () => {
    expect(parseShowinfo('[Parsed_showinfo_1 @ 0x55ec4edcd740] n:  12 pts:   1024 pts_time:0.0666667 pos:     6914 fmt:yuv420p sar:1/1 s:640x480 i:P iskey:0 type:B '))
      .toEqual({ n: 12, time: 0.0666667, width: 640, height: 480 });
    expect(parseShowinfo('[Parsed_showinfo_0 @ 0x1] n:   0 pts:NOPTS pts_time:NOPTS pos: -1 fmt:rgb24 sar:0/1 s:1920x1080 i:P iskey:1 type:I')).toMatchObject({ n: 0, time: NaN, width: 1920 });
    expect(parseShowinfo('[Parsed_showinfo_0 @ 0x1] color_range:unknown color_space:unknown')).toBeNull();
    expect(parseShowinfo('frame=    3 fps=0.0 q=-0.0 size=  1521kB')).toBeNull();
  });

  it("the input stream line gives its size and rate (not the codec tag's 0x… or the output's)", () => {
    expect(parseStreamLine('  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 640x480 [SAR 1:1 DAR 4:3], 59 kb/s, 30 fps, 30 tbr, 15360 tbn (default)'))
      .toEqual({ width: 640, height: 480, fps: 30 });
    expect(parseStreamLine('  Stream #0:0: Video: mjpeg (Baseline), yuvj422p(pc, bt470bg/unknown/unknown), 1280x720, 29.97 fps, 29.97 tbr, 1000k tbn')).toEqual({ width: 1280, height: 720, fps: 29.97 });
    expect(parseStreamLine('  Stream #0:0[0x100]: Video: h264 (High) ([27][0][0][0] / 0x001B), yuv420p(progressive), 192x144, 90k tbr, 90k tbn')).toEqual({ width: 192, height: 144, fps: 90000 });
    expect(parseStreamLine('  Stream #0:1(eng): Audio: aac (LC), 48000 Hz, stereo, fltp')).toBeNull();
  });
});

describe('boxes back to the source frame', () => {
  // one detection row as the native side returns it: cx, cy, w, h (relative), objectness, class probs
  const row = (cx: number, cy: number, w: number, h: number) => toDetections({ data: Float32Array.from([cx, cy, w, h, 0.9, 0.9]), count: 1, classes: 1 } as never, 416, 416, 0.5, ['x']);

  it('undoes the letterbox: 640×480 in 416×416 is 416×312 at dy = 52', () => {
    // (float32 rows: the values below are exact in float32)
    const p = placement(640, 480, 416, 416, true);
    expect(p).toMatchObject({ width: 416, height: 312, dx: 0, dy: 52 });
    // a box at (100, 60)-(300, 260) of the source: 0.65 scale → (65, 39+52)-(195, 169+52) of the frame
    const [d] = toSource(row(130 / 416, (104 + 52) / 416, 130 / 416, 130 / 416), p);
    expect(d!.box.x).toBeCloseTo(100, 9);
    expect(d!.box.y).toBeCloseTo(60, 9);
    expect(d!.box.width).toBeCloseTo(200, 9);
    expect(d!.box.height).toBeCloseTo(200, 9);
    expect(d!.relative.cx).toBeCloseTo(200 / 640, 9);
    expect(d!.relative.h).toBeCloseTo(200 / 480, 9);
    expect(d!.darknetIndex).toBe(0);
    expect(d!.toJSON().box).toEqual(d!.box);
  });

  it('clips to the source frame, a box reaching into the bars included; undoes a stretch', () => {
    const p = placement(640, 480, 416, 416, true);
    const [d] = toSource(row(0.5, 40 / 416, 0.2, 100 / 416), p); // top edge at y = -10 in the frame, in the bar
    expect(d!.box.y).toBe(0);
    expect(d!.box.height).toBeCloseTo(((90 - 52) * 480) / 312, 4); // float32 rows
    const s = placement(640, 480, 416, 416, false);
    const [e] = toSource(row(0.5, 0.5, 0.25, 0.5), s);
    expect(e!.box).toEqual({ x: 240, y: 120, width: 160, height: 240 });
  });
});
