/**
 * Seeded COCO evaluation scenarios (annotations + results JSON, as pycocotools reads them) built
 * to hit every place where a re-implementation of COCOeval can drift: ties across images,
 * unsorted and string image ids, `ignore` fields, IoUs exactly on thresholds, crowd boxes matched
 * by several detections, more than 100 detections per image with ties at the cut, areas exactly
 * 32² and 96², empty images, categories only in ground truth or only in results, parameter
 * subsets, and results on unknown images (which both must refuse).
 */
import { mulberry32 } from '../../lib/prng.js';

export interface Scenario {
  name: string;
  annotations: { images: Array<{ id: number | string; file_name: string; width: number; height: number }>; annotations: Array<Record<string, unknown>>; categories: Array<{ id: number; name: string }> };
  results: Array<{ image_id: number | string; category_id: number; bbox: number[]; score: number }>;
  imgIds?: Array<number | string>;
  catIds?: number[];
  /** the results name an image the annotations lack */
  unknownImage?: boolean;
}

export function makeScenarios(count: number, seed = 20261202): Scenario[] {
  const out: Scenario[] = [];
  for (let s = 0; s < count; s++) out.push(makeScenario(s, mulberry32(seed + s * 7919)));
  return out;
}

function makeScenario(s: number, rnd: () => number): Scenario {
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const chance = (p: number) => rnd() < p;
  const shuffle = <T>(xs: T[]) => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  };
  const size = s % 10 === 9 ? 'large' : s % 3 === 0 ? 'medium' : 'small';
  const nImages = size === 'large' ? int(250, 500) : size === 'medium' ? int(40, 120) : int(1, 15);
  const stringIds = s % 4 === 1;
  const idPool = shuffle(Array.from({ length: nImages * 3 }, (_, i) => i)).slice(0, nImages);
  const imageIds = idPool.map((i) => (stringIds ? pick(['img', 'IMG', 'a', 'b_']) + String(i) : i));
  const images = imageIds.map((id) => ({ id, file_name: `${id}.jpg`, width: 640, height: 480 }));
  const nCats = size === 'small' ? int(1, 4) : int(3, 20);
  const catIds = shuffle(Array.from({ length: 90 }, (_, i) => i + 1)).slice(0, nCats);
  const categories = catIds.map((id) => ({ id, name: `c${id}` }));
  const onlyInResults = chance(0.4) ? 91 + int(0, 5) : undefined;
  const gtCats = chance(0.5) && nCats > 1 ? catIds.slice(1) : catIds; // a category without ground truth
  const round = pick([0, 1, 2, 3, 6]); // score decimals: 1–3 make ties across images
  const score = () => {
    const v = rnd();
    return round ? Number(v.toFixed(round)) : v;
  };
  // widths and heights whose products land exactly on the area boundaries, and whose ratios
  // give IoUs exactly on thresholds (85/100, 340/400, 9/10 …)
  const sides = [20, 32, 40, 50, 64, 96, 100, 128, 200, 400, 17, 33, 95, 97];
  const annotations: Array<Record<string, unknown>> = [];
  const results: Scenario['results'] = [];
  let annId = 1;
  for (const img of images) {
    if (chance(0.15)) continue; // an image with no annotations
    const n = int(0, size === 'small' ? 8 : 5);
    for (let a = 0; a < n; a++) {
      const w = pick(sides), h = pick(sides);
      const x = int(0, 400), y = int(0, 300);
      const crowd = chance(0.08);
      const cat = pick(gtCats);
      const area = chance(0.15) ? pick([1024, 9216, w * h * 0.8, w * h]) : w * h;
      const ann: Record<string, unknown> = { id: annId++, image_id: img.id, category_id: cat, bbox: [x, y, crowd ? w * 2 : w, crowd ? h * 2 : h], area: crowd ? area * 4 : area, iscrowd: crowd ? 1 : 0 };
      if (chance(0.2)) ann.ignore = chance(0.5) ? 1 : 0;
      annotations.push(ann);
      // detections of it: exact, shrunk to an exact IoU, jittered, duplicated; several on crowds
      const nd = crowd ? int(1, 4) : int(0, 3);
      for (let d = 0; d < nd; d++) {
        const bw = ann.bbox as number[];
        const kind = int(0, 3);
        const box = kind === 0 ? [...bw]
          : kind === 1 ? [bw[0]!, bw[1]!, bw[2]! * pick([0.85, 0.9, 0.5, 0.75, 0.95, 0.7]), bw[3]!]
          : kind === 2 ? [bw[0]! + int(-5, 5), bw[1]! + int(-5, 5), Math.max(1, bw[2]! + int(-8, 8)), Math.max(1, bw[3]! + int(-8, 8))]
          : [bw[0]! + rnd() * 10, bw[1]! + rnd() * 10, bw[2]! * (0.6 + rnd() * 0.6), bw[3]! * (0.6 + rnd() * 0.6)];
        results.push({ image_id: img.id, category_id: chance(0.9) ? cat : pick(catIds), bbox: box, score: score() });
      }
    }
    // false positives, sometimes in a category only the results have
    for (let f = int(0, 3); f > 0; f--) {
      results.push({ image_id: img.id, category_id: onlyInResults !== undefined && chance(0.3) ? onlyInResults : pick(catIds), bbox: [int(0, 500), int(0, 400), pick(sides), pick(sides)], score: score() });
    }
  }
  // more than 100 detections on one image of one category, ties at the cut
  if (s % 5 === 2) {
    const img = pick(images);
    const cat = pick(catIds);
    for (let i = 0; i < int(101, 140); i++) results.push({ image_id: img.id, category_id: cat, bbox: [int(0, 500), int(0, 400), pick(sides), pick(sides)], score: i < 95 ? 0.9 : 0.5 });
  }
  // detections on images without ground truth
  for (const img of images.filter(() => chance(0.05))) results.push({ image_id: img.id, category_id: pick(catIds), bbox: [10, 10, 40, 40], score: score() });
  // a category with ground truth and no results at all
  if (s % 3 === 2 && gtCats.length > 1) {
    const gone = gtCats[gtCats.length - 1]!;
    for (let i = results.length - 1; i >= 0; i--) if (results[i]!.category_id === gone) results.splice(i, 1);
  }
  if (!results.length) results.push({ image_id: images[0]!.id, category_id: catIds[0]!, bbox: [0, 0, 10, 10], score: 0.5 });
  shuffle(results);
  const sc: Scenario = { name: `#${s} ${size}${stringIds ? ' string-ids' : ''} round=${round}`, annotations: { images, annotations: shuffle(annotations), categories: shuffle(categories) }, results };
  if (s % 11 === 4) sc.imgIds = images.filter(() => chance(0.6)).map((i) => i.id);
  if (s % 13 === 6) sc.catIds = catIds.filter(() => chance(0.6));
  if (s % 17 === 8) {
    sc.results.push({ image_id: stringIds ? 'nowhere' : 999_999, category_id: catIds[0]!, bbox: [0, 0, 5, 5], score: 0.5 });
    sc.unknownImage = true;
  }
  return sc;
}
