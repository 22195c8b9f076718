/**
 * The darknet-node command line, run as users run it (node dist/cli/main.js): info, detect with
 * an annotated PNG checked by decoding it, train and eval on a synthetic dataset, exit codes.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCfg } from '../../lib/cfg/parse.js';
import { validateCfg } from '../../lib/cfg/validate.js';
import { classColor } from '../../lib/draw/colors.js';
import { evaluateCoco } from '../../lib/eval/index.js';
import { writeRandomWeights } from '../../lib/random-weights.js';
import { generateSyntheticDataset } from '../../lib/train/index.js';
import { CACHE, ensureModel, pngPath, ROOT } from '../helpers/fixtures.js';
import { run as runProcess } from '../helpers/proc.js';
import { CFG } from '../helpers/train-cfg.js';

const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const run = (...args: string[]) => runProcess(process.execPath, [CLI, ...args], { timeout: 300_000 });

let tiny: Awaited<ReturnType<typeof ensureModel>>;
beforeAll(async () => {
  tiny = await ensureModel('tiny');
});

describe('darknet-node CLI', () => {
  it('info prints the layer table with BFLOPs and the YOLO heads', async () => {
    const y = await ensureModel('yolov3');
    const r = await run('info', y.cfg);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/total 65\.86 BFLOPs, 10647 candidate boxes/);
    expect(r.stdout).toMatch(/82: yolo 13x13 stride 32, 80 classes, anchors 116,90 {2}156,198 {2}373,326/);
    expect((await run('info', y.cfg, '--size', '608')).stdout).toMatch(/yolo 19x19/);
  });

  it('detect --json prints the detections; --out writes an annotated PNG with the boxes drawn', async () => {
    const json = await run('detect', pngPath('dog'), '--cfg', tiny.cfg, '--weights', tiny.weights, '--thresh', '0.7', '--json');
    expect(json.status).toBe(0);
    const line = JSON.parse(json.stdout) as { image: string; detections: unknown[] };
    expect(line.image).toBe(pngPath('dog'));
    const dets = line.detections as Array<{ classId: number; box: { x: number; y: number; width: number; height: number } }>;
    expect(dets.length).toBeGreaterThan(0);
    const out = join(CACHE, 'annotated-dog.png');
    rmSync(out, { force: true });
    const r = await run('detect', pngPath('dog'), '--cfg', tiny.cfg, '--weights', tiny.weights, '--thresh', '0.7', '--out', out);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/detection\(s\) in \d+ ms/);
    const { data, info } = await sharp(readFileSync(out)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([768, 576]);
    // the biggest box: most pixels of its left edge now carry its class colour
    const d = dets.reduce((a, b) => (b.box.width * b.box.height > a.box.width * a.box.height ? b : a));
    const [r0, g0, b0] = classColor(d.classId);
    const x = Math.min(info.width - 1, Math.round(d.box.x));
    let hits = 0;
    let total = 0;
    for (let y = Math.ceil(d.box.y) + 1; y < Math.floor(d.box.y + d.box.height) - 1; y++) {
      total++;
      for (const dx of [-1, 0, 1]) {
        const px = Math.max(0, Math.min(info.width - 1, x + dx));
        const i = (y * info.width + px) * 3;
        if (Math.abs(data[i]! - r0) + Math.abs(data[i + 1]! - g0) + Math.abs(data[i + 2]! - b0) < 60) { hits++; break; }
      }
    }
    expect(total).toBeGreaterThan(3);
    expect(hits / total).toBeGreaterThan(0.8);
  });

  it('train and eval on a synthetic dataset: progress, weights, a results file and the COCO table', async () => {
    const dir = join(CACHE, 'cli-train');
    rmSync(dir, { recursive: true, force: true });
    const ds = await generateSyntheticDataset({ dir: join(dir, 'data'), seed: 8, train: 16, val: 6, width: 64, height: 64, minSize: 10, maxSize: 28, maxShapes: 2 });
    const cfg = join(dir, 'tiny-shapes.cfg');
    writeFileSync(cfg, CFG);
    const t = await run('train', '--cfg', cfg, '--data', ds.dataFile, '--max-batches', '3', '--out', join(dir, 'w'));
    expect(t.status).toBe(0);
    expect(t.stderr).toMatch(/3: loss [\d.]+, avg [\d.]+, rate/);
    expect(t.stdout).toMatch(/done after 3 iterations, avg loss [\d.]+: .*tiny-shapes_final\.weights/);
    const results = join(dir, 'results.json');
    const e = await run('eval', '--cfg', cfg, '--weights', join(dir, 'w', 'tiny-shapes_final.weights'), '--data', ds.dataFile, '--out', results);
    expect(e.status).toBe(0);
    expect(e.stdout).toMatch(/Average Precision {2}\(AP\) @\[ IoU=0\.50:0\.95 \| area= {3}all \| maxDets=100 \] = [\d.]+/);
    expect(e.stdout).toMatch(/Darknet-style mAP@0\.50 \(all-point\) = [\d.]+/);
    const rows = JSON.parse(readFileSync(results, 'utf8')) as Array<Record<string, unknown>>;
    for (const row of rows.slice(0, 20)) {
      expect(Object.keys(row).sort()).toEqual(['bbox', 'category_id', 'image_id', 'score']);
      expect(row.score as number).toBeGreaterThan(0.005);
    }
  });

  it('eval --annotations --results scores an existing results file without a model (string ids, per-class table)', async () => {
    const dir = join(CACHE, 'cli-score');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const ann = join(dir, 'instances.json');
    const res = join(dir, 'results.json');
    writeFileSync(ann, JSON.stringify({
      images: [{ id: 'b-2', file_name: 'b.jpg', width: 100, height: 100 }, { id: 'a-1', file_name: 'a.jpg', width: 100, height: 100 }],
      annotations: [
        { id: 1, image_id: 'a-1', category_id: 3, bbox: [10, 10, 40, 40], area: 1600, iscrowd: 0 },
        { id: 2, image_id: 'b-2', category_id: 3, bbox: [0, 0, 50, 20], area: 1000, iscrowd: 0 },
        { id: 3, image_id: 'b-2', category_id: 7, bbox: [5, 5, 60, 60], area: 3600, iscrowd: 0 },
      ],
      categories: [{ id: 3, name: 'cat' }, { id: 7, name: 'kite' }],
    }));
    writeFileSync(res, JSON.stringify([
      { image_id: 'a-1', category_id: 3, bbox: [10, 10, 40, 40], score: 0.9 },
      { image_id: 'b-2', category_id: 3, bbox: [30, 30, 20, 20], score: 0.8 },
      { image_id: 'b-2', category_id: 7, bbox: [5, 5, 60, 60], score: 0.7 },
    ]));
    const r = await run('eval', '--annotations', ann, '--results', res, '--per-class');
    expect(r.status, r.stderr).toBe(0);
    const expected = await evaluateCoco(ann, res);
    expect(r.stdout).toContain(expected.summary);
    // cat: one of two found → AP .5 (101-point: 51 of 101 thresholds at precision 1 → .50495…); kite: 1
    expect(r.stdout).toMatch(/cat\s+3\s+50\.50\s+50\.50\s+50\.50/);
    expect(r.stdout).toMatch(/kite\s+7\s+100\.00\s+100\.00\s+100\.00/);
    expect(r.stdout).toMatch(/results\.json: 3 detections on 2 images/);
    // usage: --results alone; results naming an image the annotations lack: refused, exit 1
    expect((await run('eval', '--results', res)).status).toBe(2);
    writeFileSync(res, JSON.stringify([{ image_id: 'c-3', category_id: 3, bbox: [0, 0, 1, 1], score: 0.5 }]));
    const bad = await run('eval', '--annotations', ann, '--results', res);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/\[BAD_INPUT\] .*results\.json: 1 prediction\(s\) on image\(s\) not in the ground truth's images \("c-3"\)/);
  });

  it('partial keeps the first layers of a .weights file; usage errors exit 2, a layer count beyond the network 1', async () => {
    const dir = join(CACHE, 'cli-partial');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const cfg = join(dir, 'tiny-shapes.cfg');
    writeFileSync(cfg, CFG);
    const shape = validateCfg(parseCfg(CFG));
    const weights = join(dir, 'full.weights');
    await writeRandomWeights(shape, weights, { seed: 4 });
    const out = join(dir, 'first3.weights');
    const r = await run('partial', cfg, weights, out, '3');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/first3\.weights: layers 0–2, 5,876 bytes/);
    const cut = readFileSync(out);
    // version 0.2, 0 images seen, then layers 0–2 of the input unchanged
    expect(cut.length).toBe(20 + 4 * (248 + 1216));
    expect(cut.subarray(20).equals(readFileSync(weights).subarray(20, cut.length))).toBe(true);
    expect((await run('partial', cfg, weights, out)).status).toBe(2);
    expect((await run('partial', cfg, weights, out, 'three')).status).toBe(2);
    const big = await run('partial', cfg, weights, out, '7');
    expect(big.status).toBe(1);
    expect(big.stderr).toMatch(/\[BAD_INPUT\] .*the network has 6 layers/);
    expect((await run('partial', '--help')).stdout).toMatch(/darknet partial/);
  });

  it('exit codes: 2 for usage errors, 1 for failures with one readable line (a stack only with --verbose)', async () => {
    expect((await run()).status).toBe(2);
    expect((await run('frobnicate')).status).toBe(2);
    expect((await run('detect', '--cfg', tiny.cfg)).status).toBe(2); // --cfg without --weights
    expect((await run('detect', 'x.png', '--cfg', tiny.cfg, '--bogus')).status).toBe(2);
    const f = await run('detect', join(CACHE, 'none.png'), '--cfg', tiny.cfg, '--weights', tiny.weights);
    expect(f.status).toBe(1);
    expect(f.stderr.trim().split('\n')).toHaveLength(1);
    expect(f.stderr).toMatch(/\[ENOENT\] .*none\.png: image file not found/);
    const v = await run('detect', join(CACHE, 'none.png'), '--cfg', tiny.cfg, '--weights', tiny.weights, '--verbose');
    expect(v.stderr).toMatch(/\n\s+at /);
    expect((await run('detect', '--help')).status).toBe(0);
    // --out never overwrites an input, and never writes two images into one file
    const same = await run('detect', pngPath('dog'), '--out', pngPath('dog'), '--cfg', tiny.cfg, '--weights', tiny.weights);
    expect(same.status).toBe(2);
    expect(same.stderr).toMatch(/would overwrite the input/);
    mkdirSync(join(CACHE, 'cli-a'), { recursive: true });
    mkdirSync(join(CACHE, 'cli-b'), { recursive: true });
    copyFileSync(pngPath('dog'), join(CACHE, 'cli-a', 'x.png'));
    copyFileSync(pngPath('eagle'), join(CACHE, 'cli-b', 'x.png'));
    const clash = await run('detect', join(CACHE, 'cli-a', 'x.png'), join(CACHE, 'cli-b', 'x.png'), '--out', join(CACHE, 'cli-out'), '--cfg', tiny.cfg, '--weights', tiny.weights);
    expect(clash.status).toBe(2);
    expect(clash.stderr).toMatch(/would both be written to/);
  });

  it('detect keeps going: a bad file is reported on stderr, the others run, exit 1 at the end; --json streams lines; folders are walked', async () => {
    const dir = join(CACHE, 'cli-batch');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'in', 'sub'), { recursive: true });
    copyFileSync(pngPath('dog'), join(dir, 'in', 'a.png'));
    copyFileSync(pngPath('eagle'), join(dir, 'in', 'sub', 'b.png'));
    writeFileSync(join(dir, 'in', 'broken.jpg'), 'not a jpeg');
    writeFileSync(join(dir, 'in', 'notes.txt'), 'not an image, not picked up');
    const missing = join(dir, 'missing.png');
    const model = ['--cfg', tiny.cfg, '--weights', tiny.weights];
    const r = await run('detect', pngPath('dog'), missing, pngPath('eagle'), ...model);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`${pngPath('dog')}: `);
    expect(r.stdout).toContain(`${pngPath('eagle')}: `); // after the failure
    expect(r.stderr).toMatch(/\[ENOENT\] .*missing\.png: image file not found/);
    expect(r.stderr).toMatch(/1 of 3 images failed/);
    expect(r.stderr).not.toMatch(/\r/); // no progress bar outside a terminal
    // --json: one line per image, errors as lines too; a folder is walked (sorted, recursive)
    const j = await run('detect', join(dir, 'in'), missing, '--json', ...model);
    expect(j.status).toBe(1);
    const lines = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as { image: string; detections?: unknown[]; error?: { code: string } });
    expect(lines.map((l) => l.image)).toEqual([join(dir, 'in', 'a.png'), join(dir, 'in', 'broken.jpg'), join(dir, 'in', 'sub', 'b.png'), missing]);
    expect(lines.map((l) => l.error?.code ?? 'ok')).toEqual(['ok', 'IMAGE_DECODE', 'ok', 'ENOENT']);
    expect(j.stderr).toMatch(/broken\.jpg: cannot decode image/);
    // --out: a folder of annotated images; a file name for several images is a usage error
    const o = await run('detect', join(dir, 'in'), '--out', join(dir, 'out'), ...model);
    expect(o.status).toBe(1); // broken.jpg
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['a.png', 'b.png']);
    const two = await run('detect', pngPath('dog'), pngPath('eagle'), '--out', join(dir, 'one.png'), ...model);
    expect(two.status).toBe(2);
    expect(two.stderr).toMatch(/--out .*one\.png: 2 images need a directory/);
    expect(existsSync(join(dir, 'one.png'))).toBe(false);
    // notices go to stderr: stdout keeps results only
    const n = await run('detect', '--json');
    expect(n.status).toBe(0);
    expect(n.stderr).toMatch(/no image given: using the bundled sample/);
    expect(JSON.parse(n.stdout).detections.length).toBeGreaterThan(0);
    const v = await run('--version');
    expect(v.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('models list shows the published models and the cache; models get downloads from the base URL (a local server here)', async () => {
    const { createServer } = await import('node:http');
    const dir = join(CACHE, 'cli-models');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const weights = join(dir, 'served.weights');
    await writeRandomWeights(validateCfg(parseCfg(readFileSync(join(ROOT, 'models', 'darknet', 'yolov3-tiny.cfg'), 'utf8'))), weights);
    const body = readFileSync(weights);
    const server = createServer((req, res) => {
      if (req.url === '/yolov3-tiny.weights') res.writeHead(200, { 'content-length': body.length }).end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const env = { ...process.env, DARKNET_NODE_CACHE: join(dir, 'cache'), DARKNET_NODE_MODEL_BASE_URL: `http://127.0.0.1:${(server.address() as { port: number }).port}/` };
      const cli = (...a: string[]) => runProcess(process.execPath, [CLI, ...a], { timeout: 300_000, env });
      const before = await cli('models', 'list');
      expect(before.status).toBe(0);
      expect(before.stdout).toMatch(/^yolov3 +remote +YOLOv3-416\/608, COCO \(80 classes\) +not downloaded \(248\.0 MB\)$/m);
      expect(before.stdout).toMatch(/^shapes +bundled +shapes \(5 classes\)/m);
      expect(before.stdout).toContain(`cache: ${join(dir, 'cache')}`);
      const get = await cli('models', 'get', 'yolov3-tiny');
      expect(get.status, get.stderr).toBe(0);
      expect(get.stdout).toBe(`yolov3-tiny: downloaded, ${join(dir, 'cache', 'yolov3-tiny.weights')}\n`);
      expect(get.stderr).toBe(''); // no progress bar outside a terminal
      expect((await cli('models', 'list')).stdout).toMatch(/^yolov3-tiny +cached /m);
      // on a terminal (script(1) gives one): a progress bar with MB and speed on stderr
      const tty = await runProcess('script', ['-qec', `${process.execPath} ${CLI} models get yolov3-tiny --cache-dir ${join(dir, 'tty')}`, '/dev/null'], { timeout: 300_000, env });
      expect(tty.status).toBe(0);
      expect(tty.stdout).toMatch(/\ryolov3-tiny \[#+\] 35\.4\/35\.4 MB +[\d.]+ MB\/s/);
      const d = await cli('detect', pngPath('dog'), '--model', 'yolov3-tiny', '--json');
      expect(d.status, d.stderr).toBe(0);
      expect(JSON.parse(d.stdout).image).toBe(pngPath('dog'));
      const bad = await cli('models', 'get', 'yolov4');
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/unknown model "yolov4"/);
      const gone = await cli('models', 'get', 'yolov3');
      expect(gone.status).toBe(1);
      expect(gone.stderr).toMatch(/\[DOWNLOAD\] http:\/\/127\.0\.0\.1:\d+\/yolov3\.weights: HTTP 404/);
    } finally {
      server.close();
    }
  });

  it('bench times the network and detect(); build --help explains when a source build is needed', async () => {
    const b = await run('bench', '--runs', '2');
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/fast numerics, \d+ threads, median of 2/);
    expect(b.stdout).toMatch(/network\s+\d+\.\d ms/);
    expect(b.stdout).toMatch(/detect\(\)\s+\d+\.\d ms end-to-end .*images\/s/);
    const r = await run('bench', '--runs', '1', '--numerics', 'reference', '--threads', '1');
    expect(r.stdout).toMatch(/reference numerics, 1 threads/);
    expect((await run('bench', '--numerics', 'quick')).status).toBe(2);
    const h = await run('build', '--help');
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/Needed only when no prebuilt binary fits/);
    expect(h.stdout).toMatch(/npm install --save-dev cmake-js node-addon-api/);
  });
});
