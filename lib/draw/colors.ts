/** A colour per class, stable across runs (Darknet's get_color-like hue walk). */
export function classColor(classId: number): [number, number, number] {
  const h = (classId * 0.61803398875) % 1;
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return Math.round(255 * (1 - Math.max(0, Math.min(1, Math.min(k, 4 - k)))));
  };
  return [f(5), f(3), f(1)];
}

const linear = (c: number) => {
  const s = c / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
};

/** Black or white, whichever contrasts more with `rgb` (WCAG relative luminance). */
export function textColorOn([r, g, b]: readonly [number, number, number]): [number, number, number] {
  const l = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  // contrast with black (l + .05) / .05 against white 1.05 / (l + .05): equal at l ≈ 0.179
  return l > 0.179 ? [0, 0, 0] : [255, 255, 255];
}
