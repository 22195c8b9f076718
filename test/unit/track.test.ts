/**
 * The tracker on hand-made detections: assignment optimality against brute force, identities
 * kept through crossings and gaps, the track life cycle, per-class matching, ByteTrack's second
 * association, velocities in pixels per second.
 */
import { describe, expect, it } from 'vitest';
import { maxScoreMatching, minCostAssignment } from '../../lib/track/assignment.js';
import { Tracker, type TrackInput } from '../../lib/track/tracker.js';
import { mulberry32 } from '../../lib/prng.js';

function bruteMin(cost: number[][]): number {
  const rows = cost.length, cols = cost[0]!.length;
  let best = Infinity;
  const used = new Array<boolean>(cols).fill(false);
  const go = (i: number, sum: number) => {
    if (i === rows) { best = Math.min(best, sum); return; }
    for (let j = 0; j < cols; j++) if (!used[j]) { used[j] = true; go(i + 1, sum + cost[i]![j]!); used[j] = false; }
  };
  go(0, 0);
  return best;
}

const box = (x: number, y: number, w = 20, h = 20) => ({ x, y, width: w, height: h });
const det = (x: number, y: number, classId = 0, confidence = 0.9): TrackInput => ({ box: box(x, y), classId, confidence });

describe('assignment', () => {
  it('finds the minimum-cost assignment (brute force on random matrices up to 6 × 7)', () => {
    const rand = mulberry32(3);
    for (let trial = 0; trial < 300; trial++) {
      const rows = 1 + Math.floor(rand() * 6);
      const cols = rows + Math.floor(rand() * 2);
      const m = Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.round(rand() * 20) - 5));
      const colOf = minCostAssignment(Float64Array.from(m.flat()), rows, cols);
      expect(new Set(colOf).size).toBe(rows);
      const total = [...colOf].reduce((s, j, i) => s + m[i]![j]!, 0);
      expect(total).toBe(bruteMin(m));
    }
  });

  it('maximises the score over the gate, leaves rows unpaired rather than pair under it, transposes', () => {
    // row 0 fits column 0 well and column 1 barely; row 1 fits only column 0, barely: pairing
    // both (0-1, 1-0) gains 0.05 + 0.05 over the gate, 0-0 alone gains 0.6
    const s = [[0.9, 0.35], [0.35, 0]];
    expect(maxScoreMatching((i, j) => s[i]![j]!, 2, 2, 0.3)).toEqual([[0, 0]]);
    expect(maxScoreMatching(() => 0.1, 3, 2, 0.3)).toEqual([]);
    const wide = [[0.2, 0.8, 0.5]];
    expect(maxScoreMatching((i, j) => wide[i]![j]!, 1, 3, 0.3)).toEqual([[0, 1]]);
    const tall = [[0.2], [0.8], [0.5]];
    expect(maxScoreMatching((i, j) => tall[i]![j]!, 3, 1, 0.3)).toEqual([[1, 0]]);
    expect(maxScoreMatching(() => 1, 0, 4, 0.3)).toEqual([]);
  });
});

describe('Tracker', () => {
  it('keeps identities through a crossing of two objects of one class, with their velocities', () => {
    const t = new Tracker();
    const fps = 25;
    let last: ReturnType<Tracker['update']> = [];
    const idsAt: Array<[number, number]> = [];
    for (let f = 0; f < 40; f++) {
      // A moves right, B moves left a little lower: they overlap around frame 20
      const a = det(10 + 4 * f, 50);
      const b = det(170 - 4 * f, 56);
      last = t.update([a, b], f / fps);
      const ta = last.find((tr) => tr.detection === a)!;
      const tb = last.find((tr) => tr.detection === b)!;
      idsAt.push([ta.id, tb.id]);
    }
    expect(new Set(idsAt.map((p) => p.join()))).toEqual(new Set(['1,2']));
    expect(last.every((tr) => tr.state === 'confirmed' && tr.hits === 40 && tr.age === 40 && tr.misses === 0)).toBe(true);
    const [a, b] = last;
    expect(a!.velocity.x).toBeCloseTo(100, -1); // 4 px per frame at 25 fps
    expect(b!.velocity.x).toBeCloseTo(-100, -1);
    expect(Math.abs(a!.velocity.y)).toBeLessThan(2);
  });

  it('holds a track through missing frames (lost, predicted box moving on) and picks it up again', () => {
    const t = new Tracker({ maxAge: 10 });
    for (let f = 0; f < 10; f++) t.update([det(10 + 3 * f, 40)]);
    let tracks = t.update([]);
    expect(tracks).toHaveLength(1);
    expect(tracks[0]!.state).toBe('lost');
    expect(tracks[0]!.box.x).toBeCloseTo(40, -0.5); // predicted at 3 px a frame
    for (let f = 11; f < 14; f++) tracks = t.update([]);
    expect(tracks[0]!.misses).toBe(4);
    tracks = t.update([det(10 + 3 * 14, 40)]);
    expect(tracks.map((x) => [x.id, x.state, x.misses])).toEqual([[1, 'confirmed', 0]]);
    // and is dropped after maxAge updates unseen
    for (let i = 0; i < 10; i++) expect(t.update([])).toHaveLength(1);
    expect(t.update([])).toHaveLength(0);
  });

  it('confirms a new track after minHits matches; a one-frame detection never becomes one', () => {
    const t = new Tracker({ minHits: 3 });
    for (let f = 0; f < 5; f++) t.update([det(10, 10)]); // past the start, where tracks are trusted at once
    const states: string[] = [];
    for (let f = 0; f < 4; f++) {
      const tracks = t.update([det(10, 10), det(100 + f, 100)]);
      states.push(tracks.find((x) => x.box.x > 50)!.state);
    }
    expect(states).toEqual(['tentative', 'tentative', 'confirmed', 'confirmed']);
    const blip = t.update([det(10, 10), det(100 + 4, 100), det(200, 10)]);
    expect(blip.find((x) => x.box.x > 150)!.state).toBe('tentative');
    const after = t.update([det(10, 10), det(100 + 5, 100)]);
    expect(after.some((x) => x.box.x > 150)).toBe(false);
    expect(after.map((x) => x.id)).toEqual([1, 2]);
  });

  it('matches within a class unless perClass is false', () => {
    const perClass = new Tracker();
    perClass.update([det(10, 10, 0)]);
    const split = perClass.update([det(11, 10, 1)]);
    // track 1 is not continued by the class-1 box: it is lost (trusted at once, being from the first frame)
    expect(split.map((x) => [x.id, x.classId, x.state])).toEqual([[1, 0, 'lost'], [2, 1, 'confirmed']]);
    const any = new Tracker({ perClass: false });
    any.update([det(10, 10, 0)]);
    expect(any.update([det(11, 10, 1)]).map((x) => [x.id, x.classId])).toEqual([[1, 1]]);
  });

  it('ByteTrack: low-score detections continue a followed track but start none', () => {
    const score = (f: number) => (f >= 8 && f < 14 ? 0.3 : 0.9); // "occluded": weak for 6 frames
    const run = (byteTrack: boolean) => {
      const t = new Tracker({ byteTrack, maxAge: 2 });
      const states: string[] = [];
      for (let f = 0; f < 20; f++) {
        const dets = [det(10 + 2 * f, 30, 0, score(f)), det(150, 100, 0, 0.3)];
        // what SORT would be fed: the detector's usual thresh 0.5
        const tracks = t.update(byteTrack ? dets : dets.filter((d) => d.confidence! >= 0.5));
        const mine = tracks.filter((x) => x.box.y < 60);
        states.push(mine.map((x) => `${x.id}${x.state[0]}`).join('|'));
        expect(tracks.some((x) => x.box.y > 60)).toBe(false);
      }
      return states;
    };
    expect(new Set(run(true))).toEqual(new Set(['1c']));
    const sort = run(false);
    // SORT loses it while weak, drops it after maxAge 2 and starts over under a new id
    expect(sort.slice(7, 11)).toEqual(['1c', '1l', '1l', '']);
    expect(sort.slice(14, 17)).toEqual(['2t', '2t', '2c']);
  });

  it('reports velocities from the frame times (dropped frames are longer steps)', () => {
    const t = new Tracker();
    const times = [0, 0.1, 0.2, 0.5, 0.6, 0.9, 1.0, 1.1, 1.4, 1.5];
    let tracks = t.update([]);
    for (const s of times) tracks = t.update([det(20 + 50 * s, 20 + 10 * s)], s);
    expect(tracks[0]!.velocity.x).toBeCloseTo(50, 0);
    expect(tracks[0]!.velocity.y).toBeCloseTo(10, 0);
  });

  it('refuses malformed input with BAD_INPUT', () => {
    expect(() => new Tracker({ minIou: 2 })).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
    const t = new Tracker();
    expect(() => t.update([{ box: { x: 0, y: 0, width: NaN, height: 1 } }])).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
    expect(() => t.update('x' as never)).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
  });
});
