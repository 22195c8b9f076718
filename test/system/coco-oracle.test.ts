/**
 * cocoEvaluate against pycocotools' COCOeval itself, on seeded scenarios built to hit every
 * known drift (test/helpers/coco-scenarios.ts): the 12 stats, the full precision, recall and
 * scores arrays, per-category AP and the printed summary, to 1e-12.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateCoco, type CocoStats } from '../../lib/eval/index.js';
import { makeScenarios, type Scenario } from '../helpers/coco-scenarios.js';
import { runOk } from '../helpers/proc.js';
import { pycocotoolsPython } from '../helpers/pycocotools.js';

const STATS: Array<keyof CocoStats> = ['AP', 'AP50', 'AP75', 'APsmall', 'APmedium', 'APlarge', 'AR1', 'AR10', 'AR100', 'ARsmall', 'ARmedium', 'ARlarge'];
const scenarios: Scenario[] = makeScenarios(60);
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coco-oracle-'));
  writeFileSync(join(dir, 'scenarios.json'), JSON.stringify(scenarios));
  await runOk(pycocotoolsPython(), [join(import.meta.dirname, '..', 'helpers', 'cocoeval-oracle.py'), join(dir, 'scenarios.json'), dir], { timeout: 240_000 });
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const flat = (a: unknown): number[] => (Array.isArray(a) ? a.flatMap(flat) : [a as number]);

describe('cocoEvaluate equals pycocotools COCOeval', () => {
  let worst = 0;
  afterAll(() => console.log(`largest difference to pycocotools over ${scenarios.length} scenarios: ${worst}`));

  it.each(scenarios.map((s, i) => [s.name, i] as const))('%s', async (_, i) => {
    const sc = scenarios[i]!;
    const py = JSON.parse(readFileSync(join(dir, `${i}.json`), 'utf8')) as { refused?: string; stats: number[]; summary: string; categories: number[]; perCategory: number[][]; shape: number[] };
    const run = () => evaluateCoco(structuredClone(sc.annotations), structuredClone(sc.results), { ...(sc.imgIds ? { imageIds: sc.imgIds } : {}), ...(sc.catIds ? { categoryIds: sc.catIds } : {}) });
    if (sc.unknownImage) {
      expect(py.refused, 'pycocotools refuses results on unknown images').toBeDefined();
      await expect(run()).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/not in the ground truth's images/) });
      return;
    }
    expect(py.refused).toBeUndefined();
    const r = await run();
    const diff = (a: number, b: number) => Math.abs(a - b);
    let max = 0;
    STATS.forEach((k, j) => { max = Math.max(max, diff(r.stats[k], py.stats[j]!)); });
    expect(r.result.categories).toEqual(py.categories);
    expect(r.summary + '\n').toBe(py.summary);
    r.perCategory.forEach((c, k) => STATS.forEach((s, j) => { max = Math.max(max, diff(c.stats[s], py.perCategory[k]![j]!)); }));
    const bin = new Float64Array(readFileSync(join(dir, `${i}.bin`)).buffer.slice(0));
    const ours = [...flat(r.result.precision), ...flat(r.result.recall), ...flat(r.result.scores)];
    expect(ours.length).toBe(bin.length);
    for (let j = 0; j < ours.length; j++) max = Math.max(max, diff(ours[j]!, bin[j]!));
    worst = Math.max(worst, max);
    expect(max).toBeLessThanOrEqual(1e-12);
  });
});
