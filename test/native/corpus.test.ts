/**
 * The bad-input corpus (test/corpus/cases.ts), all in this one process: every case rejects with
 * a typed DarknetError (code, file, reason), none exits or crashes the process, and a correct
 * detect still gives the same answer afterwards.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import type { Detection } from '../../lib/detections.js';
import { DarknetError } from '../../lib/errors.js';
import { buildCorpus, runCase, type CorpusCase } from '../corpus/cases.js';
import { CACHE, DARKNET_SHARE, ensureModel, pngPath, readRaw } from '../helpers/fixtures.js';

let det: Detector;
let baseline: Detection[];
let cases: CorpusCase[];
const raw = () => readRaw('dog');

beforeAll(async () => {
  const tiny = await ensureModel('tiny');
  const y = await ensureModel('yolov3');
  cases = buildCorpus(join(CACHE, 'corpus'), tiny, y.weights, pngPath('dog'), join(DARKNET_SHARE, 'data', 'dog.jpg'));
  det = await Detector.load({ cfg: tiny.cfg, weights: tiny.weights });
  baseline = await det.detect(raw());
});
afterAll(() => det?.dispose());

describe('bad-input corpus', () => {
  it('has at least 200 cases across cfg, weights, images, raw pixels and options', () => {
    const groups = new Map<string, number>();
    for (const c of cases) groups.set(c.group, (groups.get(c.group) ?? 0) + 1);
    console.log(`corpus: ${cases.length} cases (${[...groups].map(([g, n]) => `${g} ${n}`).join(', ')})`);
    expect(cases.length).toBeGreaterThanOrEqual(200);
    for (const g of ['cfg', 'weights', 'image', 'raw', 'options']) expect(groups.get(g) ?? 0).toBeGreaterThan(10);
  });

  it('every case rejects with a typed DarknetError naming the file and the reason; 0 exits or crashes', async () => {
    const failures: string[] = [];
    const codes = new Map<string, number>();
    for (const c of cases) {
      const result = await runCase(c, det, raw(), (o) => Detector.load(o)).then(
        () => new Error('resolved instead of rejecting'),
        (e: unknown) => e,
      );
      const e = result as DarknetError;
      if (!(e instanceof DarknetError)) failures.push(`${c.name}: ${String((e as Error)?.message ?? e)}`);
      else if (!c.codes.includes(e.code)) failures.push(`${c.name}: code ${e.code} (${e.message}), expected ${c.codes.join('|')}`);
      else if (c.file && (e.file !== c.file || !e.message.includes(c.file))) failures.push(`${c.name}: error does not name ${c.file}: ${e.message}`);
      else if (e.message.length < 10) failures.push(`${c.name}: no reason given`);
      else codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
    }
    console.log(`corpus results by code: ${[...codes].map(([k, n]) => `${k} ${n}`).join(', ')}; failures ${failures.length}`);
    expect(failures).toEqual([]);
  });

  it('afterwards the same process detects exactly as before', async () => {
    expect(await det.detect(raw())).toEqual(baseline);
  });
});
