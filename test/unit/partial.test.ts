/**
 * Prefix .weights files: partialWeights against Debian's `darknet partial` byte for byte (its
 * darknet53 backbone cut, old headers, the transposes Darknet applies on load), and the sizing
 * rule that accepts whole layers and refuses a file cut inside one.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCfg, validateCfg, type NetworkShape } from '../../lib/cfg/index.js';
import { partialWeights } from '../../lib/partial.js';
import { mulberry32 } from '../../lib/prng.js';
import { writeRandomWeights } from '../../lib/random-weights.js';
import { checkPrefixWeights, parseWeightsHeader, weightsCoverage } from '../../lib/weights.js';
import { CACHE, DARKNET_SHARE } from '../helpers/fixtures.js';
import { run } from '../helpers/proc.js';

const DARKNET = '/usr/bin/darknet';
const hasDarknet = existsSync(DARKNET);
const dir = join(CACHE, 'partial');
const darknet53 = join(DARKNET_SHARE, 'cfg', 'darknet53.cfg');

beforeAll(() => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
});

/** `darknet partial cfg weights out max` (examples/darknet.c), its output's bytes. */
async function darknetPartial(cfg: string, weights: string, layers: number): Promise<Buffer> {
  const out = join(dir, 'darknet-out.weights');
  rmSync(out, { force: true });
  const r = await run(DARKNET, ['partial', cfg, weights, out, String(layers)], { timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(out);
}

/** A header and random finite floats (no NaN payloads for a float copy to disturb). */
function randomWeightsFile(file: string, header: { major: number; minor: number; seen: number }, floats: number, seed: number): void {
  const wide = header.major * 10 + header.minor >= 2 && header.major < 1000 && header.minor < 1000;
  const h = new DataView(new ArrayBuffer(wide ? 20 : 16));
  h.setInt32(0, header.major, true);
  h.setInt32(4, header.minor, true);
  if (wide) h.setBigUint64(12, BigInt(header.seen), true); else h.setInt32(12, header.seen, true);
  const rand = mulberry32(seed);
  const body = Float32Array.from({ length: floats }, () => rand() * 2 - 1);
  writeFileSync(file, Buffer.concat([new Uint8Array(h.buffer), new Uint8Array(body.buffer)]));
}

// A flipped convolution and batch-normalised connected layers: the layouts Darknet reorders.
const SMALL = `[net]
batch=1
subdivisions=1
width=8
height=8
channels=3
[convolutional]
batch_normalize=1
filters=4
size=3
stride=1
pad=1
flipped=1
activation=leaky
[connected]
output=6
batch_normalize=1
activation=linear
[dropout]
probability=.5
[connected]
output=5
activation=linear
[softmax]
`;

describe.skipIf(!hasDarknet)(`partialWeights against \`darknet partial\`${hasDarknet ? '' : ` (skipped: ${DARKNET} not installed; apt install darknet)`}`, () => {
  it('cuts darknet53.conv.74 from random-init darknet53 weights byte for byte', async () => {
    const shape = validateCfg(parseCfg(readFileSync(darknet53, 'utf8'), { file: darknet53 }));
    expect([shape.batch, shape.width, shape.height, shape.layers.length]).toEqual([1, 256, 256, 78]);
    const input = join(dir, 'darknet53.weights');
    await writeRandomWeights(shape, input, { seed: 53 });
    const out = join(dir, 'darknet53.conv.74');
    const r = await partialWeights({ cfg: darknet53, weights: input, out, layers: 74 });
    const theirs = await darknetPartial(darknet53, input, 74);
    const ours = readFileSync(out);
    expect(r).toEqual({ file: out, layers: 74, bytes: ours.length });
    expect(ours.length).toBe(162_482_580); // darknet53.conv.74 as published
    expect(ours.equals(theirs)).toBe(true);
    // a prefix file is itself an input: cutting it further gives Darknet's result again
    const r2 = await partialWeights({ cfg: darknet53, weights: out, out: join(dir, 'darknet53.conv.10'), layers: 10 });
    expect(readFileSync(r2.file).equals(await darknetPartial(darknet53, out, 10))).toBe(true);
    // the prefix holds layers 0–73 only: 74 and 75 (shortcut, avgpool) hold no parameters, so
    // cutting 76 layers from it is the same file; 77 would need layer 76's convolution
    expect((await partialWeights({ cfg: darknet53, weights: out, out: join(dir, 'x.weights'), layers: 76 })).bytes).toBe(ours.length);
    await expect(partialWeights({ cfg: darknet53, weights: out, out: join(dir, 'x.weights'), layers: 77 }))
      .rejects.toMatchObject({ code: 'WEIGHTS_SIZE', file: out, message: expect.stringMatching(/layers 0–73 only/) });
    for (const f of [input, out, r2.file, join(dir, 'x.weights'), join(dir, 'darknet-out.weights')]) rmSync(f, { force: true });
  });

  it('old 16-byte headers, the transposed connected layers of pre-0.1 files and flipped convolutions, as Darknet reorders them', async () => {
    const cfg = join(dir, 'small.cfg');
    writeFileSync(cfg, SMALL);
    const shape = validateCfg(parseCfg(SMALL));
    expect(shape.layers.map((l) => l.weightFloats)).toEqual([4 * 4 + 4 * 27, 6 * 4 + 6 * 256, 0, 5 + 5 * 6, 0]);
    for (const [i, header] of [{ major: 0, minor: 2, seen: 1234 }, { major: 0, minor: 1, seen: 77 }, { major: 1001, minor: 0, seen: 5 }].entries()) {
      const input = join(dir, `small-${i}.weights`);
      randomWeightsFile(input, header, shape.weightFloats, i + 1);
      const r = await partialWeights({ cfg, weights: input, out: join(dir, 'small-out.weights'), layers: 4 });
      const ours = readFileSync(r.file);
      expect(ours.equals(await darknetPartial(cfg, input, 4)), `header ${header.major}.${header.minor}`).toBe(true);
      expect(parseWeightsHeader(ours)).toMatchObject({ major: 0, minor: 2, seen: 0, headerBytes: 20 });
      // the reordering was exercised: a plain copy of the parameters would differ
      const copy = Buffer.concat([ours.subarray(0, 20), readFileSync(input).subarray(parseWeightsHeader(readFileSync(input)).headerBytes)]);
      expect(ours.equals(copy)).toBe(false);
    }
  });
});

describe('partialWeights', () => {
  const cfg = join(dir, 'small-errors.cfg');
  let shape: NetworkShape;
  let input: string;
  beforeAll(() => {
    writeFileSync(cfg, SMALL);
    shape = validateCfg(parseCfg(SMALL));
    input = join(dir, 'small-errors.weights');
    randomWeightsFile(input, { major: 0, minor: 2, seen: 0 }, shape.weightFloats, 9);
  });

  it('refuses bad options, a layer count beyond the network, and layers whose saved record differs from the loaded one', async () => {
    const out = join(dir, 'e.weights');
    for (const layers of [0, -1, 1.5, NaN, '3' as unknown as number]) {
      await expect(partialWeights({ cfg, weights: input, out, layers })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    }
    await expect(partialWeights({ cfg, weights: input, out: '', layers: 1 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(partialWeights({ cfg, weights: input, out, layers: 6 })).rejects.toMatchObject({ code: 'BAD_INPUT', message: /has 5 layers/ });
    await expect(partialWeights({ cfg, weights: join(dir, 'none.weights'), out, layers: 1 })).rejects.toMatchObject({ code: 'ENOENT' });
    const dontsave = join(dir, 'dontsave.cfg');
    writeFileSync(dontsave, SMALL.replace('flipped=1', 'dontsave=1'));
    await expect(partialWeights({ cfg: dontsave, weights: input, out, layers: 2 })).rejects.toMatchObject({ code: 'CFG_UNSUPPORTED', line: 7 });
    const noscales = join(dir, 'noscales.cfg');
    writeFileSync(noscales, SMALL.replace('output=6\n', 'output=6\ndontloadscales=1\n'));
    await expect(partialWeights({ cfg: noscales, weights: input, out, layers: 2 })).rejects.toMatchObject({ code: 'CFG_UNSUPPORTED', line: 15, message: /dontloadscales/ });
    expect(existsSync(out)).toBe(false);
  });

  it('writes through a temporary file: a failure leaves the old output and no stray file', async () => {
    const out = join(dir, 'keep.weights');
    writeFileSync(out, 'old');
    const cut = join(dir, 'cut.weights');
    writeFileSync(cut, readFileSync(input).subarray(0, 20 + 4 * 100)); // inside layer 0
    await expect(partialWeights({ cfg, weights: cut, out, layers: 1 })).rejects.toMatchObject({ code: 'WEIGHTS_SIZE', file: cut, message: /inside layer 0 \(convolutional, line 7\)/ });
    expect(readFileSync(out, 'utf8')).toBe('old');
    await expect(partialWeights({ cfg, weights: input, out: join(dir, 'missing-dir', 'x.weights'), layers: 1 })).rejects.toMatchObject({ code: 'ENOENT' });
    const r = await partialWeights({ cfg, weights: input, out, layers: 1 });
    expect(statSync(out).size).toBe(20 + 4 * shape.layers[0]!.weightFloats);
    expect(r.bytes).toBe(statSync(out).size);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('weightsCoverage', () => {
  const yolo = validateCfg(parseCfg(readFileSync(join(DARKNET_SHARE, 'cfg', 'yolov3.cfg'), 'utf8')));
  const h20 = parseWeightsHeader(new Uint8Array([0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  const upto = (k: number) => 20 + 4 * yolo.layers.slice(0, k).reduce((a, l) => a + l.weightFloats, 0);

  it('accepts the complete file and whole-layer prefixes, reporting the layers they hold', () => {
    expect(weightsCoverage(yolo, h20, upto(yolo.layers.length), 'y.weights')).toMatchObject({ layers: 107, complete: true });
    // darknet53.conv.74: layers 0–73 (layer 74 is a shortcut, with no parameters)
    expect(upto(74)).toBe(162_482_580);
    expect(weightsCoverage(yolo, h20, upto(74), 'c.weights')).toMatchObject({ layers: 74, complete: false, floats: (upto(74) - 20) / 4 });
    expect(weightsCoverage(yolo, h20, upto(1), 'c.weights')).toMatchObject({ layers: 1 });
  });

  it('refuses a file cut inside a layer (naming it), a header alone, and a file longer than the network', () => {
    const t = (size: number) => { try { weightsCoverage(yolo, h20, size, 'w.weights', 'yolov3.cfg'); } catch (e) { return e as { code: string; message: string; file: string }; } throw new Error('accepted'); };
    expect(t(upto(74) + 4)).toMatchObject({ code: 'WEIGHTS_SIZE', file: 'w.weights', message: expect.stringMatching(/end inside layer 75 \(convolutional, line \d+\), 4 bytes into/) });
    expect(t(upto(74) - 2).message).toMatch(/inside layer 73/);
    expect(t(20).message).toMatch(/no layer's parameters/);
    expect(t(upto(107) + 4).message).toMatch(/4 bytes too many/);
  });

  it('checkPrefixWeights reads the header and size from the file', async () => {
    const f = join(dir, 'prefix.weights');
    const small = validateCfg(parseCfg(SMALL));
    randomWeightsFile(f, { major: 0, minor: 1, seen: 3 }, small.layers[0]!.weightFloats + small.layers[1]!.weightFloats, 4);
    expect(await checkPrefixWeights(f, small)).toMatchObject({ layers: 2, complete: false, header: { headerBytes: 16, seen: 3 } });
    truncateSync(f, statSync(f).size - 4);
    await expect(checkPrefixWeights(f, small)).rejects.toMatchObject({ code: 'WEIGHTS_SIZE', message: /inside layer 1 \(connected/ });
  });
});
