/**
 * The constant-velocity Kalman filter of SORT and ByteTrack, on a box's centre x, centre y,
 * width and height. Their 8-dimensional filters have block-diagonal F, H, Q and R (each
 * coordinate moves on its own), so the covariance stays block-diagonal and the filter is exactly
 * four independent 2-state (position, velocity) filters: that is what is computed here, with no
 * matrix library and a handful of multiplications per step.
 *
 * Time is in seconds, so that frames dropped or sampled away (detectStream's 'latest' policy,
 * fps and every-n sampling) are steps of different lengths rather than a wrong velocity. Noise
 * follows ByteTrack's per-frame values, scaled with the box size: a random walk whose variance
 * grows linearly with time, equal to theirs at NOMINAL_FPS.
 */

/** The frame rate at which the noise equals ByteTrack's per-frame settings. */
export const NOMINAL_FPS = 30;
const POS_STD = 1 / 20; // of the box side, per nominal frame (ByteTrack std_weight_position)
const VEL_STD = 1 / 160; // ByteTrack std_weight_velocity
const MEAS_STD = 1 / 20;

/** Position, velocity (per second) and the 2×2 covariance of one coordinate. */
interface Axis { x: number; v: number; p00: number; p01: number; p11: number }

export interface KalmanBox { cx: number; cy: number; w: number; h: number }

export class BoxKalman {
  /** cx, cy, w, h */
  private readonly axes: [Axis, Axis, Axis, Axis];

  constructor(box: KalmanBox) {
    const s = [box.w, box.h, box.w, box.h];
    // as ByteTrack's initiate(): position known to 2 measurement stds, velocity unknown
    this.axes = [box.cx, box.cy, box.w, box.h].map((x, k) => {
      const ps = 2 * POS_STD * s[k]!;
      const vs = 10 * VEL_STD * s[k]! * NOMINAL_FPS;
      return { x, v: 0, p00: ps * ps, p01: 0, p11: vs * vs };
    }) as [Axis, Axis, Axis, Axis];
  }

  /** Moves the state dt seconds ahead. */
  predict(dt: number): void {
    const steps = Math.max(0, dt) * NOMINAL_FPS;
    const [, , w, h] = this.axes;
    const side = [w.x, h.x, w.x, h.x];
    this.axes.forEach((a, k) => {
      const qp = (POS_STD * side[k]!) ** 2 * steps;
      const qv = (VEL_STD * side[k]! * NOMINAL_FPS) ** 2 * steps;
      a.x += a.v * dt;
      a.p00 += 2 * dt * a.p01 + dt * dt * a.p11 + qp;
      a.p01 += dt * a.p11;
      a.p11 += qv;
    });
    // a shrinking box extrapolated through zero would have no area to match against
    for (const a of [w, h]) if (a.x < 1) { a.x = 1; a.v = Math.max(0, a.v); }
  }

  /** Folds in a measured box. */
  update(box: KalmanBox): void {
    const z = [box.cx, box.cy, box.w, box.h];
    const side = [box.w, box.h, box.w, box.h];
    this.axes.forEach((a, k) => {
      const r = (MEAS_STD * side[k]!) ** 2;
      const s = a.p00 + r;
      const k0 = a.p00 / s;
      const k1 = a.p01 / s;
      const y = z[k]! - a.x;
      a.x += k0 * y;
      a.v += k1 * y;
      a.p11 -= k1 * a.p01;
      a.p00 *= 1 - k0;
      a.p01 *= 1 - k0;
    });
  }

  get box(): KalmanBox {
    const [cx, cy, w, h] = this.axes;
    return { cx: cx.x, cy: cy.x, w: Math.max(1, w.x), h: Math.max(1, h.x) };
  }

  /** Velocity of the centre, pixels per second. */
  get velocity(): { x: number; y: number } {
    return { x: this.axes[0].v, y: this.axes[1].v };
  }
}
