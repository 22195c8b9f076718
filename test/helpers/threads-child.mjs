// For threads.test.ts: in a process whose environment the test chose (OpenBLAS reads
// OPENBLAS_CORETYPE once, when the addon loads), detect with each thread count and print one JSON
// line: the BLAS in use, oneDNN if loaded, and, per model, a digest of the raw head outputs and detections per
// thread count. argv: a JSON list of { name, cfg, weights }, a JSON list of image paths, then a
// JSON list of thread counts.
import { createHash } from 'node:crypto';
import { Detector, capabilities } from '../../dist/index.js';

const [models, images, threadCounts] = process.argv.slice(2).map((a) => JSON.parse(a));
const out = { blas: capabilities().blas, dnnl: capabilities().dnnl ?? null, models: {} };
for (const m of models) {
  const d = await Detector.load({ cfg: m.cfg, weights: m.weights, threads: threadCounts[0] });
  const digests = {};
  try {
    for (const t of threadCounts) {
      await d.setThreads(t);
      const h = createHash('sha256');
      for (const img of images) {
        const dets = await d.detect(img);
        for (const o of await d.outputs()) h.update(new Uint8Array(o.data.buffer, o.data.byteOffset, o.data.byteLength));
        h.update(JSON.stringify(dets));
      }
      digests[t] = h.digest('hex').slice(0, 16);
    }
  } finally {
    d.dispose();
  }
  out.models[m.name] = digests;
}
process.stdout.write(`${JSON.stringify(out)}\n`);
