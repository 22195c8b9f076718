/**
 * One spare pixel buffer per network, lent to one JPEG decode at a time. A detect decodes its
 * image, runs the pass and is done with the pixels: decoding the next image into the same
 * buffer skips allocating and first-touching a fresh one (on a virtual machine the page faults
 * of a 768×576 image cost more than decoding it: yolov3-tiny's detect() on dog.jpg spent ~4 ms
 * of its ~8 ms outside the pass on them). Calls at the same time each get their own buffer;
 * one of them is kept afterwards.
 */
import { decode, type DecodeOptions, type ImageInput, type Pixels } from './input.js';

/** Larger buffers (images over ~5.6 megapixels) are not kept: memory for one rare image. */
const MAX_KEPT_BYTES = 16 << 20;

export class PixelScratch {
  private spare: Uint8Array | undefined;
  private closed = false;

  /** toPixels(input), possibly in the spare buffer; call `done` once the pixels are no longer read. */
  async decode(input: ImageInput, opts: DecodeOptions): Promise<{ px: Pixels; done: () => void }> {
    const lent = this.spare;
    this.spare = undefined;
    let out;
    try {
      out = await decode(input, opts, lent);
    } catch (e) {
      this.keep(lent);
      throw e;
    }
    const buffer = out.buffer ?? lent; // a decode that did not use the lent buffer leaves it free
    return { px: out.px, done: () => this.keep(buffer) };
  }

  /** Drops the spare buffer for good (dispose): a decode still in flight keeps nothing. */
  clear(): void {
    this.closed = true;
    this.spare = undefined;
  }

  private keep(buffer: Uint8Array | undefined): void {
    if (buffer && !this.closed && !this.spare && buffer.byteLength <= MAX_KEPT_BYTES) this.spare = buffer;
  }
}
