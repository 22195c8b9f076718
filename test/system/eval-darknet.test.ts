/**
 * What `darknet-node eval` writes is what the pinned Darknet's `darknet detector valid` writes
 * as coco_results.json for the same images and weights — byte for byte: image ids from the file
 * names, the 80-class → COCO category mapping, the clipped float boxes, `%f` numbers, the order.
 * Reference numerics, PNG inputs (both decoders see the same pixels).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCfg } from '../../lib/cfg/parse.js';
import { serializeCfg } from '../../lib/cfg/serialize.js';
import { setOption } from '../../lib/cfg/types.js';
import { validateCfg } from '../../lib/cfg/validate.js';
import { fromCocoResults } from '../../lib/eval/formats.js';
import { writeRandomWeights } from '../../lib/random-weights.js';
import { DARKNET_SHARE, ensureImages, pngPath, ROOT } from '../helpers/fixtures.js';
import { run, runOk } from '../helpers/proc.js';

const CLI = join(ROOT, 'dist', 'cli', 'main.js');
// validate_detector loads 4 images ahead and reads past a shorter list: give it 4 or more
const IMAGES = [['dog', 42], ['eagle', 7], ['giraffe', 139], ['person', 100_000]] as const;
let dir: string;

beforeAll(async () => {
  await ensureImages();
  dir = mkdtempSync(join(tmpdir(), 'dn-valid-'));
  // yolov3-tiny (80 classes) at 160×160 with random weights whose objectness sits near the
  // .005 threshold: some boxes pass, most do not, so the file stays small
  const cfg = parseCfg(readFileSync(join(DARKNET_SHARE, 'cfg', 'yolov3-tiny.cfg'), 'utf8'));
  for (const [k, v] of [['width', 160], ['height', 160], ['batch', 1], ['subdivisions', 1]] as const) setOption(cfg.sections[0]!, k, v);
  writeFileSync(join(dir, 'tiny.cfg'), serializeCfg(cfg));
  await writeRandomWeights(validateCfg(cfg), join(dir, 'tiny.weights'), { seed: 11, headGain: 16, objectnessBias: -5 });
  mkdirSync(join(dir, 'images'));
  mkdirSync(join(dir, 'labels'));
  mkdirSync(join(dir, 'results'));
  const list = IMAGES.map(([name, id]) => {
    const file = join(dir, 'images', `COCO_val2014_${String(id).padStart(12, '0')}.png`);
    copyFileSync(pngPath(name), file);
    // eval scores against labels (`detector valid` ignores them): one box per image
    writeFileSync(join(dir, 'labels', `COCO_val2014_${String(id).padStart(12, '0')}.txt`), '16 0.5 0.5 0.4 0.4\n');
    return file;
  });
  writeFileSync(join(dir, 'val.txt'), list.join('\n') + '\n');
  writeFileSync(join(dir, 'coco.data'), `classes=80\nvalid=${join(dir, 'val.txt')}\nnames=${join(DARKNET_SHARE, 'data', 'coco.names')}\nresults=${join(dir, 'results')}\neval=coco\n`);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('eval results equal darknet detector valid', () => {
  it('byte for byte but for the last float bits of some box coordinates', async () => {
    await runOk('darknet', ['detector', 'valid', join(dir, 'coco.data'), join(dir, 'tiny.cfg'), join(dir, 'tiny.weights')], { cwd: dir, timeout: 120_000 });
    const theirs = readFileSync(join(dir, 'results', 'coco_results.json'), 'utf8');
    const r = await run(process.execPath, [CLI, 'eval', '--cfg', join(dir, 'tiny.cfg'), '--weights', join(dir, 'tiny.weights'), '--data', join(dir, 'coco.data'),
      '--numerics', 'reference', '--out', join(dir, 'ours.json')], { timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const ours = readFileSync(join(dir, 'ours.json'), 'utf8');
    const entries = fromCocoResults(JSON.parse(ours));
    // a real comparison: every image has results, in several categories, with COCO's ids
    expect(new Set(entries.map((e) => e.imageId))).toEqual(new Set(IMAGES.map(([, id]) => id)));
    expect(new Set(entries.map((e) => e.categoryId)).size).toBeGreaterThan(10);
    expect(entries.some((e) => e.categoryId === 90)).toBe(true);
    expect(entries.length).toBeGreaterThan(100);
    // Debian builds libdarknet with -Ofast (fast-math: operations reordered, intermediates kept
    // in other precisions), our reference build without: a box coordinate can differ in its last
    // float bits. Everything else is byte for byte: layout, order, image ids, categories, scores.
    const a = ours.split('\n'), b = theirs.split('\n');
    expect(a.length).toBe(b.length);
    const BOX = /^(.*"bbox":\[)([^\]]*)(\].*)$/;
    let differing = 0;
    let worst = 0;
    a.forEach((line, i) => {
      if (line === b[i]) return;
      differing++;
      const pa = BOX.exec(line), pb = BOX.exec(b[i]!);
      expect(pa?.[1], `line ${i + 1}`).toBe(pb?.[1]);
      expect(pa?.[3], `line ${i + 1}`).toBe(pb?.[3]);
      const va = pa![2]!.split(', ').map(Number), vb = pb![2]!.split(', ').map(Number);
      va.forEach((v, j) => { worst = Math.max(worst, Math.abs(v - vb[j]!)); });
    });
    // coordinates are sums and differences of values up to the image size (768 px): a float's
    // last bit there is 2^-14 px (6.1e-5)
    const ulp = 2 ** -14;
    console.log(`eval vs darknet detector valid: ${a.length - 3} entries, ${differing} with a box coordinate differing, by at most ${worst.toExponential(2)} px (${(worst / ulp).toFixed(1)} float ulps at the image's scale)`);
    expect(worst).toBeLessThanOrEqual(4 * ulp);
    expect(r.stdout).toMatch(/Average Precision {2}\(AP\) @\[ IoU=0\.50:0\.95 \| area= {3}all \| maxDets=100 \] = \d\.\d{3}/);
  }, 240_000);
});
