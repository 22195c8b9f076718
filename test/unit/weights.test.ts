import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCfg, setOption, validateCfg } from '../../lib/cfg/index.js';
import { expectedWeightsBytes, parseWeightsHeader, readWeightsHeader } from '../../lib/weights.js';
import { writeRandomWeights } from '../../lib/random-weights.js';
import { CACHE, DARKNET_SHARE, ROOT } from '../helpers/fixtures.js';

const header = (major: number, minor: number, revision: number, seen: bigint, wide: boolean) => {
  const b = new Uint8Array(wide ? 20 : 16);
  const dv = new DataView(b.buffer);
  dv.setInt32(0, major, true); dv.setInt32(4, minor, true); dv.setInt32(8, revision, true);
  if (wide) dv.setBigUint64(12, seen, true); else dv.setInt32(12, Number(seen), true);
  return b;
};

describe('weights header', () => {
  it('reads version 0.2+ with a 64-bit seen (20 bytes)', () => {
    expect(parseWeightsHeader(header(0, 2, 5, 32_013_312n, true))).toEqual({ major: 0, minor: 2, revision: 5, seen: 32_013_312, headerBytes: 20, transpose: false });
  });
  it('reads version 0.1 with a 32-bit seen (16 bytes)', () => {
    expect(parseWeightsHeader(header(0, 1, 0, 1000n, false))).toMatchObject({ seen: 1000, headerBytes: 16 });
  });
  it('treats major/minor ≥ 1000 as old-style with transposed connected weights', () => {
    expect(parseWeightsHeader(header(1001, 0, 0, 7n, false))).toMatchObject({ headerBytes: 16, transpose: true });
  });
  it('rejects a short or negative header', () => {
    expect(() => parseWeightsHeader(new Uint8Array(12), 'x.weights')).toThrow(expect.objectContaining({ code: 'WEIGHTS_HEADER', file: 'x.weights' }));
    expect(() => parseWeightsHeader(header(0, 2, 0, 0n, true).subarray(0, 16))).toThrow(expect.objectContaining({ code: 'WEIGHTS_HEADER' }));
  });
  it('changes the expected size by the header width', () => {
    expect(expectedWeightsBytes({ weightFloats: 10 }, { headerBytes: 16 })).toBe(56);
    expect(expectedWeightsBytes({ weightFloats: 10 }, { headerBytes: 20 })).toBe(60);
  });
});

describe('writeRandomWeights', () => {
  it('writes exactly the bytes Darknet reads for the cfg, deterministically for a seed', async () => {
    const cfg = parseCfg(readFileSync(join(DARKNET_SHARE, 'cfg', 'yolov2-tiny.cfg'), 'utf8'));
    setOption(cfg.sections[0]!, 'batch', 1);
    const shape = validateCfg(cfg);
    const a = join(CACHE, 'rw-a.weights');
    const b = join(CACHE, 'rw-b.weights');
    await writeRandomWeights(shape, a, { seed: 7 });
    expect(statSync(a).size).toBe(expectedWeightsBytes(shape, { headerBytes: 20 }));
    expect(statSync(a).size).toBe(44_948_600); // yolov2-tiny.weights as published
    expect(await readWeightsHeader(a)).toMatchObject({ major: 0, minor: 2, headerBytes: 20 });
    // determinism on a smaller network (the same writer)
    const smallShape = validateCfg(parseCfg(readFileSync(join(ROOT, 'models', 'shapes', 'shapes.cfg'), 'utf8')));
    const c = join(CACHE, 'rw-c.weights');
    await writeRandomWeights(smallShape, b, { seed: 7 });
    await writeRandomWeights(smallShape, c, { seed: 7 });
    expect(readFileSync(b).equals(readFileSync(c))).toBe(true);
    await writeRandomWeights(smallShape, c, { seed: 8 });
    expect(readFileSync(b).equals(readFileSync(c))).toBe(false);
    writeFileSync(a, '');
    writeFileSync(b, '');
    writeFileSync(c, '');
  });
});
