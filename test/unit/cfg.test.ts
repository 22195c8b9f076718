import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DarknetError } from '../../lib/errors.js';
import { getOption, parseCfg, serializeCfg, setOption, validateCfg, type Cfg } from '../../lib/cfg/index.js';
import { DARKNET_SHARE } from '../helpers/fixtures.js';

const load = (name: string, size = 416): Cfg => {
  const cfg = parseCfg(readFileSync(join(DARKNET_SHARE, 'cfg', `${name}.cfg`), 'utf8'), { file: `${name}.cfg` });
  setOption(cfg.sections[0]!, 'width', size);
  setOption(cfg.sections[0]!, 'height', size);
  setOption(cfg.sections[0]!, 'batch', 1);
  setOption(cfg.sections[0]!, 'subdivisions', 1);
  return cfg;
};

function rejects(text: string, code: string, line?: number, match?: RegExp): DarknetError {
  let err: unknown;
  try {
    validateCfg(parseCfg(text, { file: 'bad.cfg' }));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DarknetError);
  const e = err as DarknetError;
  expect(e.code).toBe(code);
  expect(e.file).toBe('bad.cfg');
  if (line !== undefined) expect(e.line).toBe(line);
  if (match) expect(e.message).toMatch(match);
  return e;
}

const NET = '[net]\nwidth=64\nheight=64\nchannels=3\n';

describe('YOLOv3 as the paper describes it', () => {
  const shape = validateCfg(load('yolov3'));

  it('has 107 layers, 75 convolutions (Darknet-53 backbone: 52 + heads), 23 shortcuts, no pooling', () => {
    expect(shape.layers).toHaveLength(107);
    const count = (t: string) => shape.layers.filter((l) => l.type === t).length;
    expect(count('convolutional')).toBe(75);
    expect(count('shortcut')).toBe(23);
    expect(count('maxpool')).toBe(0);
    expect(count('upsample')).toBe(2);
    expect(count('route')).toBe(4);
    // Darknet-53: the 52 convolutions before the first head branch (+ the classifier's FC = 53).
    const firstHeadBranch = shape.layers.findIndex((l, i) => l.type === 'convolutional' && i > 74);
    expect(shape.layers.slice(0, firstHeadBranch).filter((l) => l.type === 'convolutional')).toHaveLength(52);
    // Downsampling by stride-2 convolutions: five of them take 416 to 13.
    expect(shape.layers.filter((l) => l.type === 'convolutional' && l.stride === 2)).toHaveLength(5);
  });

  it('detects at 13×13, 26×26 and 52×52 with 255 channels each: 10,647 candidates', () => {
    expect(shape.heads.map((h) => h.grid)).toEqual([[13, 13], [26, 26], [52, 52]]);
    expect(shape.heads.map((h) => h.channels)).toEqual([255, 255, 255]);
    expect(shape.heads.every((h) => h.classes === 80)).toBe(true);
    expect(shape.candidates).toBe(10647);
    expect(shape.bflops).toBeCloseTo(65.86, 1);
  });

  it('assigns 3 of the 9 anchors to each scale through mask', () => {
    expect(shape.heads.map((h) => h.mask)).toEqual([[6, 7, 8], [3, 4, 5], [0, 1, 2]]);
    expect(shape.heads.map((h) => h.anchors)).toEqual([
      [[116, 90], [156, 198], [373, 326]],
      [[30, 61], [62, 45], [59, 119]],
      [[10, 13], [16, 30], [33, 23]],
    ]);
  });

  it('reads 248,007,048 bytes of weights', () => {
    expect(20 + 4 * shape.weightFloats).toBe(248_007_048);
  });

  it('scales with the input size (320 → 10×10, 608 → 19×19) and keeps the weight count', () => {
    const s320 = validateCfg(load('yolov3', 320));
    const s608 = validateCfg(load('yolov3', 608));
    expect(s320.heads[0]!.grid).toEqual([10, 10]);
    expect(s608.heads[0]!.grid).toEqual([19, 19]);
    expect(s320.weightFloats).toBe(shape.weightFloats);
    expect(s608.bflops).toBeCloseTo(140.69, 1);
    expect(s320.bflops).toBeCloseTo(38.97, 1);
  });

  it('handles yolov3-tiny (2 heads, maxpools) and yolov3-spp', () => {
    const tiny = validateCfg(load('yolov3-tiny'));
    expect(tiny.layers).toHaveLength(24);
    expect(tiny.heads.map((h) => h.grid)).toEqual([[13, 13], [26, 26]]);
    expect(tiny.bflops).toBeCloseTo(5.56, 1);
    expect(20 + 4 * tiny.weightFloats).toBe(35_434_956);
    const spp = validateCfg(load('yolov3-spp'));
    expect(spp.layers).toHaveLength(114);
    expect(spp.candidates).toBe(10647);
  });
});

describe('parseCfg / serializeCfg', () => {
  it('round-trips the shipped cfgs', () => {
    for (const name of ['yolov3', 'yolov3-tiny', 'yolov3-spp', 'yolov2']) {
      const cfg = load(name);
      const again = parseCfg(serializeCfg(cfg));
      expect(again.sections.map((s) => [s.type, s.options.map((o) => [o.key, o.value])]))
        .toEqual(cfg.sections.map((s) => [s.type, s.options.map((o) => [o.key, o.value])]));
    }
  });

  it('reads CRLF files, comments and spaces like Darknet (which strips all whitespace)', () => {
    const cfg = parseCfg('# c\r\n[net]\r\nwidth = 64\r\n; x\r\nheight=64\r\nchannels=3\r\n[convolutional]\r\nfilters=8\r\nactivation = leaky\r\n');
    expect(getOption(cfg.sections[0]!, 'width')!.value).toBe('64');
    expect(getOption(cfg.sections[1]!, 'activation')!.value).toBe('leaky');
    expect(getOption(cfg.sections[1]!, 'filters')!.line).toBe(8);
  });

  it('keeps the first of repeated keys, as option_find does', () => {
    const cfg = parseCfg('[net]\nwidth=32\nwidth=64\n');
    expect(getOption(cfg.sections[0]!, 'width')!.value).toBe('32');
  });

  it.each([
    ['width=64\n[net]\n', 1, /before any \[section\]/],
    ['[net]\nwidth\n', 2, /expected key=value/],
    ['[net]\nwidth=\n', 2, /empty value/],
    ['[net\n', 1, /malformed section header/],
    ['[net]\n\0\0garbage', 2, /binary data/],
  ])('rejects %j at line %i', (text, line, re) => {
    rejects(text, 'CFG_PARSE', line, re);
  });

  it('rejects an empty file', () => {
    expect(() => parseCfg('', { file: 'e.cfg' })).toThrow(expect.objectContaining({ code: 'CFG_PARSE', file: 'e.cfg' }));
  });
});

describe('validateCfg refuses what would crash or mislead Darknet', () => {
  it.each([
    ['no [net] first', '[convolutional]\nfilters=1\n', 'CFG_INVALID', 1, /first section/],
    ['unknown section', NET + '[banana]\nsize=1\n', 'CFG_UNSUPPORTED', 5, /not supported/],
    ['route index out of range', NET + '[convolutional]\nfilters=8\n[route]\nlayers=-5\n', 'CFG_INVALID', 8, /outside the 1 earlier/],
    ['route forward reference', NET + '[convolutional]\nfilters=8\n[route]\nlayers=3\n', 'CFG_INVALID', 8, /outside/],
    ['route without layers', NET + '[convolutional]\nfilters=8\n[route]\n', 'CFG_INVALID', 7, /needs layers/],
    ['shortcut without from', NET + '[convolutional]\nfilters=8\n[shortcut]\nactivation=linear\n', 'CFG_INVALID', 7, /needs from/],
    ['shortcut out of range', NET + '[convolutional]\nfilters=8\n[shortcut]\nfrom=-9\n', 'CFG_INVALID', 8, /outside/],
    ['too many anchors', NET + '[convolutional]\nfilters=18\nsize=1\n[yolo]\nclasses=1\nmask=0,1,2\nnum=3\nanchors=1,2,3,4,5,6,7,8\n', 'CFG_INVALID', 12, /8 anchor values for num=3/],
    ['mask beyond num', NET + '[convolutional]\nfilters=18\n[yolo]\nclasses=1\nmask=0,1,5\nnum=3\n', 'CFG_INVALID', 9, /anchor index 5/],
    ['filters ≠ boxes × (5 + classes)', NET + '[convolutional]\nfilters=16\n[yolo]\nclasses=80\nmask=0,1,2\nnum=9\n', 'CFG_INVALID', 8, /need 255/],
    ['subdivisions 0 (division by zero)', '[net]\nsubdivisions=0\nwidth=64\nheight=64\nchannels=3\n[convolutional]\nfilters=1\n', 'CFG_INVALID', 2, /out of range/],
    ['stride 0 (division by zero)', NET + '[maxpool]\nstride=0\n', 'CFG_INVALID', 6, /out of range/],
    ['groups that do not divide', NET + '[convolutional]\nfilters=8\ngroups=2\n', 'CFG_INVALID', 7, /must divide/],
    ['absurd width', '[net]\nwidth=1000000000\nheight=64\nchannels=3\n[convolutional]\nfilters=1\n', 'CFG_INVALID', 2, /out of range/],
    ['non-numeric width', '[net]\nwidth=1e9\nheight=64\nchannels=3\n[convolutional]\nfilters=1\n', 'CFG_INVALID', 2, /not an integer/],
    ['filters=0', NET + '[convolutional]\nfilters=0\n', 'CFG_INVALID', 6, /out of range/],
    ['unknown activation', NET + '[convolutional]\nfilters=4\nactivation=frobnicate\n', 'CFG_INVALID', 7, /unknown activation/],
    ['an activation of a later Darknet', NET + '[convolutional]\nfilters=4\nactivation=swish\n', 'CFG_UNSUPPORTED', 7, /"swish" belongs to a later Darknet \(AlexeyAB's fork: YOLOv4 and later\)/],
    ['steps without scales', '[net]\nwidth=64\nheight=64\nchannels=3\npolicy=steps\nsteps=10,20\n[convolutional]\nfilters=1\n', 'CFG_INVALID', undefined, /needs both/],
    ['steps/scales count mismatch', '[net]\nwidth=64\nheight=64\nchannels=3\npolicy=steps\nsteps=10,20\nscales=.1\n[convolutional]\nfilters=1\n', 'CFG_INVALID', 7, /2 steps but 1 scales/],
    ['a huge network', '[net]\nwidth=16384\nheight=16384\nchannels=3\n[convolutional]\nfilters=1024\nsize=3\npad=1\n', 'CFG_INVALID', 1, /GiB/],
    ['a head with more classes than the last layer', NET + '[convolutional]\nfilters=18\n[yolo]\nclasses=1\nmask=0,1,2\nnum=3\n[route]\nlayers=-2\n[convolutional]\nfilters=15\n[yolo]\nclasses=0\nmask=0,1,2\nnum=3\n', 'CFG_INVALID', 8, /overflow/],
    ['flipped grouped convolution (transpose past the weights)', NET + '[convolutional]\nfilters=6\ngroups=3\nflipped=1\n', 'CFG_UNSUPPORTED', 8, /transpose past the end/],
    ['map files', NET + '[convolutional]\nfilters=18\n[yolo]\nclasses=1\nnum=3\nmap=/etc/passwd\n', 'CFG_UNSUPPORTED', 10, /not supported/],
  ])('%s', (_name, text, code, line, re) => {
    rejects(text, code, line, re);
  });
});
