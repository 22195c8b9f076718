// A detection worker process for queue.test.ts: argv = queueName, redisPort, model JSON.
// Prints "ready" once the network is loaded and the worker is listening.
import { startDetectWorker } from '../../dist/queue/index.js';

const [queueName, port, model] = process.argv.slice(2);
const w = await startDetectWorker(queueName, {
  connection: { host: '127.0.0.1', port: Number(port) },
  load: { ...JSON.parse(model), threads: 1 },
  concurrency: 1,
  // short locks so that a killed worker's job is recovered within seconds, not 30 s
  workerOptions: { lockDuration: 4000, stalledInterval: 2000, maxStalledCount: 2 },
});
w.worker.on('completed', (job) => process.stdout.write(`done ${job.id}\n`));
process.on('SIGTERM', () => { w.close().then(() => { process.stdout.write('closed\n'); process.exit(0); }); });
process.stdout.write('ready\n');
