import { describe, expect, it } from 'vitest';
import { kmeansAnchors } from '../../lib/train/anchors.js';

describe('kmeansAnchors (1 − IoU k-means)', () => {
  it('recovers three well-separated box sizes exactly, sorted by area', () => {
    const boxes: Array<[number, number]> = [];
    for (let i = 0; i < 30; i++) boxes.push([10, 20], [60, 30], [150, 150]);
    const r = kmeansAnchors(boxes, 3, { seed: 1 });
    expect(r.anchors).toEqual([[10, 20], [60, 30], [150, 150]]);
    expect(r.avgIou).toBeCloseTo(1, 12);
  });

  it('averages a cluster: {8×8, 12×12} → 10×10 (IoU-based assignment, arithmetic centre)', () => {
    const r = kmeansAnchors([[8, 8], [12, 12], [100, 100], [100, 100]], 2, { seed: 3 });
    expect(r.anchors).toEqual([[10, 10], [100, 100]]);
    // mean IoU: 8×8 vs 10×10 = .64, 12×12 vs 10×10 = 100/144, the two 100×100 = 1
    expect(r.avgIou).toBeCloseTo((0.64 + 100 / 144 + 2) / 4, 12);
  });

  it('is deterministic for a seed and refuses impossible requests', () => {
    const boxes: Array<[number, number]> = Array.from({ length: 50 }, (_, i) => [5 + (i * 37) % 90, 5 + (i * 53) % 70]);
    expect(kmeansAnchors(boxes, 6, { seed: 9 })).toEqual(kmeansAnchors(boxes, 6, { seed: 9 }));
    expect(() => kmeansAnchors([[1, 1]], 2)).toThrow(RangeError);
    expect(() => kmeansAnchors(boxes, 0)).toThrow(RangeError);
  });
});
