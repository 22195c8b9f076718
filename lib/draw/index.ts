export { annotate, drawBoxes, drawSizes } from './annotate.js';
export type { AnnotateOptions, DrawOptions, LabelledBox } from './annotate.js';
export type { Canvas } from './canvas.js';
export { classColor, textColorOn } from './colors.js';
export { drawText, textWidth } from './font.js';
