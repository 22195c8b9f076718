/**
 * ffmpeg's command line for decoding a source into raw RGB frames on stdout, one `showinfo` line
 * per frame on stderr carrying what raw video cannot: the frame's size before scaling and its
 * presentation time.
 */

export type SourceKind = 'file' | 'url' | 'device';

const URL_SCHEMES = /^(https?|rtsps?|rtmps?|udp|rtp|tcp|srt):\/\//i;

export function sourceKind(source: string): SourceKind {
  if (URL_SCHEMES.test(source)) return 'url';
  // V4L2 capture devices (cameras, capture cards)
  if (/^\/dev\/video\d+$/.test(source)) return 'device';
  return 'file';
}

/** How frames leave ffmpeg: at the network input size (letterboxed or stretched) or as decoded. */
export type Geometry = { net: { width: number; height: number; letterbox: boolean } } | { net?: undefined };

export interface DecodeArgs {
  source: string;
  /** scale to the network input here (one scaling, in the decoder), or deliver frames as decoded */
  geometry: Geometry;
  /** keep every n-th decoded frame */
  every?: number | undefined;
  /** resample to this frame rate */
  fps?: number | undefined;
  /** read a file at its own frame rate, as if live */
  realtime: boolean;
  /** decoder threads */
  threads: number;
  /** extra input options, before -i */
  inputArgs?: readonly string[] | undefined;
}

/** Darknet's letterbox arithmetic (image.c letterbox_image), as an ffmpeg expression and in TS. */
export function letterboxSize(w: number, h: number, netW: number, netH: number): { width: number; height: number; dx: number; dy: number } {
  const byWidth = netW / w < netH / h;
  const width = byWidth ? netW : Math.trunc((w * netH) / h);
  const height = byWidth ? Math.trunc((h * netW) / w) : netH;
  return { width, height, dx: Math.trunc((netW - width) / 2), dy: Math.trunc((netH - height) / 2) };
}

export function decodeArgs(o: DecodeArgs): string[] {
  const kind = sourceKind(o.source);
  const input: string[] = [];
  if (kind === 'device') input.push('-f', 'v4l2');
  // TCP: the transport that works through NAT and firewalls; UDP loses frames under load
  if (/^rtsps?:/i.test(o.source) && !o.inputArgs?.includes('-rtsp_transport')) input.push('-rtsp_transport', 'tcp');
  // ffmpeg studies 5 s of a stream before its first frame: on a live stream, 5 s of latency at
  // the start (and a clip shorter than that never starts). A second is enough for its parameters
  if (/^(udp|rtp|srt|tcp):/i.test(o.source) && !o.inputArgs?.includes('-analyzeduration')) input.push('-analyzeduration', '1000000');
  if (o.realtime && kind === 'file') input.push('-re');
  input.push('-threads', String(o.threads), ...(o.inputArgs ?? []));

  const filters: string[] = [];
  if (o.every && o.every > 1) filters.push(`select=not(mod(n\\,${o.every}))`);
  if (o.fps) filters.push(`fps=${o.fps}`);
  // after sampling, so that each line belongs to a frame that reaches stdout; no checksums (cost)
  filters.push('showinfo=checksum=0');
  const net = o.geometry.net;
  if (net) {
    const { width: W, height: H } = net;
    if (net.letterbox) {
      const byWidth = `lt(${W}/iw\\,${H}/ih)`;
      filters.push(`scale=w=if(${byWidth}\\,${W}\\,trunc(iw*${H}/ih)):h=if(${byWidth}\\,trunc(ih*${W}/iw)\\,${H}):flags=bilinear`);
      filters.push('format=rgb24');
      // Darknet's 0.5 grey bars
      filters.push(`pad=${W}:${H}:trunc((ow-iw)/2):trunc((oh-ih)/2):color=0x808080`);
    } else {
      filters.push(`scale=${W}:${H}:flags=bilinear`, 'format=rgb24');
    }
  } else {
    filters.push('format=rgb24');
  }
  return [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info',
    // rotation metadata ignored: the frame size reported must be the size delivered
    '-noautorotate',
    ...input, '-i', o.source,
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', filters.join(','),
    // one output frame per filtered frame: no duplicates or drops to a constant rate
    '-vsync', 'passthrough',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ];
}

export interface FrameInfo {
  /** frame number after sampling, from 0 */
  n: number;
  /** presentation time in seconds, or NaN when the stream has none */
  time: number;
  width: number;
  height: number;
}

const SHOWINFO = /\bn:\s*(\d+)\s+pts:\s*(\S+)\s+pts_time:(\S+).*?\bs:(\d+)x(\d+)/;

/** A showinfo line's frame data, or null for any other line. */
export function parseShowinfo(line: string): FrameInfo | null {
  if (!line.includes('Parsed_showinfo')) return null;
  const m = SHOWINFO.exec(line);
  if (!m) return null;
  const t = Number(m[3]);
  return { n: Number(m[1]), time: Number.isFinite(t) ? t : NaN, width: Number(m[4]), height: Number(m[5]) };
}

export interface StreamInfo {
  width: number;
  height: number;
  /** the stream's nominal frame rate, when ffmpeg reports one */
  fps?: number;
}

/** The input video stream's line ("Stream #0:0…: Video: h264 …, 640x480 …, 25 fps, …"). */
export function parseStreamLine(line: string): StreamInfo | null {
  if (!/^\s*Stream #\d+:\d+.*: Video: /.test(line)) return null;
  const size = /, (\d{1,5})x(\d{1,5})(?=[ ,]|$)/.exec(line);
  if (!size) return null;
  const rate = /, ([\d.]+)(k?) (fps|tbr)\b/.exec(line);
  const fps = rate ? Number(rate[1]) * (rate[2] ? 1000 : 1) : NaN;
  return { width: Number(size[1]), height: Number(size[2]), ...(Number.isFinite(fps) && fps > 0 ? { fps } : {}) };
}
