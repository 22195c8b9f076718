/**
 * The bad-input corpus: deterministic cases generated from the fixtures (no randomness beyond a
 * seeded PRNG), across cfg files, weights files, encoded images, raw pixel inputs and options.
 * Every case must reject with a typed DarknetError whose code is one of `codes` — never exit,
 * crash or hang the process. test/corpus.test.ts runs them all in one process.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Detector, DetectOptions, LoadOptions } from '../../lib/detector.js';
import type { DarknetErrorCode } from '../../lib/errors.js';
import { mulberry32 } from '../../lib/prng.js';

export interface CorpusCase {
  group: 'cfg' | 'weights' | 'image' | 'raw' | 'options' | 'fuzz';
  name: string;
  /** load cases get a full LoadOptions; detect cases run against a working detector */
  load?: LoadOptions;
  detect?: { input: unknown; options?: DetectOptions };
  codes: DarknetErrorCode[];
  /** the file the error must name, when there is one */
  file?: string;
}

const CFG_CODES: DarknetErrorCode[] = ['CFG_PARSE', 'CFG_INVALID', 'CFG_UNSUPPORTED'];

export function buildCorpus(dir: string, tiny: { cfg: string; weights: string }, otherWeights: string, png: string, jpg: string): CorpusCase[] {
  mkdirSync(dir, { recursive: true });
  const cases: CorpusCase[] = [];
  const file = (name: string, data: string | Uint8Array) => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return p;
  };
  const cfgText = readFileSync(tiny.cfg, 'utf8');
  const lines = cfgText.split('\n');
  const cfgCase = (name: string, text: string | Uint8Array, codes = CFG_CODES) => {
    const p = file(`${name}.cfg`, text);
    cases.push({ group: 'cfg', name, load: { cfg: p, weights: null }, codes, file: p });
  };

  // ---- cfg: numeric options set to values Darknet's atoi/atof would misread ----
  const INT_BAD = ['0', '-1', 'abc', '99999999999', '3.5x', '0x10'];
  const FLOAT_BAD = ['abc', '1.2.3', 'nan', '--1'];
  const intKeys = ['width', 'height', 'channels', 'filters', 'size', 'stride', 'num', 'classes'];
  const floatKeys = ['learning_rate', 'momentum', 'decay', 'jitter', 'ignore_thresh', 'truth_thresh', 'angle', 'saturation', 'exposure', 'hue'];
  const section = (i: number) => lines.slice(0, i + 1).reverse().find((l) => l.startsWith('['));
  for (const key of [...intKeys, ...floatKeys]) {
    const i = lines.findIndex((l, k) => l.startsWith(`${key}=`) && !(key === 'stride' && section(k) === '[upsample]'));
    if (i < 0) throw new Error(`corpus: ${key} not in the tiny cfg`);
    for (const v of intKeys.includes(key) ? INT_BAD : FLOAT_BAD) {
      if (key === 'classes' && v === '0') continue; // caught anyway, but as a filters mismatch: keep the set simple
      const mutated = [...lines];
      mutated[i] = `${key}=${v}`;
      cfgCase(`cfg-${key}-${v.replace(/[^\w.-]/g, '_')}`, mutated.join('\n'));
    }
  }
  // structural damage
  const firstConv = lines.indexOf('[convolutional]');
  const routeLine = lines.findIndex((l) => l.startsWith('layers='));
  const maskLine = lines.findIndex((l) => l.startsWith('mask='));
  const anchorsLine = lines.findIndex((l) => l.startsWith('anchors='));
  const classesLine = lines.findIndex((l) => l.startsWith('classes='));
  const structural: Array<[string, string | Uint8Array]> = [
    ['empty', ''],
    ['only-comments', '# nothing\n; here\n'],
    ['no-net', lines.slice(firstConv).join('\n')],
    ['net-twice', `${lines.slice(0, firstConv).join('\n')}\n${cfgText}`],
    ['option-before-section', `width=416\n${cfgText}`],
    ['unknown-section', cfgText.replace('[maxpool]', '[maxpooling]')],
    ['unknown-section-gru', cfgText.replace('[upsample]', '[gru]')],
    ['no-equals', cfgText.replace('activation=leaky', 'activation leaky')],
    ['empty-value', cfgText.replace('filters=16', 'filters=')],
    ['unterminated-header', cfgText.replace('[upsample]', '[upsample')],
    ['route-far-back', lines.map((l, i) => (i === routeLine ? 'layers=-100' : l)).join('\n')],
    ['route-forward', lines.map((l, i) => (i === routeLine ? 'layers=50' : l)).join('\n')],
    ['route-empty-entry', lines.map((l, i) => (i === routeLine ? 'layers=-1,,8' : l)).join('\n')],
    ['route-mismatched-sizes', lines.map((l, i) => (i === routeLine ? 'layers=-1,0' : l)).join('\n')],
    ['mask-beyond-num', lines.map((l, i) => (i === maskLine ? 'mask=3,4,9' : l)).join('\n')],
    ['mask-negative', lines.map((l, i) => (i === maskLine ? 'mask=-1,4,5' : l)).join('\n')],
    ['anchors-too-many', lines.map((l, i) => (i === anchorsLine ? `${l},1,2,3,4` : l)).join('\n')],
    ['anchors-too-few', lines.map((l, i) => (i === anchorsLine ? 'anchors=10,14' : l)).join('\n')],
    ['anchors-garbage', lines.map((l, i) => (i === anchorsLine ? 'anchors=10,x,14' : l)).join('\n')],
    ['classes-mismatch', lines.map((l, i) => (i === classesLine ? 'classes=81' : l)).join('\n')],
    ['shortcut-no-from', `${cfgText}\n[shortcut]\nactivation=linear\n`],
    ['shortcut-out-of-range', `${cfgText}\n[shortcut]\nfrom=-99\n`],
    ['width-1e9', cfgText.replace('width=416', 'width=1000000000')],
    ['huge-network', cfgText.replace('width=416', 'width=16384').replace('height=416', 'height=16384')],
    ['steps-without-scales', cfgText.replace('policy=steps', 'policy=steps').replace(/scales=.*\n/, '')],
    ['policy-unknown', cfgText.replace(/policy=\w+/, 'policy=warp')],
    ['activation-unknown', cfgText.replace('activation=leaky', 'activation=gelu')],
    ['map-file', cfgText.replace('[yolo]', '[yolo]\nmap=/etc/passwd')],
    ['binary-garbage', Uint8Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256)],
    ['nul-in-text', cfgText.replace('[maxpool]', '[max\0pool]')],
    ['classifier-not-detector', readFileSync('/usr/share/darknet/cfg/darknet19.cfg', 'utf8')],
    // found by fuzzing (scripts/fuzz.sh): reorg_cpu divides by channels / stride², SIGFPE when 0
    ['fuzz-reorg-few-channels', '[net]\nwidth=64\nheight=64\nchannels=3\n[convolutional]\nfilters=1\nsize=3\npad=1\n[reorg]\nstride=2\n[convolutional]\nfilters=18\nsize=1\n[yolo]\nclasses=1\nmask=0,1,2\nnum=3\n'],
    // found by fuzzing: detection feeds 3 channels, a 4-channel network read past the image
    ['fuzz-channels-4', cfgText.replace('channels=3', 'channels=4')],
    // found by fuzzing: `truth=` makes softmax write its loss during inference
    ['fuzz-truth-option', cfgText.replace('[maxpool]', '[maxpool]\ntruth=1')],
    ['huge-file', `${'#'.repeat(1023)}\n`.repeat(8 * 1024) + cfgText],
  ];
  for (const [name, text] of structural) cfgCase(`cfg-${name}`, text);
  // seeded random line deletions and duplications
  const rand = mulberry32(42);
  for (let k = 0; k < 20; k++) {
    const mutated = [...lines];
    const at = 1 + Math.floor(rand() * (lines.length - 2));
    const victim = mutated[at]!;
    // keys whose mutations below are all invalid (a route to another earlier layer may be valid)
    if (!/^(filters|mask|classes|anchors|num)=/.test(victim)) { k--; continue; }
    mutated[at] = victim.replace(/=.*/, `=${['-7', '1e3', '', 'nan', '2,,3'][k % 5]}`);
    cfgCase(`cfg-random-${k}`, mutated.join('\n'));
  }

  // ---- weights ----
  const w = readFileSync(tiny.weights);
  const wCase = (name: string, data: Uint8Array, codes: DarknetErrorCode[]) => {
    const p = file(`${name}.weights`, data);
    cases.push({ group: 'weights', name, load: { cfg: tiny.cfg, weights: p }, codes, file: p });
  };
  for (const at of [0, 1, 4, 8, 12, 15, 16, 19, 20, 21, 100, 4096, 65_536, 1 << 20, 10_000_001, w.length - 4, w.length - 1]) {
    wCase(`weights-truncated-${at}`, w.subarray(0, at), at < 20 ? ['WEIGHTS_HEADER', 'WEIGHTS_SIZE'] : ['WEIGHTS_SIZE']);
  }
  for (const extra of [1, 4, 1000]) wCase(`weights-oversized-${extra}`, Buffer.concat([w, new Uint8Array(extra)]), ['WEIGHTS_SIZE']);
  const header = (major: number, minor: number) => {
    const b = Buffer.from(w);
    b.writeInt32LE(major, 0);
    b.writeInt32LE(minor, 4);
    return b;
  };
  wCase('weights-negative-major', header(-1, 2), ['WEIGHTS_HEADER']);
  wCase('weights-negative-minor', header(0, -5), ['WEIGHTS_HEADER']);
  wCase('weights-version-0.1', header(0, 1), ['WEIGHTS_SIZE']); // 16-byte header: 4 bytes too many
  wCase('weights-zero-bytes', new Uint8Array(0), ['WEIGHTS_HEADER']);
  wCase('weights-all-zero-header-only', new Uint8Array(20), ['WEIGHTS_SIZE']);
  cases.push({ group: 'weights', name: 'weights-of-another-network', load: { cfg: tiny.cfg, weights: otherWeights }, codes: ['WEIGHTS_SIZE'], file: otherWeights });
  cases.push({ group: 'weights', name: 'weights-missing', load: { cfg: tiny.cfg, weights: join(dir, 'nope.weights') }, codes: ['ENOENT'], file: join(dir, 'nope.weights') });
  cases.push({ group: 'weights', name: 'weights-is-directory', load: { cfg: tiny.cfg, weights: dir }, codes: ['EIO'], file: dir });

  // ---- images ----
  const pngBytes = readFileSync(png);
  const jpgBytes = readFileSync(jpg);
  const imgCase = (name: string, input: unknown, codes: DarknetErrorCode[] = ['IMAGE_DECODE'], options?: DetectOptions) =>
    cases.push({ group: 'image', name, detect: { input, ...(options ? { options } : {}) }, codes });
  for (const frac of [0, 0.001, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99]) {
    imgCase(`png-truncated-${frac}`, pngBytes.subarray(0, Math.floor(pngBytes.length * frac) + 8));
    imgCase(`jpeg-truncated-${frac}`, jpgBytes.subarray(0, Math.floor(jpgBytes.length * frac) + 4));
  }
  imgCase('png-wrong-magic', Buffer.concat([Buffer.from('XPNG'), pngBytes.subarray(4)]));
  imgCase('jpeg-wrong-magic', Buffer.concat([Buffer.from([0, 0]), jpgBytes.subarray(2)]));
  const ihdr = (wd: number, ht: number) => {
    const b = Buffer.from(pngBytes.subarray(0, 33));
    b.writeUInt32BE(wd, 16);
    b.writeUInt32BE(ht, 20);
    return Buffer.concat([b, pngBytes.subarray(33, 200)]);
  };
  imgCase('png-declares-0x0', ihdr(0, 0));
  imgCase('png-declares-65535x65535', ihdr(65535, 65535));
  imgCase('png-declares-1x1000000', ihdr(1, 1_000_000));
  imgCase('over-pixel-limit', pngBytes, ['IMAGE_DECODE'], { maxPixels: 10 });
  imgCase('empty-buffer', new Uint8Array(0));
  const r2 = mulberry32(7);
  for (let k = 0; k < 10; k++) imgCase(`random-bytes-${k}`, Uint8Array.from({ length: 64 + k * 997 }, () => Math.floor(r2() * 256)));
  imgCase('text-file', Buffer.from('this is not an image\n'.repeat(100)));
  const badImage = file('not-an-image.png', 'plain text');
  cases.push({ group: 'image', name: 'file-not-an-image', detect: { input: badImage }, codes: ['IMAGE_DECODE'], file: badImage });
  cases.push({ group: 'image', name: 'file-missing', detect: { input: join(dir, 'missing.png') }, codes: ['ENOENT'], file: join(dir, 'missing.png') });
  cases.push({ group: 'image', name: 'file-is-directory', detect: { input: dir }, codes: ['EIO'], file: dir });

  // ---- raw pixels ----
  const raw = (name: string, input: unknown) => cases.push({ group: 'raw', name, detect: { input }, codes: ['BAD_INPUT'] });
  raw('raw-short', { data: new Uint8Array(10), width: 4, height: 4, channels: 3 });
  raw('raw-long', { data: new Uint8Array(49), width: 4, height: 4, channels: 3 });
  for (const c of [0, 2, 5, -3, 3.5, Number.NaN]) raw(`raw-channels-${c}`, { data: new Uint8Array(48), width: 4, height: 4, channels: c });
  for (const wd of [0, -4, 4.5, Number.NaN, Infinity, 70000]) raw(`raw-width-${wd}`, { data: new Uint8Array(48), width: wd, height: 4, channels: 3 });
  // found by fuzzing: letterboxing to a 1-pixel side sends Darknet's resize out of bounds
  raw('raw-too-thin-2000x2', { data: new Uint8Array(2000 * 2 * 3), width: 2000, height: 2, channels: 3 });
  raw('raw-too-thin-1x900', { data: new Uint8Array(900 * 3), width: 1, height: 900, channels: 3 });
  raw('raw-too-thin-2000x5', { data: new Uint8Array(2000 * 5 * 3), width: 2000, height: 5, channels: 3 }); // → 416×1: the crash itself
  raw('raw-plain-array', { data: new Array(48).fill(0), width: 4, height: 4, channels: 3 });
  raw('raw-float32', { data: new Float32Array(48), width: 4, height: 4, channels: 3 });
  raw('raw-int16', { data: new Int16Array(48), width: 4, height: 4, channels: 3 });
  raw('raw-string-data', { data: 'x'.repeat(48), width: 4, height: 4, channels: 3 });
  raw('raw-missing-dims', { data: new Uint8Array(48) });
  for (const v of [null, undefined, 42, true, Symbol('x'), () => 0, [1, 2, 3]]) raw(`input-${typeof v}-${String(Array.isArray(v) ? 'array' : typeof v === 'symbol' ? 'symbol' : v)}`, v);

  // ---- options ----
  const opt = (name: string, options: unknown) => cases.push({ group: 'options', name, detect: { input: 'RAW', options: options as DetectOptions }, codes: ['BAD_INPUT'] });
  for (const key of ['thresh', 'hierThresh', 'nms']) {
    for (const v of [Number.NaN, -0.1, 1.5, Infinity, -Infinity, '0.5', null, true, {}]) opt(`${key}-${typeof v === 'number' ? v : JSON.stringify(v)}`, { [key]: v });
  }
  for (const v of ['yes', 1, null]) opt(`letterbox-${JSON.stringify(v)}`, { letterbox: v });
  for (const v of [0, -1, 1.5, Number.NaN, '100']) opt(`maxPixels-${String(v)}`, { maxPixels: v });
  opt('options-not-object', 'fast');
  const loadOpt = (name: string, extra: Record<string, unknown>) =>
    cases.push({ group: 'options', name, load: { cfg: tiny.cfg, weights: tiny.weights, ...extra } as LoadOptions, codes: ['BAD_INPUT'] });
  for (const v of [0, -1, 1.5, Number.NaN, '2', 5000]) loadOpt(`batch-${String(v)}`, { batch: v });
  for (const v of [0, 100, -416, 416.5, Number.NaN, Infinity, '416', 100000]) loadOpt(`width-${String(v)}`, { width: v });
  for (const v of [7, 'yes']) loadOpt(`training-${String(v)}`, { training: v });
  for (const v of ['tpu', -5, 1.5]) loadOpt(`device-${String(v)}`, { device: v });
  loadOpt('onProgress-not-function', { onProgress: 42 });
  loadOpt('names-number', { names: 42 });
  cases.push({ group: 'options', name: 'cfg-not-string', load: { cfg: 42, weights: null } as unknown as LoadOptions, codes: ['BAD_INPUT'] });
  cases.push({ group: 'options', name: 'weights-undefined', load: { cfg: tiny.cfg } as unknown as LoadOptions, codes: ['BAD_INPUT'] });
  return cases;
}

export async function runCase(c: CorpusCase, det: Detector, rawImage: unknown, load: (o: LoadOptions) => Promise<Detector>): Promise<unknown> {
  if (c.load) {
    const d = await load(c.load);
    d.dispose(); // should not get here
    return d;
  }
  const input = c.detect!.input === 'RAW' ? rawImage : c.detect!.input;
  return det.detect(input as never, c.detect!.options);
}
