/**
 * The option rules of the network products, each written once: what load, detect and classify
 * accept (threads, device, input size, batch, thresholds, preprocessing, pixel limits). The
 * native bridge trusts these and only converts types; the checks are lib/is.ts's.
 */
import { availableParallelism, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Preprocess } from './geometry.js';
import * as is from './is.js';

export type Numerics = 'fast' | 'reference';

/**
 * More compute threads than this only oversubscribe the cores, and past what the OS grants,
 * OpenMP (libgomp) ends the process when it cannot create them: capped well before that.
 */
export const MAX_THREADS = Math.max(4, 4 * availableParallelism());

/** Compute threads per forward pass: 0 = all cores. */
export function threads(v: unknown): number {
  return is.integer('threads', v, 0, MAX_THREADS, ' (0 = all cores; at most 4 per core)');
}

/** The CUDA device index a `device` option names, -1 for the CPU (whether it exists is load's check). */
export function deviceIndex(device: unknown): number {
  if (device === undefined || device === 'cpu') return -1;
  const index = device === 'gpu' ? 0 : device;
  if (!is.isIntegerIn(index, 0, 1024)) throw is.invalid('device', "'cpu', 'gpu' or a CUDA device index", device);
  return index;
}

/** A network input side overriding the cfg's: Darknet's detectors downsample by 32. */
export function side(name: 'width' | 'height', v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (!is.isIntegerIn(v, 32, 8192) || v % 32 !== 0) throw is.invalid(name, 'a multiple of 32 in [32, 8192]', v);
  return v;
}

export const batch = (v: unknown): number => is.integer('batch', v, 1, 1024);

export function numerics(v: unknown, training: boolean, device: number): Numerics {
  const n = v === undefined ? (training || device >= 0 ? 'reference' : 'fast') : is.oneOf('numerics', v, ['fast', 'reference'] as const);
  if (n === 'fast' && training) throw is.badInput("numerics: 'fast' folds batch-norm into the weights and cannot be combined with training: true");
  if (n === 'fast' && device >= 0) throw is.badInput("numerics: 'fast' is for the CPU; GPU networks run Darknet's CUDA kernels");
  return n;
}

/**
 * The compiled-weights cache directory a `cache` option names, or null for none: a directory
 * path, `true`/undefined for the default, `false` to disable. The default is
 * $DARKNET_NODE_WEIGHTS_CACHE (a directory, or `off`), else $XDG_CACHE_HOME/darknet-node/compiled,
 * else ~/.cache/darknet-node/compiled.
 */
export function weightsCache(v: unknown, env: Record<string, string | undefined> = process.env): string | null {
  if (v === false) return null;
  if (typeof v === 'string') {
    if (!v || v.includes('\0')) throw is.invalid('cache', 'a directory path or a boolean', v);
    return resolve(v);
  }
  if (v !== undefined && v !== true) throw is.invalid('cache', 'a directory path or a boolean', v);
  const override = env.DARKNET_NODE_WEIGHTS_CACHE;
  if (override === 'off' || override === '0') return null;
  if (override) return resolve(override);
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'darknet-node', 'compiled');
}

/** 4 GiB: sixteen yolov3 networks' compiled weights */
export const DEFAULT_CACHE_LIMIT = 4 * 1024 ** 3;

/**
 * The compiled-weights cache's size limit in bytes: $DARKNET_NODE_WEIGHTS_CACHE_LIMIT ("4G",
 * "500M", "800000000"; K, M, G are powers of 1024), else DEFAULT_CACHE_LIMIT.
 */
export function weightsCacheLimit(env: Record<string, string | undefined> = process.env): number {
  const v = env.DARKNET_NODE_WEIGHTS_CACHE_LIMIT;
  if (v === undefined || v === '') return DEFAULT_CACHE_LIMIT;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*$/i.exec(v);
  if (!m) throw is.invalid('DARKNET_NODE_WEIGHTS_CACHE_LIMIT', 'a size such as 4G, 500M or a number of bytes', v);
  return Math.floor(Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase()));
}

export function maxBytes(v: unknown): number | undefined {
  return is.optional(v, (x) => is.number('maxBytes', x, 0, Infinity, { lo: true }, ' of bytes'));
}

/** Refuse images with more pixels than this (see DEFAULT_MAX_PIXELS in input.ts). */
export function maxPixels(v: unknown): number | undefined {
  return is.optional(v, (x) => is.integer('maxPixels', x, 1));
}

/** A probability or IoU threshold. */
export const unit = (name: string, v: unknown): number => is.number(name, v, 0, 1);

export interface DetectSettings {
  thresh: number;
  hier: number;
  nms: number;
  letterbox: boolean;
  maxPixels: number | undefined;
}

const DETECT_DEFAULTS = { thresh: 0.5, hierThresh: 0.5, nms: 0.45, letterbox: true } as const;

/** Detector.detect's options (also a video stream's and a pool's: they detect through it). */
export function detectOptions(options: unknown): DetectSettings {
  const o = is.object(options) as Record<string, unknown>;
  const pick = (v: unknown, d: unknown) => (v === undefined ? d : v);
  return {
    thresh: unit('thresh', pick(o.thresh, DETECT_DEFAULTS.thresh)),
    hier: unit('hierThresh', pick(o.hierThresh, DETECT_DEFAULTS.hierThresh)),
    nms: unit('nms', pick(o.nms, DETECT_DEFAULTS.nms)),
    letterbox: is.boolean('letterbox', pick(o.letterbox, DETECT_DEFAULTS.letterbox)),
    maxPixels: maxPixels(o.maxPixels),
  };
}

export const PREPROCESS: readonly Preprocess[] = ['letterbox', 'crop', 'resize'];

export interface ClassifySettings {
  top: number;
  prep: Preprocess;
  maxPixels: number | undefined;
}

/** Classifier.classify's options; `outputs` caps `top` at the network's classes. */
export function classifyOptions(options: unknown, outputs: number): ClassifySettings {
  const o = is.object(options) as Record<string, unknown>;
  const top = is.integer('top', o.top ?? 5, 1);
  return { top: Math.min(top, outputs), prep: is.oneOf('preprocess', o.preprocess ?? 'letterbox', PREPROCESS), maxPixels: maxPixels(o.maxPixels) };
}
