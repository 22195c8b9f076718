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
import { fileURLToPath } from 'node:url';
import { Queue, Worker, type ConnectionOptions, type Job, type JobsOptions, type WorkerOptions } from 'bullmq';
import type { DetectOptions, LoadOptions } from '../detector.js';
import type { DetectionJSON } from '../detections.js';
import { DarknetError } from '../errors.js';
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

export interface DetectWorkerOptions {
  connection: ConnectionOptions;
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
  if (!Array.isArray(images) || images.some((i) => typeof i !== 'string' || !i)) {
    throw new DarknetError('BAD_INPUT', 'images must be an array of non-empty paths or URLs');
  }
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

/** A path or file:// URL as is; http(s) fetched into memory. */
async function resolveImage(image: string): Promise<string | Uint8Array> {
  if (image.startsWith('file://')) return fileURLToPath(image);
  if (/^https?:\/\//i.test(image)) {
    const res = await fetch(image);
    if (!res.ok) throw new DarknetError('EIO', `fetching ${image}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  return image;
}

/** Loads the network, then starts taking jobs from `queueName`. */
export async function startDetectWorker(queueName: string, options: DetectWorkerOptions): Promise<DetectWorker> {
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new DarknetError('BAD_INPUT', 'concurrency must be a positive integer');
  const pool = await DetectorPool.load({ ...options.load, instances: concurrency });
  const me = `${hostname()}:${process.pid}`;
  const worker = new Worker<DetectJobData, DetectJobResult>(queueName, async (job) => {
    const t = performance.now();
    const detections = await pool.detect(await resolveImage(job.data.image), job.data.options);
    return { image: job.data.image, detections: detections.map((d) => d.toJSON()), ms: performance.now() - t, worker: me };
  }, { ...options.workerOptions, connection: options.connection, concurrency, autorun: true });

  let closing: Promise<void> | undefined;
  const close = () => (closing ??= (async () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await worker.close(); // waits for the jobs in flight
    await pool[Symbol.asyncDispose]();
  })());
  const onSignal = () => { void close(); };
  if (options.handleSignals ?? true) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  await worker.waitUntilReady();
  return { worker, pool, close };
}
