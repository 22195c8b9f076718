/**
 * CLEAR-MOT and IDF1 on hand cases whose scores are worked out in the comments.
 */
import { describe, expect, it } from 'vitest';
import { clearMot, evaluateMot, idScores, type MotFrame, type MotObject } from '../../lib/eval/mot.js';

const o = (id: number | string, x: number, y = 0, w = 10, h = 10): MotObject => ({ id, box: { x, y, width: w, height: h } });

describe('CLEAR-MOT and IDF1', () => {
  it('perfect tracking: MOTA 1, MOTP 1, IDF1 1', () => {
    const frames: MotFrame[] = [0, 1, 2].map((f) => ({ gt: [o('A', f), o('B', 50 + f)], hyp: [o(1, f), o(2, 50 + f)] }));
    const s = evaluateMot(frames);
    expect(s).toMatchObject({ mota: 1, motp: 1, idf1: 1, idp: 1, idr: 1, objects: 6, matches: 6, misses: 0, falsePositives: 0, idSwitches: 0, mostlyTracked: 2, mostlyLost: 0 });
  });

  it('one identity switch on one object over 4 frames: MOTA 3/4, IDF1 1/2', () => {
    // hypothesis 1 covers frames 0-1, hypothesis 2 frames 2-3; the best single pairing keeps 2 of 4 frames
    const frames: MotFrame[] = [0, 1, 2, 3].map((f) => ({ gt: [o('A', f)], hyp: [o(f < 2 ? 1 : 2, f)] }));
    expect(clearMot(frames)).toMatchObject({ mota: 0.75, idSwitches: 1, matches: 4 });
    expect(idScores(frames)).toEqual({ idf1: 0.5, idp: 0.5, idr: 0.5, idtp: 2, idfp: 2, idfn: 2 });
  });

  it('a box off target is a miss plus a false positive: MOTA 0, IDF1 1/2', () => {
    // frame 1: IoU of x=0 and x=6 boxes (10 wide) = 40/160 = 0.25 < 0.5
    const frames: MotFrame[] = [{ gt: [o('A', 0)], hyp: [o(1, 0)] }, { gt: [o('A', 0)], hyp: [o(1, 6)] }];
    expect(clearMot(frames)).toMatchObject({ mota: 0, misses: 1, falsePositives: 1, idSwitches: 0 });
    expect(idScores(frames).idf1).toBe(0.5);
    // IoU of x=0 and x=3 = 70/130 = 0.538: a match
    expect(clearMot([{ gt: [o('A', 0)], hyp: [o(1, 3)] }]).motp).toBeCloseTo(70 / 130, 12);
  });

  it('two tracks swapping at a crossing: 2 switches in 8 objects, IDF1 1/2', () => {
    const frames: MotFrame[] = [0, 1, 2, 3].map((f) => ({
      gt: [o('A', 0), o('B', 100)],
      hyp: f < 2 ? [o(1, 0), o(2, 100)] : [o(2, 0), o(1, 100)],
    }));
    expect(clearMot(frames)).toMatchObject({ mota: 0.75, idSwitches: 2 });
    // A–1 and B–2 coincide in frames 0-1 (or A–2, B–1 in 2-3): 4 of 8 either way
    expect(idScores(frames)).toMatchObject({ idtp: 4, idf1: 0.5 });
  });

  it('keeps a valid correspondence even when another hypothesis fits better (no switch, one FP)', () => {
    // frame 1: hypothesis 1 has IoU 0.6 with A (x=2.5: 75/125), hypothesis 2 sits exactly on A
    const frames: MotFrame[] = [{ gt: [o('A', 0)], hyp: [o(1, 0)] }, { gt: [o('A', 0)], hyp: [o(1, 2.5), o(2, 0)] }];
    expect(clearMot(frames)).toMatchObject({ mota: 0.5, idSwitches: 0, falsePositives: 1, matches: 2 });
    // identity: A–1 coincide in both frames: IDTP 2 of 2 ground truth and 3 hypotheses
    expect(idScores(frames)).toMatchObject({ idtp: 2, idf1: 0.8, idr: 1 });
  });

  it('counts a switch across a gap, and a fragmentation when the same id resumes', () => {
    const gap: MotFrame[] = [{ gt: [o('A', 0)], hyp: [o(1, 0)] }, { gt: [o('A', 0)], hyp: [] }, { gt: [o('A', 0)], hyp: [o(2, 0)] }];
    expect(clearMot(gap)).toMatchObject({ idSwitches: 1, misses: 1, fragmentations: 1 });
    const resumed: MotFrame[] = [{ gt: [o('A', 0)], hyp: [o(1, 0)] }, { gt: [o('A', 0)], hyp: [] }, { gt: [o('A', 0)], hyp: [o(1, 0)] }];
    expect(clearMot(resumed)).toMatchObject({ idSwitches: 0, misses: 1, fragmentations: 1 });
    expect(clearMot(resumed).mota).toBeCloseTo(2 / 3, 12);
    expect(idScores(resumed)).toMatchObject({ idtp: 2, idf1: 0.8 });
  });

  it('mostly tracked / mostly lost, and empty input', () => {
    const frames: MotFrame[] = Array.from({ length: 10 }, (_, f) => ({ gt: [o('A', 0), o('B', 50)], hyp: [o(1, 0), ...(f < 2 ? [o(2, 50)] : [])] }));
    expect(clearMot(frames)).toMatchObject({ mostlyTracked: 1, mostlyLost: 1 });
    expect(Number.isNaN(evaluateMot([]).mota)).toBe(true);
    expect(() => clearMot([], { minIou: 0 })).toThrow(RangeError);
  });
});
