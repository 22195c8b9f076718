import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { fromDarknetLabels } from '../../lib/eval/index.js';
import { generateSyntheticDataset, kmeansAnchors, SHAPES } from '../../lib/train/index.js';
import { CACHE } from '../helpers/fixtures.js';

describe('synthetic shapes dataset', () => {
  it('is deterministic for a seed, in Darknet layout, with labels that match the pixels', async () => {
    const a = join(CACHE, 'synth-a');
    const b = join(CACHE, 'synth-b');
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
    const ds = await generateSyntheticDataset({ dir: a, seed: 5, train: 8, val: 4, width: 96, height: 80, maxShapes: 3 });
    const again = await generateSyntheticDataset({ dir: b, seed: 5, train: 8, val: 4, width: 96, height: 80, maxShapes: 3 });
    expect(ds.images).toHaveLength(12);
    ds.images.forEach((im, i) => {
      expect(readFileSync(im.path).equals(readFileSync(again.images[i]!.path))).toBe(true);
      expect(readFileSync(im.labelPath, 'utf8')).toBe(readFileSync(again.images[i]!.labelPath, 'utf8'));
      expect(im.labelPath).toBe(im.path.replace('/images/', '/labels/').replace(/\.png$/, '.txt'));
    });
    expect(readFileSync(ds.dataFile, 'utf8')).toMatch(new RegExp(`^classes=${SHAPES.length}\\ntrain=.*train.txt\\nvalid=.*val.txt\\nnames=.*\\nbackup=`));
    expect(readFileSync(ds.trainList, 'utf8').trim().split('\n')).toHaveLength(8);

    for (const im of ds.images) {
      const labels = fromDarknetLabels(readFileSync(im.labelPath, 'utf8'), im.width, im.height, im.path, im.labelPath);
      expect(labels.map((l) => l.categoryId)).toEqual(im.objects.map((o) => o.classId));
      labels.forEach((l, k) => {
        const o = im.objects[k]!;
        l.bbox.forEach((v, j) => expect(v).toBeCloseTo(o.box[j]!, 3));
      });
      // the top-most object is drawn last: its centre pixel has its colour, the pixel left of
      // its box does not (background or another shape)
      const { data } = await sharp(im.path).raw().toBuffer({ resolveWithObject: true });
      const top = im.objects[im.objects.length - 1]!;
      const [x, y, w, h] = top.box;
      const at = (px: number, py: number) => [...data.subarray((py * im.width + px) * 3, (py * im.width + px) * 3 + 3)];
      expect(at(Math.floor(x + w / 2), Math.floor(y + h / 2))).toEqual(top.color);
      if (x > 0) expect(at(x - 1, Math.floor(y + h / 2))).not.toEqual(top.color);
    }
  });

  it('feeds k-means anchors with the boxes it labelled', async () => {
    const ds = await generateSyntheticDataset({ dir: join(CACHE, 'synth-k'), seed: 2, train: 30, val: 0, width: 128, height: 128 });
    const boxes = ds.images.flatMap((im) => im.objects.map((o) => [o.box[2], o.box[3]] as [number, number]));
    const r = kmeansAnchors(boxes, 6, { seed: 1 });
    expect(r.anchors).toHaveLength(6);
    expect(r.avgIou).toBeGreaterThan(0.6);
    for (const [w, h] of r.anchors) {
      expect(w).toBeGreaterThanOrEqual(6);
      expect(h).toBeLessThanOrEqual(48);
    }
  });
});
