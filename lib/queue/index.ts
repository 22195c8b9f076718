/**
 * darknet-node/queue: detection workers on BullMQ (Redis), for when one process is not enough.
 * Producers enqueue image paths or URLs that the workers can reach; each worker process holds
 * one network (a DetectorPool of `concurrency` copies) and stores each job's detections on the
 * job. BullMQ provides retries with backoff, stalled-job recovery (a killed worker's job goes
 * back to the queue once its lock expires) and graceful shutdown (the job in flight finishes).
 *
 *   const queue = createDetectQueue('detect', { connection });
 *   await enqueueDetections(queue, ['/data/a.jpg', 'https://…/b.jpg']);
 *   const worker = await startDetectWorker('detect', { connection, load: { cfg, weights } });
 *   …
 *   await worker.close(); // finishes the job in flight, frees the network
 */
import { hostname } from 'node:os';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job, type JobsOptions, type WorkerOptions } from 'bullmq';
import type { DetectOptions, LoadOptions } from '../detector.js';
import type { DetectionJSON } from '../detections.js';
import { DarknetError } from '../errors.js';
import * as is from '../is.js';
import { detectOptions } from '../options.js';
import { DetectorPool } from '../pool.js';

/** What a detection job carries. */
export interface DetectJobData {
  /** a file path or file:// URL readable by the workers, or an http(s) URL they can fetch */
  image: string;
  /** detect() options (defaults: darknet detector test's) */
  options?: DetectOptions;
}

/** What a completed job holds as its return value. */
export interface DetectJobResult {
  image: string;
  detections: DetectionJSON[];
  /** milliseconds spent in detect(), image fetch included */
  ms: number;
  /** host:pid of the worker process that ran it */
  worker: string;
}

export interface EnqueueOptions {
  /** detect() options for every job */
  detect?: DetectOptions;
  /** tries before a job is failed (default 3) */
  attempts?: number;
  /** first retry delay in ms, doubling after each failure (default 1000) */
  backoffMs?: number;
  /** job ids (idempotent enqueueing: an id already in the queue is not added twice) */
  jobId?: (image: string, index: number) => string;
  /** any other BullMQ job options */
  jobOptions?: JobsOptions;
}

/** Where a worker may get images from, and how much it may take. */
export interface FetchLimits {
  /** an http(s) image must arrive whole within this many ms (default 30,000) */
  timeoutMs?: number;
  /** largest http(s) body accepted (default 64 MiB) */
  maxBytes?: number;
  /** redirects followed (default 5) */
  maxRedirects?: number;
  /** http(s) host names allowed (default: any) */
  allowedHosts?: readonly string[];
  /** directories local paths must lie in (default: any path the process can read) */
  fileRoots?: readonly string[];
}

export interface DetectWorkerOptions {
  connection: ConnectionOptions;
  /** limits on fetching the jobs' images (defaults above) */
  fetch?: FetchLimits;
  /** the network every job runs on (one load per worker process) */
  load: LoadOptions;
  /** jobs in flight in this process, each on its own copy of the network (default 1) */
  concurrency?: number;
  /** stop gracefully on SIGTERM/SIGINT (default true) */
  handleSignals?: boolean;
  /** any other BullMQ worker options (lockDuration, stalledInterval, limiter, …) */
  workerOptions?: Omit<WorkerOptions, 'connection' | 'concurrency' | 'autorun'>;
}

export interface DetectWorker {
  worker: Worker<DetectJobData, DetectJobResult>;
  pool: DetectorPool;
  /** stops taking jobs, waits for those in flight, frees the networks */
  close(): Promise<void>;
}

export function createDetectQueue(name: string, options: { connection: ConnectionOptions }): Queue<DetectJobData, DetectJobResult> {
  return new Queue<DetectJobData, DetectJobResult>(name, { connection: options.connection });
}

/** Adds one job per image (in one round trip). Returns the jobs in input order. */
export async function enqueueDetections(
  queue: Queue<DetectJobData, DetectJobResult>, images: readonly string[], opts: EnqueueOptions = {},
): Promise<Array<Job<DetectJobData, DetectJobResult>>> {
  if (!Array.isArray(images) || images.some((i) => typeof i !== 'string' || !i)) throw is.invalid('images', 'an array of non-empty paths or URLs');
  // refused here, once, rather than by every job on a worker
  if (opts.detect !== undefined) detectOptions(opts.detect);
  const base: JobsOptions = {
    attempts: opts.attempts ?? 3,
    backoff: { type: 'exponential', delay: opts.backoffMs ?? 1000 },
    removeOnComplete: false,
    removeOnFail: false,
    ...opts.jobOptions,
  };
  return queue.addBulk(images.map((image, i) => ({
    name: 'detect',
    data: { image, ...(opts.detect ? { options: opts.detect } : {}) },
    opts: { ...base, ...(opts.jobId ? { jobId: opts.jobId(image, i) } : {}) },
  })));
}

interface ResolvedLimits {
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  allowedHosts: readonly string[] | undefined;
  fileRoots: readonly string[] | undefined;
}

const positive = (v: unknown, name: string, fallback: number, min = 1): number => is.optional(v, (x) => is.integer(`fetch.${name}`, x, min)) ?? fallback;
const strings = (v: unknown, name: string): readonly string[] | undefined => is.optional(v, (x) => is.stringArray(`fetch.${name}`, x, true));

function resolveLimits(o: FetchLimits = {}): ResolvedLimits {
  return {
    timeoutMs: positive(o.timeoutMs, 'timeoutMs', 30_000),
    maxBytes: positive(o.maxBytes, 'maxBytes', 64 * 2 ** 20),
    maxRedirects: positive(o.maxRedirects, 'maxRedirects', 5, 0),
    allowedHosts: strings(o.allowedHosts, 'allowedHosts')?.map((h) => h.toLowerCase()),
    fileRoots: strings(o.fileRoots, 'fileRoots')?.map((r) => resolve(r)),
  };
}

/** A job whose data can never succeed: failed at once, without BullMQ's retries. */
function permanent(message: string): UnrecoverableError {
  return new UnrecoverableError(`BAD_INPUT: ${message}`);
}

function checkJobData(data: unknown): DetectJobData {
  const d = data as Partial<DetectJobData> | null;
  if (typeof d !== 'object' || d === null) throw permanent('job data must be an object { image, options? }');
  if (typeof d.image !== 'string' || !d.image) throw permanent('job data.image must be a non-empty path or URL');
  if (d.options !== undefined && (typeof d.options !== 'object' || d.options === null)) throw permanent('job data.options must be an object');
  return d as DetectJobData;
}

/** http(s) bytes within the limits: time, size, redirects, hosts. */
async function fetchImage(url: string, limits: ResolvedLimits, stop: AbortSignal): Promise<Uint8Array> {
  const signal = AbortSignal.any([stop, AbortSignal.timeout(limits.timeoutMs)]);
  const fail = (why: string, cause?: unknown) => new DarknetError('EIO', `fetching ${url}: ${why}`, cause === undefined ? {} : { cause });
  let current = url;
  try {
    for (let hop = 0; ; hop++) {
      const u = new URL(current);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw permanent(`${current}: only http(s) URLs are fetched`);
      if (limits.allowedHosts && !limits.allowedHosts.includes(u.hostname.toLowerCase())) throw permanent(`host ${u.hostname} is not in fetch.allowedHosts`);
      const res = await fetch(current, { signal, redirect: 'manual' });
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        await res.body?.cancel();
        if (hop >= limits.maxRedirects) throw fail(`more than ${limits.maxRedirects} redirects`);
        current = new URL(res.headers.get('location')!, current).href;
        continue;
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw fail(`HTTP ${res.status}`);
      }
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (declared > limits.maxBytes) {
        await res.body?.cancel();
        throw fail(`${declared} bytes is over fetch.maxBytes (${limits.maxBytes})`);
      }
      const chunks: Uint8Array[] = [];
      let total = 0;
      for await (const chunk of res.body ?? []) {
        total += (chunk as Uint8Array).length;
        if (total > limits.maxBytes) throw fail(`the body is over fetch.maxBytes (${limits.maxBytes})`);
        chunks.push(chunk as Uint8Array);
      }
      return Buffer.concat(chunks);
    }
  } catch (e) {
    if (e instanceof DarknetError || e instanceof UnrecoverableError) throw e;
    if (stop.aborted) throw fail('the worker is closing', e);
    if (signal.aborted) throw fail(`no complete answer within ${limits.timeoutMs} ms`, e);
    throw fail((e as Error)?.message ?? String(e), e);
  }
}

/** A path or file:// URL as is (inside fetch.fileRoots when set); http(s) fetched into memory. */
async function resolveImage(image: string, limits: ResolvedLimits, stop: AbortSignal): Promise<string | Uint8Array> {
  if (/^https?:\/\//i.test(image)) return fetchImage(image, limits, stop);
  let path: string;
  try {
    path = image.startsWith('file://') ? fileURLToPath(image) : image;
  } catch (e) {
    throw permanent(`${image}: ${(e as Error).message}`);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) throw permanent(`${image}: only paths, file:// and http(s) URLs are accepted`);
  if (limits.fileRoots) {
    const abs = resolve(path);
    const inside = limits.fileRoots.some((root) => { const r = relative(root, abs); return r === '' || (!r.startsWith('..') && !isAbsolute(r)); });
    if (!inside) throw permanent(`${image} is outside fetch.fileRoots`);
  }
  return path;
}

/** Loads the network, then starts taking jobs from `queueName`. */
export async function startDetectWorker(queueName: string, options: DetectWorkerOptions): Promise<DetectWorker> {
  is.object(options);
  const concurrency = is.integer('concurrency', options.concurrency ?? 1, 1);
  const limits = resolveLimits(options.fetch);
  const pool = await DetectorPool.load({ ...options.load, instances: concurrency });
  const me = `${hostname()}:${process.pid}`;
  // closing aborts the fetches in flight: a stalled server cannot hold a shutdown
  const stopping = new AbortController();
  const worker = new Worker<DetectJobData, DetectJobResult>(queueName, async (job) => {
    const t = performance.now();
    const data = checkJobData(job.data);
    try {
      const detections = await pool.detect(await resolveImage(data.image, limits, stopping.signal), data.options);
      return { image: data.image, detections: detections.map((d) => d.toJSON()), ms: performance.now() - t, worker: me };
    } catch (e) {
      // bad options or an image that is not one: the same on every try
      if (e instanceof DarknetError && (e.code === 'BAD_INPUT' || e.code === 'IMAGE_DECODE')) throw new UnrecoverableError(`${e.code}: ${e.message}`);
      throw e;
    }
  }, { ...options.workerOptions, connection: options.connection, concurrency, autorun: true });

  let closing: Promise<void> | undefined;
  const close = () => (closing ??= (async () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    stopping.abort();
    try {
      await worker.close(); // waits for the jobs in flight
    } finally {
      await pool[Symbol.asyncDispose]();
    }
  })());
  const onSignal = () => { void close(); };
  if (options.handleSignals ?? true) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  try {
    await worker.waitUntilReady();
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
  return { worker, pool, close };
}
