/**
 * Multi-object tracking by detection: SORT (a constant-velocity Kalman filter per object, boxes
 * matched to predictions by IoU with the Hungarian method), with ByteTrack's second association
 * of low-score detections as an option. Written for this package from the two papers (Bewley et
 * al. 2016, Zhang et al. 2022); no code of theirs.
 */
import type { Box } from '../detections.js';
import * as is from '../is.js';
import { maxScoreMatching } from './assignment.js';
import { BoxKalman, NOMINAL_FPS, type KalmanBox } from './kalman.js';

/** What the tracker needs of a detection: a Detection, or any object with a box. */
export interface TrackInput {
  box: Box;
  /** objects are only matched within their class (default 0) */
  classId?: number;
  className?: string;
  /** score in [0, 1] (default 1): ByteTrack splits on it */
  confidence?: number;
}

/**
 * tentative: seen fewer than minHits times in a row (not yet trusted); confirmed: matched in
 * this update; lost: a confirmed track not matched in this update, box predicted.
 */
export type TrackState = 'tentative' | 'confirmed' | 'lost';

export interface Track<D extends TrackInput = TrackInput> {
  /** unique for the tracker's life, counting from 1 */
  id: number;
  classId: number;
  className?: string;
  /** the filtered box (the prediction while lost), in the detections' pixels */
  box: Box;
  /** velocity of the box centre, pixels per second */
  velocity: { x: number; y: number };
  /** updates since the track started */
  age: number;
  /** updates in which it was matched */
  hits: number;
  /** updates since it was last matched (0 when matched now) */
  misses: number;
  state: TrackState;
  /** the confidence of the last matched detection */
  confidence: number;
  /** the detection matched in this update */
  detection?: D;
}

export interface TrackerOptions {
  /** IoU a detection needs with a track's predicted box to continue it (default 0.3, SORT's) */
  minIou?: number;
  /** consecutive matches before a track is confirmed (default 3) */
  minHits?: number;
  /** updates a lost track is kept, in case its object reappears (default 30) */
  maxAge?: number;
  /** match only within a class (default true); false matches across classes, the track taking its latest class */
  perClass?: boolean;
  /**
   * ByteTrack's second association (default false): detections under `highThresh` do not start
   * tracks but may continue one still being tracked, with IoU ≥ `lowMinIou`; detections under
   * `lowThresh` are ignored. Feed detections down to lowThresh (detect with thresh ≤ lowThresh).
   */
  byteTrack?: boolean;
  /** default 0.5 */
  highThresh?: number;
  /** default 0.1 */
  lowThresh?: number;
  /** default 0.5 */
  lowMinIou?: number;
}

interface Resolved {
  minIou: number;
  minHits: number;
  maxAge: number;
  perClass: boolean;
  byteTrack: boolean;
  highThresh: number;
  lowThresh: number;
  lowMinIou: number;
}

interface State {
  id: number;
  classId: number;
  className: string | undefined;
  kf: BoxKalman;
  age: number;
  hits: number;
  streak: number;
  misses: number;
  confirmed: boolean;
  confidence: number;
}

const toKalman = (b: Box): KalmanBox => ({ cx: b.x + b.width / 2, cy: b.y + b.height / 2, w: b.width, h: b.height });
const fromKalman = (k: KalmanBox): Box => ({ x: k.cx - k.w / 2, y: k.cy - k.h / 2, width: k.w, height: k.h });

export function iou(a: Box, b: Box): number {
  const iw = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const ih = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

const unit = (name: string, v: unknown, d: number): number => is.optional(v, (x) => is.number(`tracker ${name}`, x, 0, 1)) ?? d;
const count = (name: string, v: unknown, d: number): number => is.optional(v, (x) => is.integer(`tracker ${name}`, x, 0)) ?? d;
const flag = (name: string, v: unknown, d: boolean): boolean => is.optional(v, (x) => is.boolean(`tracker ${name}`, x)) ?? d;

export function resolveTrackerOptions(o: TrackerOptions): Resolved {
  is.object(o, 'tracker options');
  return {
    minIou: unit('minIou', o.minIou, 0.3),
    minHits: Math.max(1, count('minHits', o.minHits, 3)),
    maxAge: count('maxAge', o.maxAge, 30),
    perClass: flag('perClass', o.perClass, true),
    byteTrack: flag('byteTrack', o.byteTrack, false),
    highThresh: unit('highThresh', o.highThresh, 0.5),
    lowThresh: unit('lowThresh', o.lowThresh, 0.1),
    lowMinIou: unit('lowMinIou', o.lowMinIou, 0.5),
  };
}

/** Stable ids for objects across frames: feed each frame's detections to update(). */
export class Tracker<D extends TrackInput = TrackInput> {
  readonly options: Readonly<Resolved>;
  private tracks: State[] = [];
  private nextId = 1;
  private updates = 0;
  private time: number | undefined;

  constructor(options: TrackerOptions = {}) {
    this.options = Object.freeze(resolveTrackerOptions(options));
  }

  /**
   * Advances to the next frame and returns every live track (tentative, confirmed and lost), by
   * id. `time` is the frame's time in seconds; without it, frames are 1/30 s apart.
   */
  update(detections: readonly D[], time?: number): Track<D>[] {
    is.array('Tracker.update', detections, 'detections');
    for (const d of detections) {
      const b = (d as Partial<D> | null)?.box;
      if (!b || ![b.x, b.y, b.width, b.height].every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw is.badInput('every detection needs a box { x, y, width, height } of finite numbers');
      }
    }
    is.optional(time, (x) => is.number('time', x, -Infinity, Infinity, {}, ' of seconds'));
    const t = time ?? (this.time === undefined ? 0 : this.time + 1 / NOMINAL_FPS);
    const dt = this.time === undefined ? 0 : Math.max(0, t - this.time);
    this.time = t;
    this.updates++;
    const o = this.options;
    for (const s of this.tracks) s.kf.predict(dt);

    const score = (d: D) => d.confidence ?? 1;
    const high = o.byteTrack ? detections.filter((d) => score(d) >= o.highThresh) : [...detections];
    const low = o.byteTrack ? detections.filter((d) => score(d) < o.highThresh && score(d) >= o.lowThresh) : [];
    const matched = new Map<State, D>();

    // first association: confident detections against every track, lost ones included
    const rest = this.associate(this.tracks, high, o.minIou, matched);
    // second (ByteTrack): weak detections may only continue tracks still being followed
    if (low.length) this.associate(rest.tracks.filter((s) => s.misses === 0), low, o.lowMinIou, matched);

    for (const s of this.tracks) {
      s.age++;
      const d = matched.get(s);
      if (d) {
        s.kf.update(toKalman(d.box));
        s.hits++;
        s.streak++;
        s.misses = 0;
        s.confidence = score(d);
        if (!o.perClass) { s.classId = d.classId ?? 0; s.className = d.className; }
        // as SORT, tracks seen from the very start are trusted at once: nothing came before them
        if (s.streak >= o.minHits || this.updates <= o.minHits) s.confirmed = true;
      } else {
        s.misses++;
        s.streak = 0;
      }
    }
    // a tentative track missed once was noise; a lost one is kept maxAge updates
    this.tracks = this.tracks.filter((s) => (s.confirmed ? s.misses <= o.maxAge : s.misses === 0));
    for (const d of rest.detections) {
      const s: State = {
        id: this.nextId++, classId: d.classId ?? 0, className: d.className, kf: new BoxKalman(toKalman(d.box)),
        age: 1, hits: 1, streak: 1, misses: 0, confirmed: this.updates <= o.minHits || o.minHits <= 1, confidence: score(d),
      };
      this.tracks.push(s);
      matched.set(s, d);
    }
    return this.tracks.map((s) => this.snapshot(s, matched.get(s)));
  }

  /** Forgets every track; ids keep counting. */
  reset(): void {
    this.tracks = [];
    this.updates = 0;
    this.time = undefined;
  }

  /** Live tracks now, as update() last returned them (detections omitted). */
  get current(): Track<D>[] {
    return this.tracks.map((s) => this.snapshot(s, undefined));
  }

  /** Matches within each class (or all at once), maximising total IoU over the gate. */
  private associate(tracks: readonly State[], dets: readonly D[], minIou: number, matched: Map<State, D>): { tracks: State[]; detections: D[] } {
    const freeTracks = tracks.filter((s) => !matched.has(s));
    const usedDets = new Set<D>();
    const groups = new Map<number, { t: State[]; d: D[] }>();
    const key = (c: number | undefined) => (this.options.perClass ? (c ?? 0) : 0);
    for (const s of freeTracks) {
      const g = groups.get(key(s.classId)) ?? { t: [], d: [] };
      g.t.push(s);
      groups.set(key(s.classId), g);
    }
    for (const d of dets) groups.get(key(d.classId))?.d.push(d);
    for (const { t, d } of groups.values()) {
      const boxes = t.map((s) => fromKalman(s.kf.box));
      for (const [i, j] of maxScoreMatching((i, j) => iou(boxes[i]!, d[j]!.box), t.length, d.length, minIou)) {
        matched.set(t[i]!, d[j]!);
        usedDets.add(d[j]!);
      }
    }
    return { tracks: freeTracks.filter((s) => !matched.has(s)), detections: dets.filter((d) => !usedDets.has(d)) };
  }

  private snapshot(s: State, d: D | undefined): Track<D> {
    const state: TrackState = !s.confirmed ? 'tentative' : s.misses ? 'lost' : 'confirmed';
    return {
      id: s.id, classId: s.classId, ...(s.className === undefined ? {} : { className: s.className }),
      box: fromKalman(s.kf.box), velocity: s.kf.velocity, age: s.age, hits: s.hits, misses: s.misses, state,
      confidence: s.confidence, ...(d ? { detection: d } : {}),
    };
  }
}
