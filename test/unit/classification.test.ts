/** Darknet's classifier arithmetic in TypeScript: top_k's order and valid's label rule. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { topK } from '../../lib/classifier.js';
import { labelOf } from '../../lib/eval/classification.js';
import { IMAGENET_LABELS, IMAGENET_NAMES } from '../../lib/imagenet.js';
import { DARKNET_SHARE } from '../helpers/fixtures.js';

describe('topK (utils.c top_k)', () => {
  it('largest first; of equal values the lower index first; k beyond n gives n', () => {
    expect(topK([0.1, 0.4, 0.2, 0.4, 0.3], 3)).toEqual([1, 3, 4]);
    expect(topK([0.5, 0.5, 0.5], 2)).toEqual([0, 1]);
    expect(topK([0.2, 0.7], 5)).toEqual([1, 0]);
    // valid compares only the first `classes` outputs
    expect(topK([0.1, 0.2, 0.9], 1, 2)).toEqual([1]);
  });
});

describe('labelOf (validate_classifier_single: strstr over the labels, first match)', () => {
  const labels = ['n01', 'n012', 'cat', ''];
  it('finds a label anywhere in the path, the first in label order winning', () => {
    expect(labelOf('/val/ILSVRC2012_val_00000001.n012.JPEG', labels)).toBe(0); // "n01" occurs first in order
    expect(labelOf('/data/cat/1.png', labels, 3)).toBe(2);
    expect(labelOf('/data/dog/1.png', labels, 3)).toBe(-1);
    // an empty label occurs in every path, as strstr finds "" anywhere
    expect(labelOf('/data/dog/1.png', labels)).toBe(3);
  });

  it('ships ImageNet-1k in Darknet\'s order: names and WordNet ids, 1000 each', () => {
    expect(IMAGENET_NAMES).toHaveLength(1000);
    expect(IMAGENET_LABELS).toHaveLength(1000);
    expect([IMAGENET_NAMES[0], IMAGENET_LABELS[0]]).toEqual(['kit fox', 'n02119789']);
    expect(new Set(IMAGENET_LABELS).size).toBe(1000);
    expect(IMAGENET_LABELS.every((l) => /^n\d{8}$/.test(l))).toBe(true);
    const first1000 = (f: string) => readFileSync(join(DARKNET_SHARE, 'data', f), 'utf8').split('\n').slice(0, 1000);
    expect(IMAGENET_NAMES).toEqual(first1000('imagenet.shortnames.list'));
    expect(IMAGENET_LABELS).toEqual(first1000('imagenet.labels.list'));
  });
});
