/**
 * Evaluation maths on hand-built cases; every expected value is derived by hand in the comment
 * next to it (COCOeval: 101 recall points, monotone precision envelope, searchsorted 'left').
 */
import { describe, expect, it } from 'vitest';
import { AREA_RANGES, cocoEvaluate, darknetMap, IOU_THRESHOLDS, MAX_DETS, RECALL_THRESHOLDS, type GroundTruth, type Prediction } from '../../lib/eval/index.js';

/** COCOeval divides by tp + fp + ε, so a perfect score is 1 − 2.2e-16: compare to 12 digits. */
function near(actual: object, expected: Record<string, number>) {
  for (const [k, v] of Object.entries(expected)) expect((actual as Record<string, number>)[k], k).toBeCloseTo(v, 12);
}

const gt = (imageId: number, categoryId: number, bbox: [number, number, number, number], extra: Partial<GroundTruth> = {}): GroundTruth => ({ imageId, categoryId, bbox, ...extra });
const dt = (imageId: number, categoryId: number, bbox: [number, number, number, number], score: number): Prediction => ({ imageId, categoryId, bbox, score });

describe('COCOeval', () => {
  it('exports frozen parameter arrays (no caller can change the evaluation for everyone)', () => {
    for (const a of [IOU_THRESHOLDS, RECALL_THRESHOLDS, MAX_DETS, AREA_RANGES, ...AREA_RANGES]) expect(Object.isFrozen(a)).toBe(true);
    // numpy's linspace(.5, .95, 10): .85 and .9 are not .5 + k × .05 in doubles
    expect(IOU_THRESHOLDS[7]).toBe(7 * ((0.95 - 0.5) / 9) + 0.5);
    expect(IOU_THRESHOLDS[9]).toBe(0.95);
  });

  it('perfect detections score 1; area ranges without ground truth are -1', () => {
    const g = [gt(1, 1, [10, 10, 200, 200]), gt(1, 2, [300, 300, 150, 120]), gt(2, 1, [0, 0, 120, 100])];
    const r = cocoEvaluate(g, g.map((x, i) => dt(x.imageId as number, x.categoryId, x.bbox, 0.9 - i * 0.1)));
    near(r.stats, { AP: 1, AP50: 1, AP75: 1, APlarge: 1, AR1: 1, AR100: 1, ARlarge: 1 });
    expect(r.stats.APsmall).toBe(-1);
    expect(r.stats.APmedium).toBe(-1);
  });

  it('a known precision curve: TP, FP, TP, TP over 4 ground truths → AP = 63.5/101', () => {
    // points (recall, precision): (.25, 1), (.25, .5), (.5, .667), (.75, .75); envelope 1, .75, .75, .75.
    // recall thresholds 0….25 (26 of them) → 1; .26….75 (50) → .75; .76…1 (25) → 0.
    const g = [0, 1, 2, 3].map((i) => gt(1, 1, [i * 100, 0, 50, 50]));
    const d = [dt(1, 1, g[0]!.bbox, 0.9), dt(1, 1, [500, 500, 40, 40], 0.8), dt(1, 1, g[1]!.bbox, 0.7), dt(1, 1, g[2]!.bbox, 0.6)];
    const r = cocoEvaluate(g, d);
    expect(r.stats.AP).toBeCloseTo(63.5 / 101, 12);
    expect(r.stats.AP50).toBeCloseTo(63.5 / 101, 12);
    expect(r.stats.AR100).toBeCloseTo(0.75, 12);
  });

  it('a duplicate detection of the same object is a false positive', () => {
    // A hit (.9), A again (.8, FP), B hit (.7): points (.5, 1), (.5, .5), (1, .667); envelope 1, .667, .667.
    // thresholds 0….50 (51) → 1; .51…1 (50) → 2/3.  AP = (51 + 50·2/3) / 101.
    const g = [gt(1, 1, [0, 0, 50, 50]), gt(1, 1, [100, 100, 50, 50])];
    const r = cocoEvaluate(g, [dt(1, 1, g[0]!.bbox, 0.9), dt(1, 1, g[0]!.bbox, 0.8), dt(1, 1, g[1]!.bbox, 0.7)]);
    expect(r.stats.AP).toBeCloseTo((51 + 50 * (2 / 3)) / 101, 12);
  });

  it('an image without annotations counts its detections as false positives when it is evaluated', () => {
    // image 2 holds only a .95 false positive: points (0, 0), (1, .5); envelope .5, .5 → AP = .5.
    const g = [gt(1, 1, [0, 0, 60, 60])];
    const d = [dt(1, 1, [0, 0, 60, 60], 0.9), dt(2, 1, [0, 0, 60, 60], 0.95)];
    expect(cocoEvaluate(g, d, { imageIds: [1, 2] }).stats.AP).toBeCloseTo(0.5, 12);
    // image 2 is not among the images (it has no ground truth): refused, as COCO.loadRes does
    expect(() => cocoEvaluate(g, d)).toThrow(expect.objectContaining({ code: 'BAD_INPUT', message: expect.stringContaining('not in the ground truth') }));
    near(cocoEvaluate(g, d.slice(0, 1)).stats, { AP: 1 });
    // an image with neither ground truth nor detections changes nothing
    near(cocoEvaluate(g, d.slice(0, 1), { imageIds: [1, 3] }).stats, { AP: 1 });
  });

  it('assigns objects to small (< 32²), medium (< 96²) and large by area', () => {
    // 20×20 (400), 50×50 (2500), 100×100 (10000); the medium one is missed.
    // all areas: points (1/3, 1), (2/3, 1) → thresholds 0….66 (67) → 1 → AP = 67/101.
    const g = [gt(1, 1, [0, 0, 20, 20]), gt(1, 1, [100, 0, 50, 50]), gt(1, 1, [200, 0, 100, 100])];
    const r = cocoEvaluate(g, [dt(1, 1, g[0]!.bbox, 0.9), dt(1, 1, g[2]!.bbox, 0.8)]);
    near(r.stats, { APsmall: 1, APmedium: 0, APlarge: 1, ARsmall: 1, ARmedium: 0, ARlarge: 1, AR1: 1 / 3 });
    expect(r.stats.AP).toBeCloseTo(67 / 101, 12);
    expect(r.stats.AR100).toBeCloseTo(2 / 3, 12);
  });

  it('a detection inside a crowd region is ignored, not a false positive (IoU over the detection area)', () => {
    const g = [gt(1, 1, [0, 0, 100, 100], { iscrowd: true }), gt(1, 1, [300, 300, 50, 50])];
    const d = [dt(1, 1, [10, 10, 10, 10], 0.95), dt(1, 1, [300, 300, 50, 50], 0.9)];
    near(cocoEvaluate(g, d).stats, { AP: 1 });
    // as an ordinary box the small detection (IoU .01) is a .95 false positive. Two ground truths
    // now: points (0, 0), (.5, .5); envelope .5, .5 → thresholds 0….50 (51) → .5, the rest 0.
    near(cocoEvaluate([{ ...g[0]!, iscrowd: false }, g[1]!], d).stats, { AP: (51 * 0.5) / 101 });
  });

  it('maxDets: AR@1 sees only the top-scoring detection', () => {
    const g = [gt(1, 1, [0, 0, 40, 40])];
    const r = cocoEvaluate(g, [dt(1, 1, [200, 200, 40, 40], 0.9), dt(1, 1, [0, 0, 40, 40], 0.8)]);
    near(r.stats, { AR1: 0, AR10: 1 });
  });

  it('IoU thresholds .50:.05:.95: an IoU of .62 counts at .50, .55 and .60 only', () => {
    // gt 10×10, detection 10×6.2 inside it: IoU = 62/100. AP = (3 × 1 + 7 × 0) / 10.
    const r = cocoEvaluate([gt(1, 1, [0, 0, 10, 10])], [dt(1, 1, [0, 0, 10, 6.2], 0.9)]);
    near(r.stats, { AP50: 1, AP75: 0, AP: 0.3 });
  });

  it('averages over categories that have ground truth', () => {
    // category 1 perfect (1), category 2 found nothing (0), category 3 has no ground truth (-1, skipped)
    const g = [gt(1, 1, [0, 0, 50, 50]), gt(1, 2, [100, 100, 50, 50])];
    const r = cocoEvaluate(g, [dt(1, 1, [0, 0, 50, 50], 0.9), dt(1, 3, [100, 100, 50, 50], 0.9)], { categoryIds: [1, 2, 3] });
    expect(r.stats.AP).toBeCloseTo(0.5, 12);
  });
});

describe('Darknet-style mAP@0.5 (all-point interpolation)', () => {
  it('is 1 for perfect detections', () => {
    const g = [gt(1, 1, [0, 0, 50, 50]), gt(2, 2, [10, 10, 30, 30])];
    expect(darknetMap(g, g.map((x) => dt(x.imageId as number, x.categoryId, x.bbox, 0.9))).map).toBe(1);
  });

  it('integrates the envelope at each recall change: TP, FP, TP, TP over 4 objects → .625', () => {
    // envelope 1 (r ≤ .25), .75 (.25 < r ≤ .75), 0 after: .25·1 + .25·.75 + .25·.75 = .625
    const g = [0, 1, 2, 3].map((i) => gt(1, 1, [i * 100, 0, 50, 50]));
    const d = [dt(1, 1, g[0]!.bbox, 0.9), dt(1, 1, [500, 500, 40, 40], 0.8), dt(1, 1, g[1]!.bbox, 0.7), dt(1, 1, g[2]!.bbox, 0.6)];
    const r = darknetMap(g, d);
    expect(r.map).toBeCloseTo(0.625, 12);
    expect(r.perClass.get(1)).toMatchObject({ tp: 3, fp: 1, gt: 4 });
  });

  it('counts a second hit on the same object as a false positive', () => {
    const g = [gt(1, 1, [0, 0, 50, 50])];
    const r = darknetMap(g, [dt(1, 1, [0, 0, 50, 50], 0.9), dt(1, 1, [1, 1, 50, 50], 0.8)]);
    expect(r.perClass.get(1)).toMatchObject({ tp: 1, fp: 1 });
    expect(r.map).toBe(1); // the duplicate comes after full recall
  });
});

import { fromCocoAnnotations, fromCocoResults, fromDarknetLabels } from '../../lib/eval/index.js';

describe('formats', () => {
  it('reads COCO annotations with crowd flags and unannotated images, and results files', () => {
    const ds = fromCocoAnnotations({
      images: [{ id: 1, file_name: 'a.jpg', width: 640, height: 480 }, { id: 2, file_name: 'b.jpg', width: 10, height: 10 }],
      annotations: [
        { id: 1, image_id: 1, category_id: 18, bbox: [10, 20, 30, 40], area: 1000, iscrowd: 0 },
        { id: 2, image_id: 1, category_id: 18, bbox: [0, 0, 200, 200], area: 30000, iscrowd: 1 },
      ],
      categories: [{ id: 18, name: 'dog' }, { id: 1, name: 'person' }],
    });
    expect(ds.imageIds).toEqual([1, 2]);
    expect(ds.categoryIds).toEqual([1, 18]);
    expect(ds.groundTruth[1]).toMatchObject({ iscrowd: true, area: 30000 });
    const res = fromCocoResults([{ image_id: 1, category_id: 18, bbox: [10, 20, 30, 40], score: 0.9 }, { image_id: 2, category_id: 18, bbox: [0, 0, 5, 5], score: 0.95 }]);
    // image 2 (unannotated) holds a .95 false positive: points (0, 0), (1, .5) → AP .5; category 1 has no ground truth (-1, skipped)
    near(cocoEvaluate(ds.groundTruth, res, ds).stats, { AP: 0.5 });
    expect(() => fromCocoResults([{ image_id: 1, bbox: [1, 2, 3] }], 'r.json')).toThrow(expect.objectContaining({ code: 'BAD_INPUT', file: 'r.json' }));
  });

  it('reads Darknet label files into pixel boxes and names the bad line', () => {
    expect(fromDarknetLabels('2 0.5 0.5 0.25 0.5\n\n0 0.1 0.2 0.2 0.2\n', 400, 200, 'img')).toEqual([
      { imageId: 'img', categoryId: 2, bbox: [150, 50, 100, 100] },
      { imageId: 'img', categoryId: 0, bbox: [0, 20, 80, 40] },
    ]);
    expect(() => fromDarknetLabels('1 0.5 0.5 0.2\n', 10, 10, 1, 'x.txt')).toThrow(expect.objectContaining({ code: 'BAD_INPUT', file: 'x.txt', line: 1 }));
  });
});
