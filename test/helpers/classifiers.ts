/**
 * Classifier fixtures and oracles: Debian's classifier cfgs at batch 1 with random weights of the
 * real size, Debian's `darknet classifier predict` / `valid` CLI, and libdarknet.so through
 * test/reference/classify-harness.c (the whole probability vector at full precision).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCfg } from '../../lib/cfg/parse.js';
import { serializeCfg } from '../../lib/cfg/serialize.js';
import { setOption } from '../../lib/cfg/types.js';
import { validateCfg } from '../../lib/cfg/validate.js';
import { writeRandomWeights } from '../../lib/random-weights.js';
import { CACHE, DARKNET_SHARE, rawPath, ROOT } from './fixtures.js';
import { runOk } from './proc.js';

/**
 * Debian's cfgs at their own sizes. `gain` is the scoring layer's variance gain: each network's
 * features differ in scale, and the gain is picked so that the top-5 probabilities are a few
 * percent or more and apart by more than the CLI's 0.01 % (He's gain leaves darknet19's 1000
 * probabilities within 1e-6 of each other, where rounding decides their order).
 */
export const CLASSIFIERS = {
  darknet53: { size: 256, gain: 2, seed: 11 },
  darknet19: { size: 256, gain: 512, seed: 12 },
  resnet50: { size: 256, gain: 256, seed: 13 },
  tiny: { size: 224, gain: 64, seed: 14 },
} as const;
export type ClassifierName = keyof typeof CLASSIFIERS;

export interface ClassifierFixture {
  name: ClassifierName;
  cfg: string;
  weights: string;
}

export const DARKNET = '/usr/bin/darknet';

export async function ensureClassifier(name: ClassifierName): Promise<ClassifierFixture> {
  const m = CLASSIFIERS[name];
  mkdirSync(CACHE, { recursive: true });
  const cfg = parseCfg(readFileSync(join(DARKNET_SHARE, 'cfg', `${name}.cfg`), 'utf8'));
  const net = cfg.sections[0]!;
  setOption(net, 'batch', 1);
  setOption(net, 'subdivisions', 1);
  const cfgFile = join(CACHE, `cls-${name}.cfg`);
  writeFileSync(cfgFile, serializeCfg(cfg));
  const shape = validateCfg(cfg);
  if (shape.width !== m.size) throw new Error(`${name}.cfg is ${shape.width} wide, expected ${m.size}`);
  const weights = join(CACHE, `cls-${name}-g${m.gain}-s${m.seed}.weights`);
  if (!existsSync(weights) || statSync(weights).size !== 20 + 4 * shape.weightFloats) {
    await writeRandomWeights(shape, weights, { seed: m.seed, classifierGain: m.gain });
  }
  return { name, cfg: cfgFile, weights };
}

/** A .data file for Debian's CLI: ImageNet's names, and what `valid` reads. */
export function dataFile(file: string, o: { top?: number; classes?: number; valid?: string; labels?: string } = {}): string {
  const lines = [
    `classes=${o.classes ?? 1000}`,
    `names=${join(DARKNET_SHARE, 'data', 'imagenet.shortnames.list')}`,
    `labels=${o.labels ?? join(DARKNET_SHARE, 'data', 'imagenet.labels.list')}`,
    `top=${o.top ?? 5}`,
    ...(o.valid ? [`valid=${o.valid}`] : []),
  ];
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

export interface CliTop {
  /** the printed percentage (two decimals) */
  percent: number;
  name: string;
}

/**
 * `darknet classifier predict data cfg weights` with the image paths on stdin (one network load
 * for all of them); per image its printed top-5: "xx.xx%: name".
 */
export function darknetPredict(fx: ClassifierFixture, images: readonly string[]): Promise<CliTop[][]> {
  const data = dataFile(join(CACHE, 'cls-predict.data'));
  return new Promise((resolve, reject) => {
    const child = spawn(DARKNET, ['classifier', 'predict', data, fx.cfg, fx.weights], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', reject);
    child.once('close', (status) => {
      const text = Buffer.concat(out).toString('utf8');
      if (status !== 0) return reject(new Error(`darknet exited ${status}: ${Buffer.concat(err).toString('utf8').slice(-2000)}`));
      // the prompt precedes each image's lines, and the last one meets the end of input
      const parts = text.split('Enter Image Path: ').slice(1, -1);
      resolve(parts.map((p) => [...p.matchAll(/^\s*(\d+\.\d\d)%: (.*)$/gm)].map((m) => ({ percent: Number(m[1]), name: m[2]! }))));
    });
    child.stdin.end(images.map((i) => `${i}\n`).join(''));
  });
}

export const CLASSIFY_HARNESS = join(CACHE, 'classify-harness');

export function ensureClassifyHarness(): string {
  const src = join(ROOT, 'test', 'reference', 'classify-harness.c');
  if (!existsSync(CLASSIFY_HARNESS) || statSync(CLASSIFY_HARNESS).mtimeMs < statSync(src).mtimeMs) {
    execFileSync('cc', ['-O2', '-o', CLASSIFY_HARNESS, src, '-I/usr/lib/darknet/include', '-L/usr/lib/darknet',
      '-ldarknet', '-Wl,-rpath,/usr/lib/darknet', '-lm'], { stdio: 'inherit' });
  }
  return CLASSIFY_HARNESS;
}

/** libdarknet.so's whole output for each sample image (its raw RGB copy), prepared as `mode` says. */
export async function referenceProbabilities(fx: ClassifierFixture, mode: 'letterbox' | 'crop', images: readonly string[]): Promise<Float32Array[]> {
  const out = await runOk(ensureClassifyHarness(), [fx.cfg, fx.weights, mode, ...images.map(rawPath)]);
  const lines = out.split('\n');
  const result: Float32Array[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^image (\d+) (\d+)$/.exec(lines[i]!);
    if (!m) continue;
    const v = Float32Array.from(lines[i + 1]!.split(' ').map(Number));
    if (v.length !== Number(m[2])) throw new Error(`harness printed ${v.length} values for ${m[2]} outputs`);
    result.push(v);
  }
  if (result.length !== images.length) throw new Error(`harness printed ${result.length} images of ${images.length}`);
  return result;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
