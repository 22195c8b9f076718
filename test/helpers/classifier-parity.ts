/**
 * Classifier parity: the addon against Debian's `darknet classifier predict` (the printed top-5
 * names and percentages, PNG inputs) and against libdarknet.so's whole probability vector
 * (classify-harness.c, letterboxed as predict does and center-cropped as valid does), in
 * reference numerics within 1e-4; fast numerics within 1e-4 of reference.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Classifier } from '../../lib/classifier.js';
import { CLASSIFIERS, darknetPredict, ensureClassifier, maxAbsDiff, referenceProbabilities, type ClassifierFixture, type ClassifierName, type CliTop } from './classifiers.js';
import { pngPath, type SampleImage } from './fixtures.js';

export const TOL = 1e-4;

export function classifierParity(name: ClassifierName, images: readonly SampleImage[]): void {
  describe(`${name} at ${CLASSIFIERS[name].size}: darknet classifier predict and libdarknet.so`, () => {
    let fx: ClassifierFixture;
    let cli: CliTop[][];
    let refLetterbox: Float32Array[];
    let refCrop: Float32Array[];
    let reference: Classifier;
    let fast: Classifier;

    beforeAll(async () => {
      fx = await ensureClassifier(name);
      cli = await darknetPredict(fx, images.map(pngPath));
      refLetterbox = await referenceProbabilities(fx, 'letterbox', images);
      refCrop = await referenceProbabilities(fx, 'crop', images.slice(0, 1));
      reference = await Classifier.load({ cfg: fx.cfg, weights: fx.weights, numerics: 'reference' });
      fast = await Classifier.load({ cfg: fx.cfg, weights: fx.weights, numerics: 'fast' });
    });
    afterAll(() => {
      reference?.dispose();
      fast?.dispose();
    });

    it.each(images.map((img, i) => [img, i] as const))('%s: top-5 as the CLI prints it, every probability within 1e-4 of libdarknet.so, fast within 1e-4 of reference', async (img, i) => {
      const r = await reference.classify(pngPath(img), { top: 5 });
      const printed = cli[i]!;
      expect(printed).toHaveLength(5);
      expect(r.top.map((t) => t.className)).toEqual(printed.map((p) => p.name));
      // the CLI prints two decimals of a percentage: ±0.005 % of rounding on top of the tolerance
      let worstCli = 0;
      r.top.forEach((t, k) => { worstCli = Math.max(worstCli, Math.abs(t.probability - printed[k]!.percent / 100)); });
      expect(worstCli).toBeLessThanOrEqual(5e-5 + TOL);
      // separated enough that the order is the network's, not rounding's
      expect(r.top[0]!.probability - r.top[4]!.probability).toBeGreaterThan(1e-3);
      const worstRef = maxAbsDiff(r.probabilities, refLetterbox[i]!);
      expect(worstRef).toBeLessThan(TOL);

      const f = await fast.classify(pngPath(img), { top: 5 });
      expect(f.top.map((t) => t.classId)).toEqual(r.top.map((t) => t.classId));
      const worstFast = maxAbsDiff(f.probabilities, r.probabilities);
      expect(worstFast).toBeLessThan(TOL);
      console.log(`${name} ${img}: top-1 ${r.top[0]!.className} ${(r.top[0]!.probability * 100).toFixed(2)}%; max |Δ| vs CLI (printed) ${worstCli.toExponential(2)}, vs libdarknet ${worstRef.toExponential(2)} (all ${r.probabilities.length}), fast vs reference ${worstFast.toExponential(2)}`);
    });

    it(`${images[0]}: center crop (as darknet classifier valid prepares images) within 1e-4 of libdarknet.so`, async () => {
      const r = await reference.classify(pngPath(images[0]!), { preprocess: 'crop' });
      const worst = maxAbsDiff(r.probabilities, refCrop[0]!);
      expect(worst).toBeLessThan(TOL);
      // the crop is not the letterbox: this compares another input
      expect(maxAbsDiff(r.probabilities, refLetterbox[0]!)).toBeGreaterThan(TOL);
      console.log(`${name} ${images[0]} crop: max |Δ| vs libdarknet ${worst.toExponential(2)}`);
    });
  });
}
