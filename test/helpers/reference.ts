import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HARNESS, rawPath } from './fixtures.js';
import { runOk } from './proc.js';

export interface RefDetection {
  cx: number; cy: number; w: number; h: number; objectness: number; probs: number[];
}
export interface RefImage {
  width: number;
  height: number;
  /** rows after NMS with some probability above thresh (what draw_detections prints) */
  detections: RefDetection[];
  /** raw output of each [yolo] layer, by layer index */
  outputs: Map<number, Float32Array>;
}

/** Runs Debian's libdarknet.so (through test/reference/harness.c) on the sample images. */
export async function runReference(cfg: string, weights: string, images: readonly string[], thresh: number, hier = 0.5, nms = 0.45): Promise<RefImage[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dn-ref-'));
  try {
    const out = await runOk(HARNESS, [cfg, weights, dir, String(thresh), String(hier), String(nms), ...images.map(rawPath)]);
    const lines = out.split('\n');
    const result: RefImage[] = [];
    for (let i = 0; i < lines.length; i++) {
      const m = /^image (\d+) (\d+) (\d+) (\d+)$/.exec(lines[i]!);
      if (!m) continue;
      const [idx, width, height, n] = m.slice(1).map(Number) as [number, number, number, number];
      const detections: RefDetection[] = [];
      for (let k = 0; k < n; k++) {
        const v = lines[i + 1 + k]!.split(' ').map(Number);
        const probs = v.slice(5);
        if (probs.some((p) => p > thresh)) detections.push({ cx: v[0]!, cy: v[1]!, w: v[2]!, h: v[3]!, objectness: v[4]!, probs });
      }
      const outputs = new Map<number, Float32Array>();
      for (const f of readdirSync(dir)) {
        const fm = /^(\d+)\.layer(\d+)\.f32$/.exec(f);
        if (fm && Number(fm[1]) === idx) {
          const b = readFileSync(join(dir, f));
          outputs.set(Number(fm[2]), new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4).slice());
        }
      }
      result.push({ width, height, detections, outputs });
      i += n;
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
