/**
 * The classifier commands against Debian's darknet on tiny.cfg (random weights of the real size):
 * `classify` prints what `darknet classifier predict` prints, `classify-eval` reaches the numbers
 * `darknet classifier valid` reaches on a labelled set made here, and `info` prints the layer
 * table Darknet prints.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { Classifier } from '../../lib/classifier.js';
import { IMAGENET_LABELS } from '../../lib/imagenet.js';
import { DARKNET, dataFile, ensureClassifier, type ClassifierFixture } from '../helpers/classifiers.js';
import { CACHE, pngPath, ROOT, SAMPLE_IMAGES } from '../helpers/fixtures.js';
import { run as runProcess } from '../helpers/proc.js';

const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const run = (...args: string[]) => runProcess(process.execPath, [CLI, ...args], { timeout: 300_000 });

let fx: ClassifierFixture;
beforeAll(async () => {
  fx = await ensureClassifier('tiny');
});

/** Darknet's predict output for images given on the command line, one run each. */
async function darknetPredictText(image: string): Promise<{ lines: string[]; table: string[] }> {
  const r = await runProcess(DARKNET, ['classifier', 'predict', dataFile(join(CACHE, 'cls-cli.data')), fx.cfg, fx.weights, image], { timeout: 120_000 });
  expect(r.status).toBe(0);
  return {
    lines: r.stdout.split('\n').filter((l) => /%: /.test(l)),
    table: r.stderr.split('\n').filter((l) => /^\s+\d+ (conv|max|avg|softmax)/.test(l)),
  };
}

describe('darknet-node classify / classify-eval / info', () => {
  it('classify prints the lines darknet classifier predict prints; --json the classes and probabilities', async () => {
    const images = [pngPath('dog'), pngPath('giraffe')];
    const r = await run('classify', ...images, '--cfg', fx.cfg, '--weights', fx.weights, '--numerics', 'reference');
    expect(r.status).toBe(0);
    const blocks = r.stdout.split(/^.*: predicted in \d+ ms$/m).slice(1).map((b) => b.split('\n').filter(Boolean));
    expect(blocks).toHaveLength(2);
    for (const [i, image] of images.entries()) expect(blocks[i]).toEqual((await darknetPredictText(image)).lines);

    const json = await run('classify', images[0]!, '--cfg', fx.cfg, '--weights', fx.weights, '--top', '3', '--json');
    expect(json.status).toBe(0);
    const top = JSON.parse(json.stdout)[images[0]!] as Array<{ classId: number; className: string; probability: number }>;
    expect(top).toHaveLength(3);
    expect(top[0]!.probability).toBeGreaterThan(top[2]!.probability);
    expect(`${(top[0]!.probability * 100).toFixed(2).padStart(5)}%: ${top[0]!.className}`).toBe(blocks[0]![0]);
  });

  it('classify refuses usage mistakes with exit code 2', async () => {
    expect((await run('classify', pngPath('dog'))).status).toBe(2);
    expect((await run('classify', pngPath('dog'), '--cfg', fx.cfg, '--weights', fx.weights, '--top', 'x')).status).toBe(2);
    const det = await run('classify', pngPath('dog'), '--cfg', join(CACHE, 'tiny-416.cfg'), '--weights', join(CACHE, 'tiny.weights'));
    expect(det.status).toBe(1);
    expect(det.stderr).toMatch(/\[CFG_UNSUPPORTED\].*it is a detector/);
  });

  it('classify-eval: the top-1 and top-5 darknet classifier valid computes, on a labelled set named as imagenet_label.sh names it', async () => {
    const dir = join(CACHE, 'cls-eval');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // eight images: the sample images and mirrored/cropped copies of three (other pixels)
    const sources: Array<{ src: string; edit?: (s: Sharp) => Sharp }> = [
      ...SAMPLE_IMAGES.map((i) => ({ src: pngPath(i) })),
      { src: pngPath('dog'), edit: (s) => s.flop() },
      { src: pngPath('horses'), edit: (s) => s.extract({ left: 0, top: 0, width: 300, height: 250 }) },
      { src: pngPath('person'), edit: (s) => s.flip() },
    ];
    const plain = await Promise.all(sources.map(async ({ src, edit }, i) => {
      const file = join(dir, `plain-${i}.png`);
      await (edit ? edit(sharp(src)) : sharp(src)).png().toFile(file);
      return file;
    }));
    // each image labelled with the class the network ranks at `rank` on its center crop (−1:
    // no label in the path): top-1 hits 3 (ranks 0), top-5 hits 6 (ranks 0–4), as constructed
    const ranks = [0, 1, 4, 7, 0, 2, -1, 0];
    const c = await Classifier.load({ cfg: fx.cfg, weights: fx.weights, numerics: 'reference' });
    const paths: string[] = [];
    try {
      for (const [i, file] of plain.entries()) {
        const { top } = await c.classify(file, { top: 8, preprocess: 'crop' });
        const wnid = ranks[i]! < 0 ? 'unlabelled' : IMAGENET_LABELS[top[ranks[i]!]!.classId]!;
        const p = join(dir, `ILSVRC2012_val_${String(i + 1).padStart(8, '0')}.${wnid}.png`);
        await sharp(file).toFile(p);
        paths.push(p);
      }
    } finally {
      c.dispose();
    }
    const list = join(dir, 'valid.list');
    writeFileSync(list, `${paths.join('\n')}\n`);
    const data = dataFile(join(dir, 'eval.data'), { valid: list, top: 5 });

    const dn = await runProcess(DARKNET, ['classifier', 'valid', data, fx.cfg, fx.weights], { timeout: 300_000 });
    expect(dn.status).toBe(0);
    const dnLast = dn.stdout.split('\n').filter((l) => /^\d+: top 1: /.test(l)).at(-1);
    expect(dnLast).toBe('7: top 1: 0.375000, top 5: 0.750000');

    for (const numerics of ['reference', 'fast']) {
      const r = await run('classify-eval', '--cfg', fx.cfg, '--weights', fx.weights, '--data', data, '--numerics', numerics);
      expect(r.status).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toContain('8 images: top-1 37.50%, top-5 75.00%');
      expect(lines).toContain('1 image path(s) hold no label: counted as misses, as Darknet counts them');
      expect(lines.at(-1)).toBe(dnLast);
      expect(r.stderr).not.toMatch(/\r/); // progress only on a terminal
    }
    // a plain list, top-1 only: ImageNet's WordNet ids are the default labels of a 1000-class net
    const r1 = await run('classify-eval', '--cfg', fx.cfg, '--weights', fx.weights, '--data', list, '--top', '1');
    expect(r1.stdout).toContain('8 images: top-1 37.50%, top-1 37.50%');
  });

  it('info prints a classifier\'s layer table as Darknet prints it, and its output', async () => {
    const r = await run('info', fx.cfg);
    expect(r.status).toBe(0);
    const ours = r.stdout.split('\n').filter((l) => /^\s+\d+ /.test(l));
    const squash = (l: string) => l.trim().replace(/\s+/g, ' ');
    expect(ours.map(squash)).toEqual((await darknetPredictText(pngPath('dog'))).table.map(squash));
    expect(ours.at(-2)).toBe('   20 avg                       14 x  14 x1000   ->  1000');
    expect(ours.at(-1)).toBe('   21 softmax                                        1000');
    expect(r.stdout).toMatch(/total 0\.98 BFLOPs, 1000 outputs from layer 21 \(softmax\)/);
  });
});
