import { badInput } from './is.js';

/** How an image becomes the network's input, as Darknet's tools prepare it. */
export type Preprocess = 'letterbox' | 'resize' | 'crop';

/**
 * Darknet resizes with a 1/(size - 1) step: a side of one pixel (a very thin image letterboxed,
 * or a network one pixel wide) sends its sampler out of bounds. Same arithmetic as
 * letterbox_image (C integer division); a crop's square is resized to the network's size.
 * The one owner of this rule: Detector, Classifier, DetectorPool and video frames all check here,
 * and the native side keeps only an internal assertion.
 */
export function checkGeometry(w: number, h: number, netW: number, netH: number, prep: Preprocess): void {
  let nw = netW;
  let nh = netH;
  if (prep === 'letterbox') {
    if (Math.fround(netW / w) < Math.fround(netH / h)) nh = Math.trunc((h * netW) / w);
    else nw = Math.trunc((w * netH) / h);
  }
  if (nw < 2 || nh < 2) {
    throw badInput(`a ${w}×${h} image is too thin to ${prep} into ${netW}×${netH} (it would become ${nw}×${nh}; Darknet needs at least 2 pixels per side)`);
  }
}
