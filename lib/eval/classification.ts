import type { Classifier, Preprocess } from '../classifier.js';
import { topK } from '../classifier.js';
import { atIndex } from '../errors.js';
import * as is from '../is.js';
import { PREPROCESS } from '../options.js';

export interface ClassifierEvalOptions {
  /** image paths (a .data file's `valid=` list) */
  images: readonly string[];
  /**
   * Class labels in output order (a .data file's `labels=`; ImageNet's WordNet ids for the 1k
   * networks). An image's class is the first label that occurs anywhere in its path, as
   * `darknet classifier valid` finds it (strstr); an image whose path holds none counts as a miss.
   */
  labels: readonly string[];
  /** how many outputs take part (`classes=`; default: all the network's) */
  classes?: number;
  /** k of top-k (default 5) */
  top?: number;
  /** default 'crop', as `darknet classifier valid` prepares images (center_crop_image) */
  preprocess?: Preprocess;
  /** after each image: images done, total, and the running top-1 and top-k */
  onProgress?: (done: number, total: number, running: { top1: number; topK: number }) => void;
  signal?: AbortSignal;
}

export interface ClassifierEvaluation {
  images: number;
  /** k of top-k */
  top: number;
  /** fraction of images whose most probable class is their label's */
  top1: number;
  /** fraction whose label's class is among the k most probable */
  topK: number;
  /** images whose path holds no label */
  unlabelled: number;
}

/** validate_classifier_single's label rule: the first of `classes` labels that occurs in the path, or -1. */
export function labelOf(path: string, labels: readonly string[], classes = labels.length): number {
  for (let j = 0; j < classes; j++) if (path.includes(labels[j]!)) return j;
  return -1;
}

/** Classifications in flight at once: the next images decode while the network runs. */
const WINDOW = 4;

/**
 * Top-1 and top-k accuracy over labelled images, computed as `darknet classifier valid`
 * (validate_classifier_single) computes them: each image center-cropped to the network's size,
 * top_k over the first `classes` outputs, the running sums in single precision. Images are
 * read from their paths; a failure names the image.
 */
export async function evaluateClassifier(classifier: Classifier, o: ClassifierEvalOptions): Promise<ClassifierEvaluation> {
  is.object(o, 'options', 'evaluateClassifier needs { images, labels }');
  if (!Array.isArray(o.images) || o.images.some((p) => typeof p !== 'string')) throw is.invalid('images', 'an array of paths');
  is.stringArray('labels', o.labels);
  const classes = is.integer('classes', o.classes ?? classifier.classes, 1, classifier.classes, " (the network's outputs)");
  // Darknet would read labels past the end of the list
  if (o.labels.length < classes) throw is.badInput(`${o.labels.length} labels for ${classes} classes`);
  const top = is.integer('top', o.top ?? 5, 1, classes);
  const preprocess = is.oneOf('preprocess', o.preprocess ?? 'crop', PREPROCESS);
  const { onProgress, signal } = o;
  is.fn('onProgress', onProgress);
  is.signal(signal);

  const n = o.images.length;
  // avg_acc and avg_topk are floats in classifier.c
  let hits1 = 0;
  let hitsK = 0;
  let unlabelled = 0;
  const rate = (hits: number, done: number) => Math.fround(Math.fround(hits) / done);
  const run = (i: number) => classifier.classify(o.images[i]!, { top: 1, preprocess }).catch((e: unknown) => { throw atIndex(e, i); });
  const pending: Array<ReturnType<typeof run>> = [];
  for (let i = 0; i < Math.min(WINDOW, n); i++) pending.push(run(i));
  try {
    for (let i = 0; i < n; i++) {
      signal?.throwIfAborted();
      const { probabilities } = await pending.shift()!;
      if (i + WINDOW < n) pending.push(run(i + WINDOW));
      const label = labelOf(o.images[i]!, o.labels, classes);
      if (label < 0) unlabelled++;
      const best = topK(probabilities, top, classes);
      if (best[0] === label) hits1++;
      if (best.includes(label)) hitsK++;
      onProgress?.(i + 1, n, { top1: rate(hits1, i + 1), topK: rate(hitsK, i + 1) });
    }
  } finally {
    // settle what is still in flight: no rejection left unhandled
    await Promise.allSettled(pending);
  }
  return { images: n, top, top1: n ? rate(hits1, n) : 0, topK: n ? rate(hitsK, n) : 0, unlabelled };
}
