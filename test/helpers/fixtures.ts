/**
 * Test fixtures, generated deterministically on first use into test/.cache: cfgs from Debian's
 * `darknet` package with the input size set, random-init .weights of the real size (written by
 * the package's own writeRandomWeights), PNG/raw copies of the sample images, and the reference
 * harness compiled against Debian's libdarknet.so.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCfg } from '../../lib/cfg/parse.js';
import { serializeCfg } from '../../lib/cfg/serialize.js';
import { setOption } from '../../lib/cfg/types.js';
import { validateCfg } from '../../lib/cfg/validate.js';
import { writeRandomWeights } from '../../lib/random-weights.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CACHE = join(ROOT, 'test', '.cache');
export const DARKNET_SHARE = '/usr/share/darknet';
export const SAMPLE_IMAGES = ['dog', 'eagle', 'giraffe', 'horses', 'person'] as const;
export type SampleImage = (typeof SAMPLE_IMAGES)[number];

export interface ModelFixture {
  name: string;
  cfg: string;
  weights: string;
}

/** Models used across suites: base cfg, input size, head gain for the random weights. */
export const MODELS = {
  yolov3: { base: 'yolov3', size: 416, headGain: 2, seed: 1 },
  tiny: { base: 'yolov3-tiny', size: 416, headGain: 16, seed: 2 },
  spp: { base: 'yolov3-spp', size: 416, headGain: 2, seed: 3 },
} as const;
export type ModelName = keyof typeof MODELS;

export function cfgPath(name: ModelName): string {
  return join(CACHE, `${name}-${MODELS[name].size}.cfg`);
}
export function weightsPath(name: ModelName): string {
  return join(CACHE, `${name}.weights`);
}

export function model(name: ModelName): ModelFixture {
  return { name, cfg: cfgPath(name), weights: weightsPath(name) };
}

export async function ensureModel(name: ModelName): Promise<ModelFixture> {
  const m = MODELS[name];
  mkdirSync(CACHE, { recursive: true });
  const cfg = parseCfg(readFileSync(join(DARKNET_SHARE, 'cfg', `${m.base}.cfg`), 'utf8'));
  const net = cfg.sections[0]!;
  setOption(net, 'width', m.size);
  setOption(net, 'height', m.size);
  setOption(net, 'batch', 1);
  setOption(net, 'subdivisions', 1);
  writeFileSync(cfgPath(name), serializeCfg(cfg));
  const shape = validateCfg(cfg);
  const expected = 20 + 4 * shape.weightFloats;
  const w = weightsPath(name);
  if (!existsSync(w) || statSync(w).size !== expected) {
    await writeRandomWeights(shape, w, { seed: m.seed, headGain: m.headGain });
  }
  return model(name);
}

/** Sample image as PNG (lossless: every decoder sees the same pixels) and as raw RGB. */
export function pngPath(img: string): string {
  return join(CACHE, `${img}.png`);
}
export function rawPath(img: string): string {
  return join(CACHE, `${img}.rgb`);
}

export async function ensureImages(): Promise<void> {
  const sharp = (await import('sharp')).default;
  mkdirSync(CACHE, { recursive: true });
  for (const img of SAMPLE_IMAGES) {
    if (existsSync(pngPath(img)) && existsSync(rawPath(img))) continue;
    const { data, info } = await sharp(join(DARKNET_SHARE, 'data', `${img}.jpg`)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } }).png().toFile(pngPath(img));
    // Harness format: "w h c\n" then interleaved 8-bit pixels.
    writeFileSync(rawPath(img), Buffer.concat([Buffer.from(`${info.width} ${info.height} 3\n`), data]));
  }
}

export function readRaw(img: string): { data: Uint8Array; width: number; height: number; channels: 3 } {
  const buf = readFileSync(rawPath(img));
  const nl = buf.indexOf(10);
  const [w, h] = buf.subarray(0, nl).toString().split(' ').map(Number) as [number, number];
  return { data: new Uint8Array(buf.subarray(nl + 1)), width: w, height: h, channels: 3 };
}

export const HARNESS = join(CACHE, 'reference-harness');

export function ensureHarness(): string {
  const src = join(ROOT, 'test', 'reference', 'harness.c');
  if (!existsSync(HARNESS) || statSync(HARNESS).mtimeMs < statSync(src).mtimeMs) {
    execFileSync('cc', ['-O2', '-o', HARNESS, src, '-I/usr/lib/darknet/include', '-L/usr/lib/darknet',
      '-ldarknet', '-Wl,-rpath,/usr/lib/darknet', '-lm'], { stdio: 'inherit' });
  }
  return HARNESS;
}
