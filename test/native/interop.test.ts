/**
 * Inputs users hand over from the rest of their stack (a sharp pipeline, its raw output, canvas
 * pixels) and the JSON results give back (the same as the CLI's --json).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../../lib/detector.js';
import { ROOT } from '../helpers/fixtures.js';

const MODEL = join(ROOT, 'models', 'shapes');
const SAMPLE = join(MODEL, 'sample.png');

describe('image inputs', () => {
  let det: Detector;
  beforeAll(async () => {
    det = await Detector.load({ cfg: join(MODEL, 'shapes.cfg'), weights: join(MODEL, 'shapes.weights'), names: join(MODEL, 'shapes.names') });
  });
  afterAll(() => det?.dispose());

  it('a sharp instance is decoded through its own pipeline (cloned, still usable afterwards)', async () => {
    const expected = await det.detect(SAMPLE);
    expect(expected.length).toBeGreaterThan(0);
    const pipeline = sharp(SAMPLE);
    expect(await det.detect(pipeline)).toEqual(expected);
    // the pipeline was cloned, not consumed
    expect((await pipeline.metadata()).width).toBeGreaterThan(0);
    // resizing inside the pipeline is what detect() sees
    const resized = sharp(SAMPLE).resize(200, 150, { fit: 'fill' });
    const raw = await resized.clone().raw().toBuffer({ resolveWithObject: true });
    expect(raw.info.width).toBe(200);
    expect(await det.detect(resized)).toEqual(await det.detect({ data: raw.data, width: 200, height: 150, channels: raw.info.channels as 3 }));
  });

  it("sharp's { data, info } raw output, with or without alpha, and grey + alpha", async () => {
    const expected = await det.detect(SAMPLE);
    const rgb = await sharp(SAMPLE).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect(await det.detect(rgb)).toEqual(expected);
    const rgba = await sharp(SAMPLE).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect(rgba.info.channels).toBe(4);
    expect(await det.detect(rgba)).toEqual(expected);
    const grey = await sharp(SAMPLE).greyscale().raw().toBuffer({ resolveWithObject: true });
    expect(grey.info.channels).toBe(1);
    const ga = new Uint8Array(grey.data.length * 2);
    grey.data.forEach((v, i) => { ga[2 * i] = v; ga[2 * i + 1] = 255; });
    const greyAlpha = { data: ga, info: { ...grey.info, channels: 2 } };
    expect(await det.detect(greyAlpha)).toEqual(await det.detect(grey));
    const sixteen = await sharp(SAMPLE).removeAlpha().raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
    await expect(det.detect(sixteen)).rejects.toMatchObject({ code: 'BAD_INPUT', message: /16-bit/ });
  });

  it('a Uint8ClampedArray (canvas ImageData) with its dimensions', async () => {
    const { data, info } = await sharp(SAMPLE).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const clamped = new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength);
    expect(await det.detect({ data: clamped, width: info.width, height: info.height, channels: 4 })).toEqual(await det.detect(SAMPLE));
  });

  it('a sharp pipeline that fails is an IMAGE_DECODE error', async () => {
    await expect(det.detect(sharp(Buffer.from('not an image')))).rejects.toMatchObject({ code: 'IMAGE_DECODE' });
  });

  it("toJSON() is the CLI's --json output for the same image", async () => {
    const dets = await det.detect(SAMPLE);
    const cli = execFileSync(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'detect', SAMPLE, '--json'], { cwd: ROOT }).toString();
    // one JSON line per image: { image, detections }
    const fromCli = JSON.parse(cli.trim().split('\n')[0]!) as { image: string; detections: unknown };
    expect(fromCli.image).toBe(SAMPLE);
    expect(JSON.parse(JSON.stringify(dets))).toEqual(fromCli.detections);
    const j = dets[0]!.toJSON();
    expect(Object.keys(j).sort()).toEqual(['box', 'classId', 'className', 'confidence', 'objectness', 'relative']);
    expect(Object.keys(dets[0]!)).not.toContain('toJSON');
  });
});
