/**
 * Multi-object tracking scores: CLEAR-MOT (Bernardin & Stiefelhagen 2008: MOTA, MOTP, identity
 * switches) and the identity scores IDF1/IDP/IDR (Ristani et al. 2016), with the conventions of
 * py-motmetrics and the MOTChallenge devkit: a ground-truth object and a hypothesis correspond
 * when their IoU is at least 0.5.
 */
import type { Box } from '../detections.js';
import { maxScoreMatching } from '../track/assignment.js';
import { iou } from '../track/tracker.js';

export interface MotObject {
  id: number | string;
  box: Box;
}

/** One frame: the ground-truth objects and the tracker's hypotheses. */
export interface MotFrame {
  gt: readonly MotObject[];
  hyp: readonly MotObject[];
}

export interface MotOptions {
  /** least IoU for a correspondence (default 0.5) */
  minIou?: number;
}

export interface ClearMot {
  /** 1 − (misses + false positives + id switches) / ground-truth objects */
  mota: number;
  /** mean IoU of the corresponding pairs (py-motmetrics reports 1 − this) */
  motp: number;
  /** ground-truth objects over all frames */
  objects: number;
  matches: number;
  misses: number;
  falsePositives: number;
  idSwitches: number;
  /** times a ground-truth trajectory's coverage was interrupted and resumed */
  fragmentations: number;
  /** trajectories covered ≥ 80% / ≤ 20% of their frames */
  mostlyTracked: number;
  mostlyLost: number;
}

export interface IdScores {
  idf1: number;
  /** identity precision and recall */
  idp: number;
  idr: number;
  idtp: number;
  idfp: number;
  idfn: number;
}

export type MotScores = ClearMot & IdScores;

function minIouOf(o: MotOptions): number {
  const t = o.minIou ?? 0.5;
  if (!(t > 0 && t <= 1)) throw new RangeError(`minIou must be in (0, 1], got ${String(t)}`);
  return t;
}

/**
 * CLEAR-MOT. Per frame, a correspondence of the previous frame is kept while its IoU stays over
 * the gate; the remaining objects and hypotheses are paired optimally (total IoU). A ground-truth
 * object paired with a different hypothesis than at its last pairing counts an identity switch.
 */
export function clearMot(frames: readonly MotFrame[], options: MotOptions = {}): ClearMot {
  const gate = minIouOf(options);
  const last = new Map<MotObject['id'], MotObject['id']>(); // gt → hypothesis of its last pairing
  let previous = new Map<MotObject['id'], MotObject['id']>(); // pairings of the previous frame
  const coverage = new Map<MotObject['id'], { frames: number; tracked: number; was: boolean | undefined; frag: number }>();
  let objects = 0, matches = 0, misses = 0, fps = 0, switches = 0, iouSum = 0;
  for (const { gt, hyp } of frames) {
    objects += gt.length;
    const pairs = new Map<MotObject['id'], MotObject>(); // gt id → hypothesis
    const hypTaken = new Set<MotObject>();
    const hypById = new Map(hyp.map((h) => [h.id, h]));
    for (const g of gt) {
      const h = hypById.get(previous.get(g.id) ?? NaN);
      if (h && !hypTaken.has(h) && iou(g.box, h.box) >= gate) { pairs.set(g.id, h); hypTaken.add(h); }
    }
    const g2 = gt.filter((g) => !pairs.has(g.id));
    const h2 = hyp.filter((h) => !hypTaken.has(h));
    for (const [i, j] of maxScoreMatching((i, j) => iou(g2[i]!.box, h2[j]!.box), g2.length, h2.length, gate)) {
      const g = g2[i]!, h = h2[j]!;
      pairs.set(g.id, h);
      hypTaken.add(h);
      const before = last.get(g.id);
      if (before !== undefined && before !== h.id) switches++;
    }
    previous = new Map();
    for (const g of gt) {
      const h = pairs.get(g.id);
      const c = coverage.get(g.id) ?? { frames: 0, tracked: 0, was: undefined, frag: 0 };
      c.frames++;
      if (h) {
        matches++;
        iouSum += iou(g.box, h.box);
        last.set(g.id, h.id);
        previous.set(g.id, h.id);
        c.tracked++;
        if (c.was === false && c.tracked > 1) c.frag++;
      } else {
        misses++;
      }
      c.was = Boolean(h);
      coverage.set(g.id, c);
    }
    fps += hyp.length - hypTaken.size;
  }
  const cov = [...coverage.values()];
  return {
    mota: objects ? 1 - (misses + fps + switches) / objects : NaN,
    motp: matches ? iouSum / matches : NaN,
    objects, matches, misses, falsePositives: fps, idSwitches: switches,
    fragmentations: cov.reduce((n, c) => n + c.frag, 0),
    mostlyTracked: cov.filter((c) => c.tracked >= 0.8 * c.frames).length,
    mostlyLost: cov.filter((c) => c.tracked <= 0.2 * c.frames).length,
  };
}

/**
 * IDF1: each ground-truth trajectory is paired with at most one hypothesis trajectory for the
 * whole sequence, the pairing chosen to maximise the frames in which paired trajectories
 * coincide (IoU over the gate); those frames are the identity true positives.
 */
export function idScores(frames: readonly MotFrame[], options: MotOptions = {}): IdScores {
  const gate = minIouOf(options);
  const gtIds = new Map<MotObject['id'], number>();
  const hypIds = new Map<MotObject['id'], number>();
  const index = (m: Map<MotObject['id'], number>, id: MotObject['id']) => {
    let i = m.get(id);
    if (i === undefined) m.set(id, (i = m.size));
    return i;
  };
  const overlap = new Map<string, number>(); // `${gt},${hyp}` → frames coinciding
  let gtTotal = 0, hypTotal = 0;
  for (const { gt, hyp } of frames) {
    gtTotal += gt.length;
    hypTotal += hyp.length;
    for (const g of gt) {
      const gi = index(gtIds, g.id);
      for (const h of hyp) {
        const hi = index(hypIds, h.id);
        if (iou(g.box, h.box) >= gate) overlap.set(`${gi},${hi}`, (overlap.get(`${gi},${hi}`) ?? 0) + 1);
      }
    }
    for (const h of hyp) index(hypIds, h.id);
  }
  const pairs = maxScoreMatching((i, j) => overlap.get(`${i},${j}`) ?? 0, gtIds.size, hypIds.size, 1);
  const idtp = pairs.reduce((n, [i, j]) => n + (overlap.get(`${i},${j}`) ?? 0), 0);
  const idfn = gtTotal - idtp;
  const idfp = hypTotal - idtp;
  return {
    idf1: gtTotal + hypTotal ? (2 * idtp) / (gtTotal + hypTotal) : NaN,
    idp: hypTotal ? idtp / hypTotal : NaN,
    idr: gtTotal ? idtp / gtTotal : NaN,
    idtp, idfp, idfn,
  };
}

/** CLEAR-MOT and the identity scores together. */
export function evaluateMot(frames: readonly MotFrame[], options: MotOptions = {}): MotScores {
  return { ...clearMot(frames, options), ...idScores(frames, options) };
}
