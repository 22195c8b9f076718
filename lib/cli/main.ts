#!/usr/bin/env node
/**
 * darknet-node command line: info, detect, bench, eval, train, partial, build, classify, classify-eval, video.
 * Exit codes: 0 success, 1 failure (one readable line; --verbose for the stack), 2 usage error.
 */
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseCfg } from '../cfg/parse.js';
import { setOption } from '../cfg/types.js';
import { validateCfg } from '../cfg/validate.js';
import { Detector, type Numerics } from '../detector.js';
import { DarknetError } from '../errors.js';
import { formatPerCategoryTable, type CocoEvaluation } from '../eval/evaluate-coco.js';
import { evaluateDetector, scoreResults, type DetectorEvaluation } from '../eval/pipeline.js';
import { MAX_CFG_BYTES, readTextFile } from '../files.js';
import { formatLayerTable, networkInfo } from '../info.js';
import { partialWeights } from '../partial.js';
import { labelPathFor, Trainer, type TrainProgress } from '../train/trainer.js';
import { annotate } from '../draw/annotate.js';
import { cmdModels, MODELS_HELP } from './models.js';
import { downloadBar, progressBar } from './progress.js';
import { CLASSIFY_COMMANDS, CLASSIFY_HELP, CLASSIFY_SUMMARY } from './classify.js';
import { UsageError } from './usage.js';
import { SHAPES_MODEL } from '../models.js';
import { PACKAGE_ROOT } from '../native.js';
import { cmdVideo, VIDEO_HELP } from './video.js';

const HELP: Record<string, string> = {
  ...CLASSIFY_HELP,
  main: `usage: darknet-node <command> [options]

commands:
  detect <images…>   detect objects, print them or write annotated images
  models             list and download the published YOLOv2/v3 models (models get yolov3)
${CLASSIFY_SUMMARY}
  info <cfg>         print the layer table (BFLOPs) and the YOLO heads
  eval               evaluate a model on a dataset (COCO metrics, mAP@0.5)
  train              train a model with Darknet's trainer
  partial            keep the first layers of a .weights file (as \`darknet partial\`)
  bench              time detection on this machine (network and end-to-end)
  video <input>      detect and track objects in a video, file or stream (ffmpeg)
  build              build the native addon from source (when no prebuilt binary fits)

darknet-node <command> --help for its options; darknet-node --version`,
  bench: `usage: darknet-node bench [image] [--cfg <file> --weights <file>] [options]
  without --cfg/--weights: the bundled shapes model; without an image: its sample image
  --size <n>            network input size (multiple of 32)
  --runs <n>            timed runs after one warm-up (default 10)
  --threads <n>         compute threads (default: all cores)
  --numerics <mode>     fast (default) or reference`,
  build: `usage: darknet-node build [--gpu]
  builds the addon from source in the installed package (cmake + g++; Debian: cmake g++ make,
  and libopenblas-openmp-dev for speed), with the build tools installed in your project
  (npm install --save-dev cmake-js node-addon-api). Needed only when no prebuilt binary fits
  this platform (prebuilds: linux-x64 and linux-arm64, glibc ≥ 2.31). Without a darknet/
  checkout or DARKNET_SRC it fetches the pinned Darknet with git (or Debian's source package).
  --gpu                 CUDA + cuDNN build (DARKNET_GPU=ON; see README, "GPU build")`,
  detect: `usage: darknet-node detect [images or folders…] [--model <name> | --cfg <file> --weights <file>] [options]
  without --model or --cfg/--weights: the bundled shapes model; without images: its sample image.
  Folders are searched for images. A file that fails is reported on stderr and the rest go on;
  the exit code is 1 if any failed.
  --model <name>        a published model (yolov3, yolov3-tiny, …: see \`models list\`),
                        downloaded into the cache on first use
  --names <file>        class names (COCO's for 80-class models)
  --size <n>            network input size (multiple of 32)
  --thresh <p>          minimum probability (default 0.5)
  --nms <iou>           NMS threshold (default 0.45)
  --out <dir|file.png>  write annotated images (a file only for one image)
  --json                one JSON line per image as it is done: {"image","detections"} or {"image","error"}`,
  models: MODELS_HELP,
  info: `usage: darknet-node info <cfg> [--size <n>]`,
  video: VIDEO_HELP,
  eval: `usage: darknet-node eval --cfg <file> --weights <file> --data <list.txt|.data|annotations.json> [options]
       darknet-node eval --annotations <instances.json> --results <results.json> [--per-class]
  runs a model on a dataset and scores it (COCO metrics as pycocotools computes them, and
  Darknet's mAP@0.50), or scores an existing COCO results file without a model
  --images <dir>        image folder for a COCO annotations file (file_name is relative to it)
  --size <n>            network input size (e.g. 416 for YOLOv3-416)
  --out <file.json>     results file, as \`darknet detector valid\` writes coco_results.json
                        (default results.json)
  --thresh <p>          detection threshold (default 0.005, as darknet detector valid)
  --per-class           also print AP, AP50 and AP75 per category
  --numerics <mode>     fast (default) or reference (libdarknet's own arithmetic)`,
  partial: `usage: darknet-node partial <cfg> <weights> <out> <layers>
  writes the parameters of the first <layers> layers of <weights> to <out>, byte for byte what
  \`darknet partial\` writes (darknet53.cfg darknet53.weights darknet53.conv.74 74 cuts the
  backbone YOLOv3 training starts from; train --weights accepts such a file)`,
  train: `usage: darknet-node train --cfg <file> --data <file.data|list.txt> --max-batches <n> [options]
  --weights <file>      initial weights (complete, or the first layers: see partial)
  --out <dir>           where weights are written (default: the .data file's backup=)
  --checkpoint <n>      write weights every n iterations (default 100)`,
};

const num = (v: string | undefined, name: string, def?: number): number | undefined => {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number`);
  return n;
};

async function cmdInfo(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { size: { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError(HELP.info!);
  const file = positionals[0]!;
  const cfg = parseCfg(await readTextFile(file, 'cfg', MAX_CFG_BYTES, 'CFG_PARSE'), { file });
  const size = num(values.size, 'size');
  if (size) { setOption(cfg.sections[0]!, 'width', size); setOption(cfg.sections[0]!, 'height', size); }
  setOption(cfg.sections[0]!, 'batch', 1);
  setOption(cfg.sections[0]!, 'subdivisions', 1);
  console.log(formatLayerTable(networkInfo(validateCfg(cfg))));
}


async function loadDetector(v: { cfg?: string | undefined; weights?: string | undefined; names?: string | undefined; model?: string | undefined; size?: string | undefined; numerics?: Numerics; threads?: number | undefined }): Promise<Detector> {
  if (!v.cfg !== !v.weights) throw new UsageError('--cfg and --weights go together (without both, the bundled shapes model is used)');
  if (v.model !== undefined && v.cfg) throw new UsageError('--model or --cfg/--weights, not both');
  const size = num(v.size, 'size');
  const m = v.cfg ? { cfg: v.cfg, weights: v.weights!, ...(v.names ? { names: v.names } : {}) }
    : v.model !== undefined ? { model: v.model, ...(v.names ? { names: v.names } : {}), onDownloadProgress: downloadBar(v.model) }
      : { cfg: SHAPES_MODEL.cfg, weights: SHAPES_MODEL.weights, names: v.names ?? SHAPES_MODEL.names };
  return Detector.load({ ...m, ...(size ? { width: size, height: size } : {}), ...(v.numerics ? { numerics: v.numerics } : {}), ...(v.threads === undefined ? {} : { threads: v.threads }) });
}

/** --verbose: stacks instead of one line per failure */
let verbose = false;

/** one readable line for a failure, as main() prints them (the stack with --verbose) */
const failureLine = (e: unknown) => {
  const err = e as Error & { code?: string };
  return verbose && err.stack ? err.stack : `${err.code ? `[${err.code}] ` : ''}${err.message}`;
};

async function cmdDetect(args: string[]): Promise<number> {
  const { values, positionals: given } = parseArgs({
    args, allowPositionals: true,
    options: {
      cfg: { type: 'string' }, weights: { type: 'string' }, names: { type: 'string' }, model: { type: 'string' }, size: { type: 'string' },
      thresh: { type: 'string' }, nms: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' },
    },
  });
  if (!given.length) {
    if (values.cfg || values.model) throw new UsageError(HELP.detect!);
    console.error(`no image given: using the bundled sample ${SHAPES_MODEL.sample}`);
    given.push(SHAPES_MODEL.sample);
  }
  const thresh = num(values.thresh, 'thresh', 0.5)!;
  const nms = num(values.nms, 'nms', 0.45)!;
  const images = await expandImages(given);
  if (!images.length) throw new UsageError(`no images (${IMAGE_EXTENSIONS.join(', ')}) in ${given.join(', ')}`);
  const targets = outputTargets(images, values.out, given.length > 1 || images.length > 1 || images[0] !== given[0]);
  const det = await loadDetector(values);
  let failed = 0;
  try {
    for (const [i, image] of images.entries()) {
      try {
        const t = performance.now();
        const dets = await det.detect(image, { thresh, nms });
        const ms = performance.now() - t;
        const target = targets[i];
        if (target !== undefined) {
          await mkdir(dirname(resolve(target)), { recursive: true });
          await writeFile(target, await annotate(image, dets, { format: /\.jpe?g$/i.test(target) ? 'jpeg' : 'png' }));
        }
        if (values.json) {
          // one line per image as it is done: a consumer (jq, a pipe) sees results as they come
          console.log(JSON.stringify({ image, detections: dets.map((d) => d.toJSON()), ...(target === undefined ? {} : { out: target }) }));
        } else {
          console.log(`${image}: ${dets.length} detection(s) in ${ms.toFixed(0)} ms`);
          for (const d of dets) console.log(`  ${d.className}: ${(d.confidence * 100).toFixed(0)}%  [${d.box.x.toFixed(0)}, ${d.box.y.toFixed(0)}, ${d.box.width.toFixed(0)}×${d.box.height.toFixed(0)}]`);
          if (target !== undefined) console.log(`  → ${target}`);
        }
      } catch (e) {
        // a bad file is reported and the batch goes on; the exit code says something failed
        failed++;
        const line = failureLine(e);
        console.error(`darknet-node detect: ${line.includes(image) ? line : `${image}: ${line}`}`);
        if (values.json) console.log(JSON.stringify({ image, error: { code: (e as { code?: string }).code ?? 'ERROR', message: (e as Error).message } }));
      }
      if (images.length > 3) progressBar(i + 1, images.length, 'detect');
    }
  } finally {
    det.dispose();
  }
  if (failed) {
    if (images.length > 1) console.error(`darknet-node detect: ${failed} of ${images.length} images failed`);
    return 1;
  }
  return 0;
}

const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff', '.gif', '.avif'];

/**
 * The images to detect on: files as given (a missing or bad one fails on its turn, the others
 * still run), directories walked for image files (sorted, recursively, hidden entries skipped).
 */
async function expandImages(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase())) out.push(p);
    }
  };
  for (const p of paths) {
    const st = await stat(p).catch(() => undefined);
    if (st?.isDirectory()) await walk(p);
    else out.push(p);
  }
  return out;
}

/**
 * Where each annotated image goes, decided before any work: never over an input, never two
 * images into one file. One image may go to a file (.png/.jpg); several need a directory.
 */
function outputTargets(images: string[], out: string | undefined, several: boolean): Array<string | undefined> {
  if (out === undefined) return images.map(() => undefined);
  const isFile = /\.(png|jpe?g)$/i.test(out);
  if (several && isFile) throw new UsageError(`--out ${out}: ${images.length} images need a directory (e.g. --out annotated/), one file holds one image`);
  const targets = images.map((image) => (isFile ? out : join(out, `${basename(image, extname(image))}.png`)));
  const seen = new Map<string, string>();
  for (const [i, target] of targets.entries()) {
    const t = resolve(target);
    if (images.some((p) => resolve(p) === t)) throw new UsageError(`--out would overwrite the input ${images[i]}`);
    const other = seen.get(t);
    if (other !== undefined) throw new UsageError(`--out: ${other} and ${images[i]} would both be written to ${target}`);
    seen.set(t, images[i]!);
  }
  return targets;
}

function printEvaluation(r: CocoEvaluation, map50: number | undefined, perClass: boolean): void {
  console.log(r.summary);
  if (map50 !== undefined) console.log(` Darknet-style mAP@0.50 (all-point) = ${map50 < 0 ? '  n/a' : map50.toFixed(3)}`);
  if (perClass) console.log(`\n${formatPerCategoryTable(r.perCategory)}`);
}

async function cmdEval(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args, options: {
      cfg: { type: 'string' }, weights: { type: 'string' }, names: { type: 'string' }, data: { type: 'string' }, images: { type: 'string' }, size: { type: 'string' },
      out: { type: 'string' }, thresh: { type: 'string' }, annotations: { type: 'string' }, results: { type: 'string' }, 'per-class': { type: 'boolean' },
      numerics: { type: 'string' },
    },
  });
  const numerics = values.numerics ?? 'fast';
  if (numerics !== 'fast' && numerics !== 'reference') throw new UsageError('--numerics must be fast or reference');
  const perClass = values['per-class'] ?? false;
  if (values.results !== undefined) {
    // score an existing results file: no model
    if (!values.annotations) throw new UsageError('--results needs --annotations (the COCO annotations file the results are scored against)');
    if (values.cfg || values.weights || values.data) throw new UsageError('--results scores an existing file: leave out --cfg, --weights and --data');
    const r = await scoreResults(values.annotations, values.results);
    printEvaluation(r.coco, r.map50, perClass);
    console.log(`${values.results}: ${r.coco.detections} detections on ${r.coco.images} images`);
    return;
  }
  const data = values.data ?? values.annotations;
  if (!data) throw new UsageError(HELP.eval!);
  const thresh = num(values.thresh, 'thresh', 0.005)!;
  const det = await loadDetector({ ...values, numerics });
  let r: DetectorEvaluation;
  try {
    r = await evaluateDetector(det, data, {
      thresh, ...(values.images === undefined ? {} : { images: values.images }),
      onWarning: (m) => console.error(`eval: ${m}`), onProgress: (done, total) => progressBar(done, total, 'eval'),
    });
  } finally {
    det.dispose();
  }
  const out = values.out ?? 'results.json';
  await writeFile(out, r.resultsJson);
  printEvaluation(r.coco, r.map50, perClass);
  console.log(`results: ${out} (${r.entries.length} detections on ${r.images} images)`);
}

async function cmdTrain(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args, options: { cfg: { type: 'string' }, data: { type: 'string' }, weights: { type: 'string' }, out: { type: 'string' }, 'max-batches': { type: 'string' }, checkpoint: { type: 'string' } },
  });
  if (!values.cfg || !values.data || !values['max-batches']) throw new UsageError(HELP.train!);
  const trainer = new Trainer();
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  trainer.on('progress', (p: TrainProgress) => {
    process.stderr.write(`\r${p.iteration}: loss ${p.loss.toFixed(3)}, avg ${p.avgLoss.toFixed(3)}, rate ${p.learningRate.toExponential(2)}, ${p.imagesSeen} images, ${p.width}×${p.height}, ${(p.elapsed / 1000).toFixed(0)} s   `);
  });
  trainer.on('checkpoint', (p: string) => process.stderr.write(`\ncheckpoint ${p}\n`));
  const r = await trainer.train({
    cfg: values.cfg, data: values.data, maxBatches: num(values['max-batches'], 'max-batches')!,
    ...(values.weights ? { initialWeights: values.weights } : {}), ...(values.out ? { outDir: values.out } : {}),
    checkpointEvery: num(values.checkpoint, 'checkpoint', 100)!, signal: ac.signal,
  });
  process.stderr.write('\n');
  console.log(`${r.aborted ? 'stopped' : 'done'} after ${r.iterations} iterations, avg loss ${r.avgLoss.toFixed(3)}: ${r.weights}`);
}

async function cmdPartial(args: string[]): Promise<void> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 4) throw new UsageError(HELP.partial!);
  const [cfg, weights, out, n] = positionals as [string, string, string, string];
  if (!/^[1-9]\d*$/.test(n)) throw new UsageError(`<layers> must be a positive integer (got "${n}")`);
  const r = await partialWeights({ cfg, weights, out, layers: Number(n) });
  console.log(`${r.file}: layers 0–${r.layers - 1}, ${r.bytes.toLocaleString('en-US')} bytes`);
}

export async function main(argv: string[]): Promise<number> {
  verbose = argv.includes('--verbose');
  const args = argv.filter((a) => a !== '--verbose');
  const [cmd, ...rest] = args;
  const commands: Record<string, (a: string[]) => Promise<void | number>> = { info: cmdInfo, detect: cmdDetect, models: cmdModels, eval: cmdEval, train: cmdTrain, partial: cmdPartial, bench: cmdBench, build: cmdBuild, video: cmdVideo, ...CLASSIFY_COMMANDS };
  if (cmd === '--version' || cmd === '-v') {
    console.log(JSON.parse(await readFile(join(PACKAGE_ROOT, 'package.json'), 'utf8')).version);
    return 0;
  }
  if (!cmd || cmd === '--help' || cmd === '-h') {
    console.log(HELP.main);
    return cmd ? 0 : 2;
  }
  const run = commands[cmd];
  if (!run) {
    console.error(`darknet-node: unknown command "${cmd}"\n\n${HELP.main}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(HELP[cmd]);
    return 0;
  }
  try {
    return (await run(rest)) ?? 0;
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string })?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (e as { code?: string })?.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      console.error(`darknet-node ${cmd}: ${(e as Error).message}`);
      return 2;
    }
    const err = e as Error & { code?: string };
    console.error(verbose ? err.stack : `darknet-node ${cmd}: ${failureLine(err)}`);
    return 1;
  }
}

async function cmdBench(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { cfg: { type: 'string' }, weights: { type: 'string' }, names: { type: 'string' }, size: { type: 'string' }, runs: { type: 'string' }, threads: { type: 'string' }, numerics: { type: 'string' } },
  });
  const runs = num(values.runs, 'runs', 10)!;
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError('--runs must be a positive integer');
  const image = positionals[0] ?? SHAPES_MODEL.sample;
  const numerics = values.numerics ?? 'fast';
  if (numerics !== 'fast' && numerics !== 'reference') throw new UsageError('--numerics must be fast or reference');
  const threads = values.threads === undefined ? undefined : num(values.threads, 'threads', 0);
  const det = await loadDetector({ ...values, numerics: numerics as Numerics, threads });
  try {
    const input = new Float32Array(det.width * det.height * 3 * det.batch).fill(0.5);
    await det.forward(input);
    await det.detect(image);
    const time = async (f: () => Promise<unknown>) => {
      const t: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await f();
        t.push(performance.now() - t0);
        if (runs > 3) progressBar(i + 1, runs, 'bench');
      }
      return t.sort((a, b) => a - b)[t.length >> 1]!;
    };
    const net = await time(() => det.forward(input));
    const e2e = await time(() => det.detect(image));
    console.log(`${det.width}×${det.height}, ${det.numerics} numerics, ${det.threads} threads, median of ${runs}:`);
    console.log(`  network   ${net.toFixed(1)} ms`);
    console.log(`  detect()  ${e2e.toFixed(1)} ms end-to-end on ${image} (${(1000 / e2e).toFixed(1)} images/s)`);
  } finally {
    det.dispose();
  }
}

async function cmdBuild(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { gpu: { type: 'boolean' } } });
  const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'scripts', 'build.mjs'), '--force'], {
    cwd: PACKAGE_ROOT, stdio: 'inherit', env: { ...process.env, ...(values.gpu ? { DARKNET_GPU: 'ON' } : {}) },
  });
  if (r.status !== 0) throw new DarknetError('NATIVE_MISSING', `the native build failed (exit ${r.status ?? r.signal}); see the output above`);
  console.log(`built ${join(PACKAGE_ROOT, 'build', 'Release', 'darknet.node')}`);
}

// `darknet-node detect … | head` closes stdout early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); });

// Run when executed (also through npm's bin symlink), not when imported by tests.
const invoked = process.argv[1] && import.meta.url === new URL(`file://${realpathSync(resolve(process.argv[1]))}`).href;
if (invoked) main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
