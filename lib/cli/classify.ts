/** The classifier commands: classify (as `darknet classifier predict`) and classify-eval (as `valid`). */
import { parseArgs } from 'node:util';
import { Classifier, type Preprocess } from '../classifier.js';
import { DarknetError } from '../errors.js';
import { evaluateClassifier } from '../eval/classification.js';
import { dataEntry, readDataFile, readList } from '../data-file.js';
import { IMAGENET_LABELS } from '../imagenet.js';
import type { Numerics } from '../load.js';
import { progressBar } from './progress.js';
import { UsageError } from './usage.js';

export const CLASSIFY_SUMMARY = `  classify <images…> classify images (top-k classes, as darknet classifier predict)
  classify-eval      top-1/top-5 accuracy on labelled images (as darknet classifier valid)`;

export const CLASSIFY_HELP: Record<string, string> = {
  classify: `usage: darknet-node classify <images…> --cfg <file> --weights <file> [options]
  prints each image's most probable classes as \`darknet classifier predict\` does ("xx.xx%: name")
  --names <file>        class names (ImageNet's short names for 1000-class networks)
  --top <k>             classes to print (default 5)
  --preprocess <mode>   letterbox (default, as predict), crop (as valid) or resize
  --size <n>            network input size (multiple of 32)
  --numerics <mode>     fast (default) or reference
  --json                print { image: [{ classId, className, probability }] } as JSON`,
  'classify-eval': `usage: darknet-node classify-eval --cfg <file> --weights <file> --data <file.data|list.txt> [options]
  top-1 and top-k accuracy as \`darknet classifier valid\` computes them: each image center-cropped,
  its class the first label found in its path (ImageNet: the WordNet id, n01440764…)
  --data <file>         a Darknet .data file (valid=, labels=, classes=, top=) or a list of image paths
  --labels <file>       labels, one per class in output order (default: the .data file's labels=,
                        else ImageNet's WordNet ids for 1000-class networks)
  --classes <n>         outputs that take part (default: the .data file's classes=, else all)
  --top <k>             k of top-k (default: the .data file's top=, else 5)
  --size <n>            network input size (multiple of 32)
  --numerics <mode>     fast (default) or reference`,
};

const int = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a positive integer`);
  return Number(v);
};

function numericsOf(v: string | undefined): Numerics {
  const n = v ?? 'fast';
  if (n !== 'fast' && n !== 'reference') throw new UsageError('--numerics must be fast or reference');
  return n;
}

function loadClassifier(v: { cfg?: string | undefined; weights?: string | undefined; names?: string | undefined; size?: string | undefined; numerics?: string | undefined }, help: string): Promise<Classifier> {
  if (!v.cfg || !v.weights) throw new UsageError(help);
  const size = int(v.size, 'size');
  return Classifier.load({
    cfg: v.cfg, weights: v.weights, numerics: numericsOf(v.numerics),
    ...(v.names ? { names: v.names } : {}), ...(size ? { width: size, height: size } : {}),
  });
}

async function cmdClassify(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { cfg: { type: 'string' }, weights: { type: 'string' }, names: { type: 'string' }, top: { type: 'string' }, preprocess: { type: 'string' }, size: { type: 'string' }, numerics: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (!positionals.length) throw new UsageError(CLASSIFY_HELP.classify!);
  const top = int(values.top, 'top') ?? 5;
  const preprocess = (values.preprocess ?? 'letterbox') as Preprocess;
  if (!['letterbox', 'crop', 'resize'].includes(preprocess)) throw new UsageError('--preprocess must be letterbox, crop or resize');
  const c = await loadClassifier(values, CLASSIFY_HELP.classify!);
  try {
    const all: Record<string, unknown[]> = {};
    for (const [i, image] of positionals.entries()) {
      const t = performance.now();
      const r = await c.classify(image, { top, preprocess });
      const ms = performance.now() - t;
      all[image] = r.top;
      if (!values.json) {
        console.log(`${image}: predicted in ${ms.toFixed(0)} ms`);
        for (const k of r.top) console.log(`${(k.probability * 100).toFixed(2).padStart(5)}%: ${k.className}`);
      }
      if (positionals.length > 3) progressBar(i + 1, positionals.length, 'classify');
    }
    if (values.json) console.log(JSON.stringify(all, null, 2));
  } finally {
    c.dispose();
  }
}

async function cmdClassifyEval(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args, options: { cfg: { type: 'string' }, weights: { type: 'string' }, data: { type: 'string' }, labels: { type: 'string' }, classes: { type: 'string' }, top: { type: 'string' }, size: { type: 'string' }, numerics: { type: 'string' } },
  });
  const help = CLASSIFY_HELP['classify-eval']!;
  if (!values.data) throw new UsageError(help);
  let list = values.data;
  let data = new Map<string, string>();
  if (values.data.endsWith('.data')) {
    data = await readDataFile(values.data);
    list = dataEntry(data, 'valid', values.data, 'the list of images to evaluate');
  }
  const images = (await readList(list, 'image list')).filter(Boolean);
  if (!images.length) throw new DarknetError('DATASET', 'no images to evaluate', { file: list });
  const labelsFile = values.labels ?? data.get('labels');
  const classes = int(values.classes, 'classes') ?? int(data.get('classes'), 'classes (in the .data file)');
  const top = int(values.top, 'top') ?? int(data.get('top'), 'top (in the .data file)') ?? 5;
  const c = await loadClassifier(values, help);
  try {
    let labels: readonly string[];
    if (labelsFile) labels = await readList(labelsFile, 'labels');
    else if (c.classes === 1000) labels = IMAGENET_LABELS;
    else throw new UsageError(`--labels is needed: no default labels for a ${c.classes}-class network`);
    const r = await evaluateClassifier(c, {
      images, labels, top, ...(classes === undefined ? {} : { classes }),
      onProgress: (done, total, run) => progressBar(done, total, 'classify-eval', `  top-1 ${(run.top1 * 100).toFixed(2)}%, top-${top} ${(run.topK * 100).toFixed(2)}%`),
    });
    console.log(`${r.images} images: top-1 ${(r.top1 * 100).toFixed(2)}%, top-${r.top} ${(r.topK * 100).toFixed(2)}%`);
    if (r.unlabelled) console.log(`${r.unlabelled} image path(s) hold no label: counted as misses, as Darknet counts them`);
    // validate_classifier_single's last line, to set beside Darknet's
    console.log(`${r.images - 1}: top 1: ${r.top1.toFixed(6)}, top ${r.top}: ${r.topK.toFixed(6)}`);
  } finally {
    c.dispose();
  }
}

export const CLASSIFY_COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  classify: cmdClassify,
  'classify-eval': cmdClassifyEval,
};
