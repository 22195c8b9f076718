/**
 * The models a user can name: the shapes model trained here and shipped whole, and Darknet's
 * YOLOv2/YOLOv3 family, whose cfgs and class names ship in models/darknet and whose original
 * weights are downloaded on request (models get, Detector.load({ model })) into a cache folder.
 */
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { downloadFile } from './download.js';
import { DarknetError } from './errors.js';
import { PACKAGE_ROOT } from './native.js';
import { readWeightsHeader } from './weights.js';

/**
 * The model shipped in the package (models/shapes): a 2-head tiny YOLOv3 trained here on
 * synthetic shapes (circle, square, triangle, cross, star; AP50 0.955 on its held-out split).
 * Paths to hand to `Detector.load`; `sample` is an image it detects well.
 */
export const SHAPES_MODEL = Object.freeze({
  cfg: join(PACKAGE_ROOT, 'models', 'shapes', 'shapes.cfg'),
  weights: join(PACKAGE_ROOT, 'models', 'shapes', 'shapes.weights'),
  names: join(PACKAGE_ROOT, 'models', 'shapes', 'shapes.names'),
  sample: join(PACKAGE_ROOT, 'models', 'shapes', 'sample.png'),
});

/** One of Darknet's published detectors. */
export interface ModelInfo {
  name: string;
  description: string;
  /** the .names file in models/darknet */
  namesFile: 'coco.names' | 'voc.names' | 'openimages.names';
  classes: number;
  /** exact size of the published .weights: the header + 4 bytes per parameter of the shipped cfg */
  bytes: number;
  /** the published file's header: 20 bytes (version 0.2, 2017 on) or 16 (version 0.1: yolov2, yolov2-tiny-voc) */
  headerBytes: 16 | 20;
  /**
   * sha256 of the published file where a trustworthy published value exists. pjreddie.com
   * publishes none, so these are null: the hash is recorded on first download and checked after.
   */
  sha256: string | null;
}

const MODEL_LIST: readonly ModelInfo[] = [
  { name: 'yolov3', description: 'YOLOv3-416/608, COCO (80 classes)', namesFile: 'coco.names', classes: 80, bytes: 248_007_048, headerBytes: 20, sha256: null },
  { name: 'yolov3-tiny', description: 'YOLOv3-tiny, COCO (80 classes)', namesFile: 'coco.names', classes: 80, bytes: 35_434_956, headerBytes: 20, sha256: null },
  { name: 'yolov3-spp', description: 'YOLOv3-SPP, COCO (80 classes)', namesFile: 'coco.names', classes: 80, bytes: 252_209_544, headerBytes: 20, sha256: null },
  { name: 'yolov3-openimages', description: 'YOLOv3, Open Images (601 classes)', namesFile: 'openimages.names', classes: 601, bytes: 259_229_388, headerBytes: 20, sha256: null },
  { name: 'yolov2', description: 'YOLOv2-608, COCO (80 classes)', namesFile: 'coco.names', classes: 80, bytes: 203_934_260, headerBytes: 16, sha256: null },
  { name: 'yolov2-tiny', description: 'YOLOv2-tiny, COCO (80 classes)', namesFile: 'coco.names', classes: 80, bytes: 44_948_600, headerBytes: 20, sha256: null },
  { name: 'yolov2-voc', description: 'YOLOv2-416, Pascal VOC (20 classes)', namesFile: 'voc.names', classes: 20, bytes: 202_704_264, headerBytes: 20, sha256: null },
  { name: 'yolov2-tiny-voc', description: 'YOLOv2-tiny, Pascal VOC (20 classes)', namesFile: 'voc.names', classes: 20, bytes: 63_471_556, headerBytes: 16, sha256: null },
];

/** Darknet's published detectors by name. */
export const MODELS: Readonly<Record<string, Readonly<ModelInfo>>> = Object.freeze(Object.fromEntries(MODEL_LIST.map((m) => [m.name, Object.freeze({ ...m })])));

/** Where weights are published; DARKNET_NODE_MODEL_BASE_URL (or `baseUrl`) points elsewhere: a mirror, a test server. */
export const DEFAULT_BASE_URL = 'https://pjreddie.com/media/files/';

export interface ModelCacheOptions {
  /** where downloaded weights live (default: $DARKNET_NODE_CACHE, else $XDG_CACHE_HOME/darknet-node, else ~/.cache/darknet-node) */
  cacheDir?: string;
}

export interface GetModelOptions extends ModelCacheOptions {
  /** base URL of the weights (default: $DARKNET_NODE_MODEL_BASE_URL, else https://pjreddie.com/media/files/) */
  baseUrl?: string;
  /** download progress: bytes so far (a resumed transfer starts above 0), total */
  onProgress?: (received: number, total: number) => void;
  signal?: AbortSignal;
  /** milliseconds without data before a transfer is given up, its .part kept (default 60,000) */
  idleTimeoutMs?: number;
}

/** What `Detector.load` takes for a named model. */
export interface ModelFiles {
  cfg: string;
  weights: string;
  names: string;
}

export function modelCacheDir(o: ModelCacheOptions = {}): string {
  if (o.cacheDir !== undefined) {
    if (typeof o.cacheDir !== 'string' || !o.cacheDir) throw new DarknetError('BAD_INPUT', 'cacheDir must be a folder path');
    return o.cacheDir;
  }
  const env = process.env;
  if (env.DARKNET_NODE_CACHE) return env.DARKNET_NODE_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'darknet-node');
}

function info(name: unknown): ModelInfo {
  if (typeof name !== 'string') throw new DarknetError('BAD_INPUT', `model must be a model name (${knownNames()}), got ${typeof name}`);
  const m = MODELS[name];
  if (!m || !Object.hasOwn(MODELS, name)) throw new DarknetError('BAD_INPUT', `unknown model "${name}" (known: ${knownNames()})`);
  return m;
}
const knownNames = () => ['shapes', ...Object.keys(MODELS)].join(', ');

const darknetFile = (f: string) => join(PACKAGE_ROOT, 'models', 'darknet', f);

/** The record of a download: the file's sha256, and the size and mtime it had when hashed. */
interface Record_ { sha256: string; bytes: number; mtimeMs: number }
const recordPath = (weights: string) => `${weights}.sha256.json`;

async function readRecord(weights: string): Promise<Record_ | undefined> {
  try {
    return JSON.parse(await readFile(recordPath(weights), 'utf8')) as Record_;
  } catch {
    return undefined;
  }
}

async function writeRecord(weights: string, sha256: string): Promise<void> {
  const s = await stat(weights);
  const tmp = `${recordPath(weights)}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ sha256, bytes: s.size, mtimeMs: s.mtimeMs })}\n`);
  await rename(tmp, recordPath(weights));
}

async function sha256Of(path: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  const { createReadStream } = await import('node:fs');
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

/** Size and header of a (complete) weights file: always checked, before and after a download. */
async function checkFile(m: ModelInfo, path: string): Promise<void> {
  const size = (await stat(path)).size;
  if (size !== m.bytes) throw new DarknetError('WEIGHTS_SIZE', `${size.toLocaleString('en-US')} bytes, but ${m.name}.weights has ${m.bytes.toLocaleString('en-US')}`, { file: path });
  const h = await readWeightsHeader(path);
  if (h.headerBytes !== m.headerBytes || h.major !== 0 || h.transpose) {
    throw new DarknetError('WEIGHTS_HEADER', `header version ${h.major}.${h.minor}.${h.revision}: not Darknet's published ${m.name}.weights (a ${m.headerBytes}-byte header, version 0.${m.headerBytes === 20 ? 2 : 1})`, { file: path });
  }
}

function checkHash(m: ModelInfo, path: string, sha256: string, recorded: string | undefined): void {
  const want = m.sha256 ?? recorded;
  if (want && want !== sha256) {
    throw new DarknetError('WEIGHTS_HASH', `sha256 ${sha256}, expected ${want} (${m.sha256 ? 'published' : 'recorded when it was first downloaded'}): the file changed or is not ${m.name}.weights (delete it and ${recordPath(path.replace(/\.part$/, ''))} to accept another file)`, { file: path });
  }
}

/**
 * Checks a cached weights file: size and header, and its sha256 against the published or
 * recorded value whenever the file changed since it was last hashed (a yolov3 hash costs ~1 s,
 * not paid on every load of an untouched file).
 */
async function verifyCached(m: ModelInfo, path: string, rehash = false): Promise<void> {
  await checkFile(m, path);
  const rec = await readRecord(path);
  const s = await stat(path);
  if (!rehash && rec && rec.bytes === s.size && rec.mtimeMs === s.mtimeMs && (!m.sha256 || rec.sha256 === m.sha256)) return;
  const sha = await sha256Of(path);
  checkHash(m, path, sha, rec?.sha256);
  await writeRecord(path, sha);
}

export interface CachedModel extends ModelInfo {
  /** where its weights are (or go) */
  weights: string;
  cached: boolean;
  /** bytes of an interrupted download waiting to be resumed */
  partial: number;
}

/** Every known model with its cache state. */
export async function listModels(o: ModelCacheOptions = {}): Promise<CachedModel[]> {
  const dir = modelCacheDir(o);
  const files = new Set(await readdir(dir).catch(() => [] as string[]));
  return Promise.all(MODEL_LIST.map(async (m) => {
    const weights = join(dir, `${m.name}.weights`);
    const partial = files.has(`${m.name}.weights.part`) ? (await stat(`${weights}.part`)).size : 0;
    return { ...m, weights, cached: files.has(`${m.name}.weights`), partial };
  }));
}

/**
 * The files of a named model, its weights downloaded first when they are not cached (resuming an
 * interrupted transfer), and checked: exact size and header always, sha256 as verifyCached says.
 * `shapes` is the bundled model (nothing downloaded).
 */
export function getModel(name: string, o: GetModelOptions = {}): Promise<ModelFiles & { downloaded: boolean }> {
  // one transfer per file in this process (a DetectorPool loads N copies at once)
  let key: string;
  try {
    key = `${String(name)}\0${modelCacheDir(o)}`;
  } catch (e) {
    return Promise.reject(e);
  }
  let p = inProcess.get(key);
  if (!p) {
    p = getModelOnce(name, o).finally(() => inProcess.delete(key));
    inProcess.set(key, p);
  }
  return p;
}
const inProcess = new Map<string, Promise<ModelFiles & { downloaded: boolean }>>();

async function getModelOnce(name: string, o: GetModelOptions): Promise<ModelFiles & { downloaded: boolean }> {
  if (name === 'shapes') return { cfg: SHAPES_MODEL.cfg, weights: SHAPES_MODEL.weights, names: SHAPES_MODEL.names, downloaded: false };
  const m = info(name);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw new DarknetError('BAD_INPUT', 'onProgress must be a function');
  if (o.idleTimeoutMs !== undefined && (!Number.isInteger(o.idleTimeoutMs) || o.idleTimeoutMs < 1)) throw new DarknetError('BAD_INPUT', 'idleTimeoutMs must be a positive integer');
  const dir = modelCacheDir(o);
  const weights = join(dir, `${m.name}.weights`);
  const files = { cfg: darknetFile(`${m.name}.cfg`), weights, names: darknetFile(m.namesFile) };
  if (await stat(weights).then((s) => s.isFile(), () => false)) {
    await verifyCached(m, weights);
    return { ...files, downloaded: false };
  }
  const base = o.baseUrl ?? (process.env.DARKNET_NODE_MODEL_BASE_URL || DEFAULT_BASE_URL);
  const url = new URL(`${m.name}.weights`, base.endsWith('/') ? base : `${base}/`).href;
  await mkdir(dir, { recursive: true });
  const rec = await readRecord(weights);
  const { sha256 } = await downloadFile(url, weights, {
    bytes: m.bytes,
    idleTimeoutMs: o.idleTimeoutMs ?? 60_000,
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    verify: async (part, sha) => {
      await checkFile(m, part);
      checkHash(m, part, sha, rec?.sha256);
    },
  });
  await writeRecord(weights, sha256);
  return { ...files, downloaded: true };
}

/** Re-hashes a cached model's weights against the published or recorded sha256. */
export async function verifyModel(name: string, o: ModelCacheOptions = {}): Promise<string> {
  const m = info(name);
  const weights = join(modelCacheDir(o), `${m.name}.weights`);
  await verifyCached(m, weights, true);
  return weights;
}
