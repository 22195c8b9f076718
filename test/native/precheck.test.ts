/**
 * The fuzz harness's filter (test/fuzz/precheck.h, C) held to the TypeScript validator case by
 * case, so that the two cannot drift: precheck.h is compiled into a small driver that reports,
 * for each cfg, accept or which refusal (a "rule" it mirrors from validateCfg, or a "limit" that
 * only keeps the fuzzer fast), and each answer is set beside what Detector.load's checks say
 * (parseCfg, validateCfg, 3 channels). Cases: the fuzz seeds, the bad-input corpus's cfgs, and
 * seeded mutants of the seeds.
 *   - precheck accepts → TypeScript accepts, except for the shape rules listed below (precheck
 *     has no shape model; Darknet's own asserts on those are trapped by the native guard);
 *   - precheck refuses by a "rule" → TypeScript refuses too.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCfg } from '../../lib/cfg/parse.js';
import { validateCfg } from '../../lib/cfg/validate.js';
import { DarknetError } from '../../lib/errors.js';
import { mulberry32 } from '../../lib/prng.js';
import { buildCorpus } from '../corpus/cases.js';
import { CACHE, DARKNET_SHARE, ensureModel, pngPath, ROOT } from '../helpers/fixtures.js';

const DIR = join(CACHE, 'precheck');
const DRIVER = join(DIR, 'precheck-driver');
const SEEDS = join(ROOT, 'test', 'fuzz', 'seeds', 'cfg');

/**
 * What validateCfg refuses and precheck.h does not try to: rules that need the layer shapes
 * (precheck reads options, it does not compute sizes), and the number format of options
 * precheck only reads as numbers. Anything else validateCfg refuses, precheck must refuse too.
 */
const SHAPE_RULES: RegExp[] = [
  /must divide both input channels/, // [convolutional] groups
  /kernel does not fit|window does not fit/, // convolution / maxpool larger than its input
  /leaves nothing/, // [upsample] downsampling to zero
  /outputs \d+×\d+ but layer \d+ outputs/, // [route] of different sizes
  /does not output an image|incompatible sizes/, // [shortcut]
  /the previous layer outputs \d+ channels, but/, // [yolo]/[region] input channels
  /must output an image/,
  /must divide the \d+ inputs/, // [softmax] groups
  /temperature must not be 0/,
  /softmax needs classes ≥ 1/,
];
/** options precheck.h checks as integers (or lists): a TypeScript number-format refusal on any other is not its business */
const PRECHECK_INTEGERS = new Set(['width', 'height', 'channels', 'batch', 'subdivisions', 'time_steps', 'filters', 'output', 'size', 'stride', 'groups', 'flipped',
  'pad', 'padding', 'batch_normalize', 'reverse', 'classes', 'num', 'coords', 'mask', 'anchors', 'layers', 'from']);
const NUMBER_FORMAT = /^(?:.*: )?\[(\w+)\] (\w+): (?:".*" is not (?:an integer|a finite number|a number)|-?\d+ is out of range|".*" has an empty list entry)/;

function unmirrored(message: string): boolean {
  if (SHAPE_RULES.some((re) => re.test(message))) return true;
  const m = NUMBER_FORMAT.exec(message);
  return m !== null && !PRECHECK_INTEGERS.has(m[2]!);
}

/** What Detector.load refuses before Darknet sees the cfg (null: accepted). */
function typescript(text: string): string | null {
  try {
    const shape = validateCfg(parseCfg(text, { file: 'case.cfg' }));
    return shape.channels === 3 ? null : 'channels';
  } catch (e) {
    if (!(e instanceof DarknetError)) throw e;
    return e.message;
  }
}

function precheck(texts: readonly string[]): string[] {
  const r = spawnSync(DRIVER, { input: texts.join('\0'), encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(r.status, r.stderr).toBe(0);
  const out = r.stdout.trimEnd().split('\n');
  expect(out).toHaveLength(texts.length);
  return out;
}

/** Seeded mutants of the seeds: values, deletions, duplications, inserted sections and options. */
function mutants(seeds: readonly string[], n: number): string[] {
  const rnd = mulberry32(19);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const VALUES = ['0', '1', '2', '3', '4', '5', '6', '-1', '-2', '-5', '7', '12', '13', '20', '21', '64', '65', '160', '161', '1.5', 'abc', '1,2', '0,1,2', '0,1,5', ',', '1,,2', 'leaky', 'linear', 'relu', 'sigmoid', 'nan', '1e5'];
  const OPTIONS = ['flipped=1', 'groups=2', 'groups=3', 'truth=1', 'dontload=1', 'dontload=0', 'map=x', 'inputs=10', 'coords=5', 'softmax=1', 'temperature=0',
    'anchors=1,2,3', 'anchors=1,2,3,4,5,6', 'mask=0,1,2', 'mask=7', 'num=2', 'layers=-1', 'layers=-1,-3', 'layers=5', 'from=-2', 'from=-1,-2', 'activation=foo',
    'activation=leaky', 'classes=0', 'channels=1', 'channels=4', 'random=1.5', 'stride=-2', 'size=9', 'policy=steps', 'batch=2'];
  // values that keep the rest of a layer consistent, so that one rule at a time decides
  const BY_KEY: Record<string, readonly string[]> = {
    mask: ['0,1,2', '3,4,5', '0,1,5', '0,1,3', '6,7,8', '2,1,0', '0,0,0', '0,-1,2'],
    num: ['1', '2', '3', '5', '6', '9', '12', '13'],
    anchors: ['1,2,3,4,5,6', '1,2,3,4,5,6,7,8,9,10,11,12', '1,2,3,4,5', '1,2,3,4,5,6,7', '1,2,x,4,5,6', '1,2,3,4,5,6,'],
    classes: ['0', '1', '2', '3', '4', '20', '21'],
    filters: ['8', '16', '18', '21', '24', '27', '30', '65'],
    layers: ['-1', '-2', '-3', '-4', '1', '2', '-1,-3', '-1,1', '-20', '99'],
    from: ['-1', '-2', '-3', '1', '-9'],
    activation: ['leaky', 'linear', 'logistic', 'relu', 'mish', 'swish'],
    groups: ['1', '2', '4', '8', '3'],
    stride: ['1', '2', '-2', '3', '0'],
    size: ['1', '2', '3', '5', '7', '8'],
  };
  const SECTIONS = ['[convolutional]', '[conv]', '[maxpool]', '[avgpool]', '[route]', '[shortcut]', '[upsample]', '[yolo]', '[region]', '[dropout]', '[connected]', '[softmax]', '[net]', '[bogus]', '[reorg]', '[crop]'];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const lines = pick(seeds).split('\n');
    for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) {
      const at = 1 + Math.floor(rnd() * (lines.length - 1));
      const r = rnd();
      const key = lines[at]!.split('=')[0]!;
      if (r < 0.45 && lines[at]!.includes('=')) lines[at] = `${key}=${BY_KEY[key] && rnd() < 0.7 ? pick(BY_KEY[key]!) : pick(VALUES)}`;
      else if (r < 0.6) lines.splice(at, 1);
      else if (r < 0.7) lines.splice(at, 0, pick(lines));
      else if (r < 0.85) lines.splice(at, 0, pick(OPTIONS));
      else lines.splice(at, 0, pick(SECTIONS));
    }
    out.push(lines.join('\n'));
  }
  return out;
}

let cases: Array<{ name: string; text: string }>;

beforeAll(async () => {
  mkdirSync(DIR, { recursive: true });
  const cc = spawnSync(process.env.CC ?? 'cc', ['-O1', '-Wall', '-Werror', '-I', join(ROOT, 'test', 'fuzz'), '-o', DRIVER, join(ROOT, 'test', 'fuzz', 'precheck_driver.c')], { encoding: 'utf8' });
  expect(cc.status, `compiling precheck_driver.c: ${cc.stderr}`).toBe(0);
  const seeds = readdirSync(SEEDS).sort().map((f) => ({ name: `seed ${f}`, text: readFileSync(join(SEEDS, f), 'utf8') }));
  const tiny = await ensureModel('tiny');
  const corpus = buildCorpus(join(DIR, 'corpus'), tiny, tiny.weights, pngPath('dog'), join(DARKNET_SHARE, 'data', 'dog.jpg'))
    .filter((c) => (c.group === 'cfg' || c.group === 'fuzz') && c.load && typeof c.load.cfg === 'string' && c.load.weights === null)
    .flatMap((c) => {
      const bytes = readFileSync(c.load!.cfg as string); // filtered to a path above
      return bytes.includes(0) ? [] : [{ name: `corpus ${c.name}`, text: bytes.toString('utf8') }];
    });
  cases = [...seeds, ...corpus, ...mutants(seeds.map((s) => s.text), 6000).map((text, i) => ({ name: `mutant ${i}`, text }))];
});

describe('test/fuzz/precheck.h against the TypeScript validator', () => {
  it('accepts only what TypeScript accepts, and refuses by a rule only what TypeScript refuses', () => {
    const answers = precheck(cases.map((c) => c.text));
    const drift: string[] = [];
    const tally = { bothAccept: 0, ruleConfirmed: 0, limit: 0, shapeOnly: 0 };
    cases.forEach((c, i) => {
      const p = answers[i]!;
      const t = typescript(c.text);
      if (p === 'accept') {
        if (t === null) tally.bothAccept++;
        else if (unmirrored(t)) tally.shapeOnly++;
        else drift.push(`${c.name}: precheck accepts, TypeScript refuses: ${t}\n${c.text}`);
      } else if (p.startsWith('rule ')) {
        if (t === null) drift.push(`${c.name}: precheck refuses (${p}), TypeScript accepts\n${c.text}`);
        else tally.ruleConfirmed++;
      } else {
        expect(p).toMatch(/^limit /);
        tally.limit++;
      }
    });
    console.log(`precheck vs validateCfg over ${cases.length} cfgs: ${JSON.stringify(tally)}`);
    expect(drift.slice(0, 5)).toEqual([]);
    // the comparison means something only if many cases reach each side
    expect(tally.bothAccept).toBeGreaterThan(300);
    expect(tally.ruleConfirmed).toBeGreaterThan(300);
  });

  it('passes the fuzz seeds (a seed it refused would never reach Darknet)', () => {
    const seeds = cases.filter((c) => c.name.startsWith('seed ') && !c.text.includes('[reorg]'));
    expect(seeds.length).toBeGreaterThan(0);
    expect(precheck(seeds.map((s) => s.text))).toEqual(seeds.map(() => 'accept'));
  });
});
