#!/usr/bin/env node
// Queue throughput (npm run bench:queue): detection jobs through darknet-node/queue on a real
// redis-server (started here on a free loopback port), with 1 and then 2 worker processes of
// one compute thread each, over the same jobs. Models: the bundled shapes model and
// yolov3-tiny-416 (random-init weights of the real size) on Debian's sample JPEGs.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { QueueEvents } from 'bullmq';
import { SHAPES_MODEL } from '../dist/index.js';
import { createDetectQueue, enqueueDetections } from '../dist/queue/index.js';
import { prepareModel, ROOT, SHARE } from './models.mjs';

const JOBS = Number(process.env.JOBS ?? 100);
const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((resolve) => createInterface({ input: redis.stdout }).on('line', (l) => { if (/Ready to accept/.test(l)) resolve(); }));
const connection = { host: '127.0.0.1', port };

function worker(queue, model) {
  const child = spawn(process.execPath, [join(ROOT, 'test', 'queue', 'worker-process.mjs'), queue, String(port), JSON.stringify(model)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => createInterface({ input: child.stdout }).on('line', (l) => { if (l === 'ready') resolve(child); }));
}

async function rate(model, images, workers) {
  const name = `bench-${workers}-${Date.now()}`;
  const queue = createDetectQueue(name, { connection });
  const events = new QueueEvents(name, { connection });
  await events.waitUntilReady();
  const ws = await Promise.all(Array.from({ length: workers }, () => worker(name, model)));
  let done = 0;
  events.on('completed', () => { done++; });
  const t = performance.now();
  await enqueueDetections(queue, Array.from({ length: JOBS }, (_, i) => images[i % images.length]));
  while (done < JOBS) await new Promise((r) => setTimeout(r, 5));
  const jobsPerSecond = JOBS / ((performance.now() - t) / 1000);
  for (const w of ws) w.kill('SIGTERM');
  await Promise.all(ws.map((w) => new Promise((r) => w.once('exit', r))));
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return jobsPerSecond;
}

const tiny = await prepareModel({ name: 'yolov3-tiny-416', base: 'yolov3-tiny', size: 416, gain: 16 });
const jpegs = ['dog', 'eagle', 'giraffe', 'horses', 'kite', 'person'].map((n) => join(SHARE, 'data', `${n}.jpg`));
const cases = [
  ['shapes model (bundled), its sample PNG', { cfg: SHAPES_MODEL.cfg, weights: SHAPES_MODEL.weights, names: SHAPES_MODEL.names }, [SHAPES_MODEL.sample]],
  ['yolov3-tiny-416, Debian sample JPEGs', { cfg: tiny.cfgPath, weights: tiny.weights }, jpegs],
];
console.log(`| model, inputs (${JOBS} jobs) | 1 worker (jobs/s) | 2 workers (jobs/s) | 2 vs 1 |`);
console.log('|---|---|---|---|');
for (const [label, model, images] of cases) {
  const one = await rate(model, images, 1);
  const two = await rate(model, images, 2);
  console.log(`| ${label} | ${one.toFixed(1)} | ${two.toFixed(1)} | ${(two / one).toFixed(2)}× |`);
}
redis.kill('SIGTERM');
