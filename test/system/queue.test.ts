/**
 * darknet-node/queue on a real Redis (Debian's redis-server, started here on a free loopback
 * port unless REDIS_URL names one): 2 worker processes over 200 jobs, one killed mid-run with
 * SIGKILL. Every job completes exactly once, none is lost, results equal in-process detection;
 * a SIGTERM'd worker finishes its job in flight. Throughput: bench/queue.mjs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import { createDetectQueue, enqueueDetections, startDetectWorker, type DetectJobResult } from '../../lib/queue/index.js';
import { CACHE, ROOT } from '../helpers/fixtures.js';

const REDIS = '/usr/bin/redis-server';
const MODEL = { cfg: join(ROOT, 'models', 'shapes', 'shapes.cfg'), weights: join(ROOT, 'models', 'shapes', 'shapes.weights'), names: join(ROOT, 'models', 'shapes', 'shapes.names') };
const IMAGES = [join(ROOT, 'models', 'shapes', 'sample.png'), ...['dog', 'eagle', 'giraffe', 'horses', 'person'].map((n) => join(CACHE, `${n}.png`))];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

let redis: ChildProcess | undefined;
let port: number;
const workers: ChildProcess[] = [];

function startWorker(queue: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'test', 'queue', 'worker-process.mjs'), queue, String(port), JSON.stringify(MODEL)], { stdio: ['ignore', 'pipe', 'inherit'] });
  workers.push(child);
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (l) => { if (l === 'ready') resolve(child); });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
  });
}

const exited = (c: ChildProcess) => new Promise<number | null>((r) => { if (c.exitCode !== null || c.signalCode) r(c.exitCode); else c.once('exit', (code) => r(code)); });

beforeAll(async () => {
  if (process.env.REDIS_URL) {
    port = Number(new URL(process.env.REDIS_URL).port || 6379);
    return;
  }
  expect(existsSync(REDIS), 'redis-server is needed (Debian package redis-server; .ci/run installs it)').toBe(true);
  port = await freePort();
  redis = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => {
    createInterface({ input: redis!.stdout! }).on('line', (l) => { if (/Ready to accept connections/i.test(l)) resolve(); });
  });
}, 30_000);

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null && !w.signalCode) w.kill('SIGKILL');
  redis?.kill('SIGTERM');
  if (redis) await exited(redis);
});

describe('BullMQ detection workers', () => {
  it('2 workers, 200 jobs, one killed mid-run: each job completes exactly once with in-process results', async () => {
    const name = `detect-${Date.now()}`;
    const connection = { host: '127.0.0.1', port };
    const queue = createDetectQueue(name, { connection });
    const events = new QueueEvents(name, { connection });
    await events.waitUntilReady();
    const completions = new Map<string, number>();
    events.on('completed', ({ jobId }) => completions.set(jobId, (completions.get(jobId) ?? 0) + 1));
    try {
      // expected results, in this process
      const det = await Detector.load(MODEL);
      const expected = new Map<string, unknown>();
      for (const im of IMAGES) expected.set(im, JSON.parse(JSON.stringify(await det.detect(im))));
      det.dispose();

      const [a, b] = await Promise.all([startWorker(name), startWorker(name)]);
      let doneByA = 0;
      createInterface({ input: a.stdout! }).on('line', (l) => { if (l.startsWith('done ')) doneByA++; });
      const images = Array.from({ length: 200 }, (_, i) => IMAGES[i % IMAGES.length]!);
      const jobs = await enqueueDetections(queue, images, { jobId: (_, i) => `job-${i}` });
      expect(jobs).toHaveLength(200);
      // kill worker A (no chance to clean up) once it has done some work
      while (doneByA < 20) await new Promise((r) => setTimeout(r, 20));
      a.kill('SIGKILL');
      await exited(a);
      const deadline = Date.now() + 120_000;
      while (completions.size < 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(completions.size).toBe(200);
      await new Promise((r) => setTimeout(r, 500)); // a duplicate completion would show up here
      expect([...completions.values()].every((n) => n === 1)).toBe(true);
      const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed');
      expect(counts).toMatchObject({ completed: 200, failed: 0, waiting: 0, active: 0, delayed: 0 });
      const workersSeen = new Set<string>();
      for (let i = 0; i < 200; i++) {
        const job = await queue.getJob(`job-${i}`);
        const r = job!.returnvalue as DetectJobResult;
        expect(r.image).toBe(images[i]);
        expect(r.detections).toEqual(expected.get(images[i]!));
        workersSeen.add(r.worker);
      }
      expect(workersSeen.size).toBe(2); // both took part before A was killed
      console.log(`200 jobs: ${doneByA}+ by the killed worker, the rest by the other; every job completed once`);
      b.kill('SIGTERM');
      await exited(b);
    } finally {
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  }, 180_000);

  it('SIGTERM finishes the job in flight before the worker exits', async () => {
    const name = `drain-${Date.now()}`;
    const connection = { host: '127.0.0.1', port };
    const queue = createDetectQueue(name, { connection });
    try {
      const w = await startWorker(name);
      const out: string[] = [];
      createInterface({ input: w.stdout! }).on('line', (l) => out.push(l));
      await enqueueDetections(queue, Array.from({ length: 40 }, () => IMAGES[1]!));
      while (!out.some((l) => l.startsWith('done '))) await new Promise((r) => setTimeout(r, 10));
      w.kill('SIGTERM');
      expect(await exited(w)).toBe(0);
      expect(out.at(-1)).toBe('closed');
      const counts = await queue.getJobCounts('completed', 'active', 'failed');
      expect(counts.active).toBe(0); // nothing left half-done
      expect(counts.failed).toBe(0);
      expect(counts.completed).toBe(out.filter((l) => l.startsWith('done ')).length);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  }, 60_000);

  it('fetch limits, bad job data and permanent failures: no job hangs, none is retried in vain, close() does not wait for a stalled server', async () => {
    const png = readFileSync(IMAGES[0]!);
    const http: Server = createHttpServer((req, res) => {
      if (req.url === '/ok') { res.writeHead(200, { 'content-type': 'image/png' }); res.end(png); return; }
      if (req.url === '/stall') { res.writeHead(200, { 'content-type': 'image/png' }); res.write(png.subarray(0, 100)); return; } // headers, then nothing
      if (req.url === '/silent') return; // never answers
      if (req.url === '/big') { res.writeHead(200); let n = 0; const chunk = Buffer.alloc(256 * 1024); const send = () => { while (n < 16 && res.write(chunk)) n++; if (n < 16) res.once('drain', send); else res.end(); }; send(); return; }
      if (req.url === '/loop') { res.writeHead(302, { location: '/loop' }); res.end(); return; }
      res.writeHead(404); res.end();
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    const name = `limits-${Date.now()}`;
    const connection = { host: '127.0.0.1', port };
    const queue = createDetectQueue(name, { connection });
    const w = await startDetectWorker(name, { connection, load: MODEL, concurrency: 2, handleSignals: false, fetch: { timeoutMs: 800, maxBytes: 1 << 20, maxRedirects: 3 } });
    try {
      const retry = { attempts: 2, backoff: { type: 'fixed', delay: 10 } };
      const jobs = await queue.addBulk([
        ...['ok', 'stall', 'silent', 'big', 'loop'].map((k) => ({ name: 'detect', data: { image: `${base}/${k}` }, opts: { ...retry, jobId: k } })),
        { name: 'detect', data: { image: 42 } as never, opts: { ...retry, jobId: 'not-a-string' } },
        { name: 'detect', data: { image: `${base}/ok`, options: { thresh: 7 } }, opts: { ...retry, jobId: 'bad-option' } },
        { name: 'detect', data: { image: 'gopher://x/y' }, opts: { ...retry, jobId: 'bad-scheme' } },
      ]);
      const deadline = Date.now() + 60_000;
      const states = async () => Promise.all(jobs.map(async (j) => [j.id!, await queue.getJobState(j.id!)] as const));
      while ((await states()).some(([, st]) => st !== 'completed' && st !== 'failed') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const byId = new Map<string, { state: string; reason: string; attempts: number }>();
      for (const j of jobs) {
        const f = (await queue.getJob(j.id!))!;
        byId.set(j.id!, { state: await f.getState(), reason: f.failedReason ?? '', attempts: f.attemptsMade });
      }
      console.log(JSON.stringify(Object.fromEntries(byId)));
      expect(byId.get('ok')!.state).toBe('completed');
      for (const [id, why] of [['stall', /no complete answer within 800 ms/], ['silent', /no complete answer within 800 ms/], ['big', /over fetch\.maxBytes/], ['loop', /more than 3 redirects/]] as const) {
        expect(byId.get(id), id).toMatchObject({ state: 'failed', attempts: 2 }); // retryable: the server may recover
        expect(byId.get(id)!.reason).toMatch(why);
      }
      for (const id of ['not-a-string', 'bad-option', 'bad-scheme']) {
        expect(byId.get(id), id).toMatchObject({ state: 'failed', attempts: 1 }); // never retried
        expect(byId.get(id)!.reason).toMatch(/^BAD_INPUT/);
      }
      // close() during a fetch from a server that never answers returns at once
      await w.close();
      const slow = await startDetectWorker(name, { connection, load: MODEL, handleSignals: false, fetch: { timeoutMs: 120_000 } });
      await queue.add('detect', { image: `${base}/silent` }, { jobId: 'closing' });
      while ((await queue.getJobState('closing')) !== 'active') await new Promise((r) => setTimeout(r, 20));
      const t = performance.now();
      await slow.close();
      expect(performance.now() - t).toBeLessThan(5000);
    } finally {
      await w.close();
      http.closeAllConnections();
      http.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  }, 120_000);
});
