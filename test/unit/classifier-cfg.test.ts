/**
 * The validator on Darknet's ImageNet classifier family (Debian's cfgs): every one is accepted
 * and sized as Darknet sizes it, and the layers classifiers add ([crop], [cost], softmax options)
 * are refused where Darknet would crash or compute nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DarknetError } from '../../lib/errors.js';
import { parseCfg, setOption, validateCfg } from '../../lib/cfg/index.js';
import { DARKNET_SHARE } from '../helpers/fixtures.js';

const shapeOf = (name: string) => {
  const cfg = parseCfg(readFileSync(join(DARKNET_SHARE, 'cfg', `${name}.cfg`), 'utf8'), { file: `${name}.cfg` });
  setOption(cfg.sections[0]!, 'batch', 1);
  setOption(cfg.sections[0]!, 'subdivisions', 1);
  return validateCfg(cfg);
};

describe('Darknet\'s ImageNet classifiers', () => {
  // BFLOPs at the cfg's own size, as pjreddie.com/darknet/imagenet tabulates them
  it.each([
    ['darknet', 256, 0.96], ['darknet19', 256, 7.29], ['darknet19_448', 448, 22.33], ['darknet53', 256, 18.57],
    ['darknet53_448', 448, 56.87], ['extraction', 224, 8.52], ['tiny', 224, 0.98], ['alexnet', 227, 2.27],
    ['vgg-16', 256, 30.94], ['resnet18', 256, 4.69], ['resnet34', 256, 9.52], ['resnet50', 256, 9.74],
    ['resnet101', 256, 19.70], ['resnet152', 256, 29.39], ['resnext50', 256, 10.11], ['densenet201', 256, 10.85],
  ] as const)('%s: accepted at %i², %f BFLOPs, one softmax over 1000 classes', (name, size, bflops) => {
    const s = shapeOf(name);
    expect([s.width, s.height]).toEqual([size, size]);
    expect(s.bflops).toBeCloseTo(bflops, 2);
    expect(s.heads).toEqual([]);
    const out = s.layers.filter((l) => l.type !== 'cost').at(-1)!;
    expect(out.type).toBe('softmax');
    expect(out.outputs).toBe(1000);
  });

  it('Darknet-53: 53 convolutions, the first 74 layers (darknet53.conv.74) are 162,482,580 bytes with the header', () => {
    const s = shapeOf('darknet53');
    expect(s.layers.filter((l) => l.type === 'convolutional')).toHaveLength(53);
    expect(20 + 4 * s.layers.slice(0, 74).reduce((a, l) => a + l.weightFloats, 0)).toBe(162_482_580);
    expect(20 + 4 * s.weightFloats).toBe(166_582_580);
  });

  it('vgg-16\'s [crop] takes the 224×224 centre of its 256×256 input; resnet101\'s trailing [cost] passes the softmax through', () => {
    const vgg = shapeOf('vgg-16');
    const crop = vgg.layers.find((l) => l.type === 'crop')!;
    expect([crop.input.w, crop.output.w, crop.output.h, crop.output.c]).toEqual([256, 224, 224, 3]);
    const r101 = shapeOf('resnet101');
    const [soft, cost] = r101.layers.slice(-2);
    expect([soft!.type, cost!.type, cost!.outputs]).toEqual(['softmax', 'cost', 1000]);
  });
});

describe('classifier layers Darknet cannot run are refused', () => {
  const NET = '[net]\nwidth=32\nheight=32\nchannels=3\n';
  const CONV = '[convolutional]\nfilters=4\nsize=1\n';
  it.each([
    ['a crop larger than its input (rand() % 0)', `${NET}[crop]\ncrop_height=33\ncrop_width=16\n`, 'CFG_INVALID', 6, /crop_height: 33 is out of range \[1, 32\]/],
    ['a crop after a non-image layer', `${NET}${CONV}[avgpool]\n[softmax]\n[crop]\ncrop_height=1\ncrop_width=1\n`, 'CFG_INVALID', 10, /must output an image/],
    ['an unknown cost type (Darknet falls back to sse)', `${NET}${CONV}[avgpool]\n[softmax]\n[cost]\ntype=hinge\n`, 'CFG_INVALID', 11, /unknown cost type "hinge"/],
    ['softmax temperature 0 (every probability NaN)', `${NET}${CONV}[avgpool]\n[softmax]\ntemperature=0\n`, 'CFG_INVALID', 10, /temperature must not be 0/],
    ['a softmax tree (hierarchy file)', `${NET}${CONV}[avgpool]\n[softmax]\ntree=data/9k.tree\n`, 'CFG_UNSUPPORTED', 10, /"tree" is not supported/],
    ['a layer type this build does not run', `${NET}[local]\nfilters=4\n`, 'CFG_UNSUPPORTED', 5, /\[local\] is not supported/],
  ])('%s', (_name, text, code, line, re) => {
    let err: unknown;
    try {
      validateCfg(parseCfg(text, { file: 'bad.cfg' }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DarknetError);
    expect(err).toMatchObject({ code, file: 'bad.cfg', line });
    expect((err as Error).message).toMatch(re);
  });
});
