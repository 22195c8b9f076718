/** 8-bit interleaved RGB pixels to draw on, in place. */
export interface Canvas {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Fills the rectangle [x0, x1) × [y0, y1), clipped to the canvas. */
export function fillRect(c: Canvas, x0: number, y0: number, x1: number, y1: number, [r, g, b]: readonly [number, number, number]): void {
  const xa = Math.max(0, Math.round(x0));
  const xb = Math.min(c.width, Math.round(x1));
  const ya = Math.max(0, Math.round(y0));
  const yb = Math.min(c.height, Math.round(y1));
  for (let y = ya; y < yb; y++) {
    for (let x = xa; x < xb; x++) {
      const i = (y * c.width + x) * 3;
      c.data[i] = r; c.data[i + 1] = g; c.data[i + 2] = b;
    }
  }
}

/** A rectangle's outline `line` pixels wide, centred on its edges, clipped to the canvas. */
export function strokeRect(c: Canvas, x: number, y: number, w: number, h: number, line: number, color: readonly [number, number, number]): void {
  const a = Math.floor(line / 2);
  const b = line - a;
  fillRect(c, x - a, y - a, x + w + b, y + b, color); // top
  fillRect(c, x - a, y + h - a, x + w + b, y + h + b, color); // bottom
  fillRect(c, x - a, y - a, x + b, y + h + b, color); // left
  fillRect(c, x + w - a, y - a, x + w + b, y + h + b, color); // right
}

/** A polyline `line` pixels wide (squares stamped along each segment), clipped to the canvas. */
export function strokePolyline(c: Canvas, points: ReadonlyArray<readonly [number, number]>, line: number, color: readonly [number, number, number]): void {
  const h = line / 2;
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]!;
    const [x1, y1] = points[i]!;
    const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0)));
    for (let s = 0; s <= steps; s++) {
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      fillRect(c, x - h, y - h, x + h, y + h, color);
    }
  }
}
