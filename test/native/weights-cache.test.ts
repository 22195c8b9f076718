/**
 * The compiled-weights cache (native/ops/weights_cache.c): the same raw outputs with the cache off,
 * built and hit, in both numerics; a damaged, truncated, foreign or stale file is rebuilt, never
 * used; a changed weights file is noticed; nothing the user or another writer does to the files
 * during use can crash a network (the user's .weights is never mapped; a cache file anyone may
 * write is copied, not mapped); the directory is kept within its size limit.
 */
import { chmodSync, copyFileSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Classifier } from '../../lib/classifier.js';
import { parseCfg } from '../../lib/cfg/parse.js';
import { validateCfg } from '../../lib/cfg/validate.js';
import { Detector } from '../../lib/detector.js';
import { capabilities } from '../../lib/native.js';
import { writeRandomWeights } from '../../lib/random-weights.js';
import type { Numerics } from '../../lib/options.js';
import { DEFAULT_CACHE_LIMIT, weightsCache, weightsCacheLimit } from '../../lib/options.js';
import { pruneCache } from '../../lib/weights-cache.js';
import { ensureModel, readRaw, type ModelFixture } from '../helpers/fixtures.js';

let fx: ModelFixture;
let root: string;
const dirs: string[] = [];
function freshDir(): string {
  const d = mkdtempSync(join(root, 'c-'));
  dirs.push(d);
  return d;
}
const cacheFile = (dir: string) => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.dnw'));
  expect(files).toHaveLength(1);
  return join(dir, files[0]!);
};

/** Raw outputs of the yolo layers on one image, as bytes. */
async function rawOutputs(d: Detector): Promise<Buffer[]> {
  await d.detect(readRaw('dog'), { thresh: 0.5 });
  return (await d.outputs()).map((o) => Buffer.from(o.data.buffer, o.data.byteOffset, o.data.byteLength));
}

async function run(cache: string | false, numerics: Numerics = 'fast', weights = fx.weights) {
  const d = await Detector.load({ cfg: fx.cfg, weights, numerics, cache });
  try {
    return { report: d.loadReport(), outputs: await rawOutputs(d) };
  } finally {
    d.dispose();
  }
}

const same = (a: Buffer[], b: Buffer[]) => {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => expect(x.equals(b[i]!)).toBe(true));
};

beforeAll(async () => {
  fx = await ensureModel('tiny');
  root = mkdtempSync(join(tmpdir(), 'dn-wcache-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.each(['fast', 'reference'] as const)('%s numerics', (numerics) => {
  let off: Buffer[];
  let dir: string;
  beforeAll(async () => {
    off = (await run(false, numerics)).outputs;
    dir = freshDir();
  });

  it('same raw outputs with the cache off, built, hit and rebuilt', async () => {
    const built = await run(dir, numerics);
    expect(built.report.cache).toBe('built');
    expect(built.report.mappedBytes).toBeGreaterThan(statSync(fx.weights).size * 0.9);
    same(built.outputs, off);
    const hit = await run(dir, numerics);
    expect(hit.report).toMatchObject({ cache: 'hit', readMs: 0, transformMs: 0, note: '' });
    same(hit.outputs, off);
    rmSync(cacheFile(dir));
    const rebuilt = await run(dir, numerics);
    expect(rebuilt.report.cache).toBe('built');
    same(rebuilt.outputs, off);
  });

  it('the file is read-only, in a directory only this user may write', () => {
    const f = cacheFile(dir);
    expect(statSync(f).mode & 0o777).toBe(0o444);
    expect(statSync(dir).mode & 0o077).toBe(0);
  });
});

/* The cache's own checksum (native/ops/weights_cache.c hash_bytes), to forge files that pass it. */
const M64 = (1n << 64n) - 1n;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const rotl = (x: bigint, r: number) => ((x << BigInt(r)) | (x >> BigInt(64 - r))) & M64;
function hashBytes(b: Buffer, seed: bigint): bigint {
  let a = (seed + P1) & M64, c2 = seed ^ P2, c3 = (seed - P1) & M64, c4 = ~seed & M64;
  let i = 0;
  const lane = (v: bigint, at: number) => (rotl((v + b.readBigUInt64LE(at) * P2) & M64, 31) * P1) & M64;
  for (; i + 32 <= b.length; i += 32) {
    a = lane(a, i); c2 = lane(c2, i + 8); c3 = lane(c3, i + 16); c4 = lane(c4, i + 24);
  }
  let h = (rotl(a, 1) + rotl(c2, 7) + rotl(c3, 12) + rotl(c4, 18) + BigInt(b.length)) & M64;
  for (; i < b.length; i++) h = ((h ^ BigInt(b[i]!)) * P1) & M64;
  h ^= h >> 33n; h = (h * 0xff51afd7ed558ccdn) & M64; h ^= h >> 33n; h = (h * 0xc4ceb9fe1a85ec53n) & M64; h ^= h >> 33n;
  return h;
}

/* native/ops/stripe_hash.c's definition: 32 lanes over 256-byte stripes, then hashBytes. */
const Q = 0xc2b2ae3d27d4eb4fn;
function stripeHash(b: Buffer, seed: bigint): bigint {
  const acc = Array.from({ length: 32 }, (_, i) => seed ^ ((P1 * BigInt(i + 1)) & M64));
  const whole = Math.floor(b.length / 256);
  for (let s = 0; s < whole; s++) {
    for (let i = 0; i < 32; i++) {
      const dk = b.readBigUInt64LE(256 * s + 8 * i) ^ ((seed + Q * BigInt(i + 1) + P1 * BigInt(s)) & M64);
      acc[i] = (acc[i]! + (dk & 0xffffffffn) * (dk >> 32n) + b.readBigUInt64LE(256 * s + 8 * (i ^ 1))) & M64;
    }
  }
  let h = hashBytes(b.subarray(256 * whole), seed ^ BigInt(b.length));
  const word = Buffer.alloc(8);
  for (const a of acc) {
    word.writeBigUInt64LE(a);
    h = hashBytes(word, h);
  }
  return h;
}

/** An array's checksum: of its 1 MB blocks' stripe hashes, each seeded with the block's file offset. */
const BLOCK = 1 << 20;
const FORMAT = 2n;
function arrayChecksum(file: Buffer, offset: number, bytes: number): bigint {
  const hashes = Buffer.alloc(8 * Math.ceil(bytes / BLOCK));
  for (let at = 0, j = 0; at < bytes; at += BLOCK, j++) {
    hashes.writeBigUInt64LE(stripeHash(file.subarray(offset + at, offset + Math.min(bytes, at + BLOCK)), BigInt(offset + at)), 8 * j);
  }
  return hashBytes(hashes, BigInt(offset));
}

/**
 * Rewrites the memory descriptor at the head of the first oneDNN weights slot of a cache file
 * (oneDNN 2.x's dnnl_memory_desc_t: strides at 320, inner_nblks 416, inner_blks 424), then
 * recomputes that array's checksum and the header's: a forged file that every checksum accepts.
 */
function forgeDnnlSlot(f: string, edit: (md: Buffer) => void): void {
  const buf = readFileSync(f);
  const nlayers = buf.readUInt32LE(40), nrecords = buf.readUInt32LE(44), tables = buf.readUInt32LE(12);
  const DNNL_FORWARD = 7, F_FAST = 5; // FORWARDS[7] is dn_fast_conv_dnnl
  for (let r = 0; r < nrecords; r++) {
    const at = 64 + 16 * nlayers + 32 * r;
    const layer = buf.readInt32LE(at), field = buf.readInt32LE(at + 4);
    if (field !== F_FAST || buf.readInt32LE(64 + 16 * layer + 4) !== DNNL_FORWARD) continue;
    const floats = Number(buf.readBigUInt64LE(at + 8)), offset = Number(buf.readBigUInt64LE(at + 16));
    edit(buf.subarray(offset, offset + 696));
    buf.writeBigUInt64LE(arrayChecksum(buf, offset, floats * 4), at + 24);
    buf.writeBigUInt64LE(0n, 56);
    buf.writeBigUInt64LE(hashBytes(buf.subarray(0, tables), FORMAT), 56);
    writeFileSync(f, buf);
    return;
  }
  throw new Error('no oneDNN slot in the cache file');
}

describe('an unusable cache file is rebuilt, never used', () => {
  let off: Buffer[];
  beforeAll(async () => {
    off = (await run(false)).outputs;
  });

  const damage: Array<[string, (f: string) => void, RegExp]> = [
    ['a flipped byte in the weights', (f) => {
      const fd = openSync(f, 'r+');
      const at = Math.floor(statSync(f).size * 0.7);
      const b = Buffer.alloc(1);
      b[0] = readFileSync(f)[at]! ^ 0x40;
      writeSync(fd, b, 0, 1, at);
      closeSync(fd);
    }, /damaged/],
    ['a flipped byte in the tables', (f) => {
      const buf = readFileSync(f);
      buf[200]! ^= 1;
      writeFileSync(f, buf);
    }, /damaged|fit/],
    ['truncation', (f) => truncateSync(f, Math.floor(statSync(f).size / 2)), /truncated/],
    ['an empty file', (f) => truncateSync(f, 0), /truncated/],
    ['a foreign file', (f) => writeFileSync(f, Buffer.alloc(4096, 7)), /format/],
    // forged (checksums recomputed): a oneDNN layout that would make oneDNN divide by zero or
    // read past the slot must be refused before oneDNN sees it
    ...(capabilities().dnnl
      ? ([
          ['a forged oneDNN slot with a zero block', (f: string) => forgeDnnlSlot(f, (md) => md.writeBigInt64LE(0n, 424)), /fit/],
          ['a forged oneDNN slot with overlapping strides', (f: string) => forgeDnnlSlot(f, (md) => { for (let d = 0; d < 4; d++) md.writeBigInt64LE(1n, 320 + 8 * d); }), /fit/],
          ['a forged oneDNN slot with a block index out of range', (f: string) => forgeDnnlSlot(f, (md) => md.writeBigInt64LE(9n, 520)), /fit/],
        ] as Array<[string, (f: string) => void, RegExp]>)
      : []),
  ];
  it.each(damage)('%s', async (_name, spoil, why) => {
    const dir = freshDir();
    expect((await run(dir)).report.cache).toBe('built');
    const f = cacheFile(dir);
    chmodSync(f, 0o644);
    spoil(f);
    chmodSync(f, 0o444);
    const again = await run(dir);
    expect(again.report.cache).toBe('built');
    expect(again.report.note).toMatch(why);
    same(again.outputs, off);
    expect((await run(dir)).report.cache).toBe('hit');
  });

  it('a weights file changed after caching is noticed (same size, a float in the middle)', async () => {
    const dir = freshDir();
    const w = join(root, 'changed.weights');
    copyFileSync(fx.weights, w);
    expect((await run(dir, 'fast', w)).report.cache).toBe('built');
    const buf = readFileSync(w);
    const mid = 20 + 4 * Math.floor((buf.length - 20) / 8);
    buf.writeFloatLE(buf.readFloatLE(mid) + 0.5, mid);
    writeFileSync(w, buf);
    const changed = await run(dir, 'fast', w);
    expect(changed.report.cache).toBe('built');
    expect(changed.report.note).toMatch(/stale/);
    same(changed.outputs, (await run(false, 'fast', w)).outputs);
  });
});

describe('nothing done to the files during use crashes', () => {
  it("the user's weights file truncated and replaced while networks use it (it is never mapped)", async () => {
    const dir = freshDir();
    const w = join(root, 'user.weights');
    copyFileSync(fx.weights, w);
    const off = (await run(false, 'fast', w)).outputs;
    const a = await Detector.load({ cfg: fx.cfg, weights: w, cache: dir });
    const b = await Detector.load({ cfg: fx.cfg, weights: w, cache: false });
    try {
      truncateSync(w, 0);
      same(await rawOutputs(a), off);
      same(await rawOutputs(b), off);
      writeFileSync(w, Buffer.alloc(1000));
      same(await rawOutputs(a), off);
      same(await rawOutputs(b), off);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('a cache file others may write is read into private memory, so truncating it cannot fault', async () => {
    const dir = freshDir();
    const off = (await run(dir)).outputs;
    const f = cacheFile(dir);
    chmodSync(f, 0o644);
    const d = await Detector.load({ cfg: fx.cfg, weights: fx.weights, cache: dir });
    try {
      expect(d.loadReport()).toMatchObject({ cache: 'copied', mappedBytes: 0 });
      truncateSync(f, 0);
      same(await rawOutputs(d), off);
    } finally {
      d.dispose();
    }
  });

  it('a rebuild while a network maps the old file leaves that network working (rename, not rewrite)', async () => {
    const dir = freshDir();
    const off = (await run(dir)).outputs;
    const d = await Detector.load({ cfg: fx.cfg, weights: fx.weights, cache: dir });
    try {
      expect(d.loadReport().cache).toBe('hit');
      rmSync(cacheFile(dir));
      expect((await run(dir)).report.cache).toBe('built');
      same(await rawOutputs(d), off);
    } finally {
      d.dispose();
    }
  });

  it('concurrent loads of an empty cache all succeed, and share one mapping afterwards', async () => {
    const dir = freshDir();
    const off = (await run(false)).outputs;
    const ds = await Promise.all([0, 1, 2].map(() => Detector.load({ cfg: fx.cfg, weights: fx.weights, cache: dir })));
    try {
      for (const d of ds) {
        expect(['built', 'hit']).toContain(d.loadReport().cache);
        same(await rawOutputs(d), off);
      }
      expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
      expect((await run(dir)).report.cache).toBe('hit');
    } finally {
      ds.forEach((d) => d.dispose());
    }
  });

  it('a cache directory that cannot be created is skipped', async () => {
    const file = join(root, 'not-a-dir');
    writeFileSync(file, 'x');
    const r = await run(join(file, 'sub'));
    expect(r.report.cache).toBe('off');
  });
});

describe('other layer types', () => {
  it('[connected] with batch-norm and [softmax] (a classifier): built, then hit, same outputs', async () => {
    const cfg = join(root, 'cls.cfg');
    const text = '[net]\nwidth=32\nheight=32\nchannels=3\n\n[convolutional]\nfilters=8\nsize=3\nstride=2\npad=1\nactivation=leaky\nbatch_normalize=1\n\n[connected]\noutput=10\nactivation=linear\nbatch_normalize=1\n\n[softmax]\n';
    writeFileSync(cfg, text);
    const weights = join(root, 'cls.weights');
    await writeRandomWeights(validateCfg(parseCfg(text)), weights, { seed: 5 });
    const input = new Float32Array(32 * 32 * 3).map((_, i) => (i % 97) / 97);
    const dir = freshDir();
    const outs: Array<{ cache: string; out: Buffer }> = [];
    for (const cache of [false, dir, dir] as const) {
      for (const numerics of ['fast', 'reference'] as const) {
        const c = await Classifier.load({ cfg, weights, cache, numerics });
        try {
          const out = await c.forward(input);
          outs.push({ cache: `${numerics}:${c.loadReport().cache}`, out: Buffer.from(out.buffer, out.byteOffset, out.byteLength) });
        } finally {
          c.dispose();
        }
      }
    }
    expect(outs.map((o) => o.cache)).toEqual(['fast:off', 'reference:off', 'fast:built', 'reference:built', 'fast:hit', 'reference:hit']);
    for (let i = 2; i < 6; i++) expect(outs[i]!.out.equals(outs[i % 2]!.out)).toBe(true);
  });
});

describe('the cache option', () => {
  it('is checked, and resolves its default from the environment', async () => {
    await expect(Detector.load({ cfg: fx.cfg, weights: fx.weights, cache: 5 as unknown as boolean })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(Detector.load({ cfg: fx.cfg, weights: fx.weights, cache: '' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(weightsCache(false)).toBeNull();
    expect(weightsCache(undefined, { DARKNET_NODE_WEIGHTS_CACHE: 'off' })).toBeNull();
    expect(weightsCache(true, { DARKNET_NODE_WEIGHTS_CACHE: '/x/y' })).toBe('/x/y');
    expect(weightsCache(undefined, { XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/darknet-node/compiled');
    expect(weightsCache(undefined, {})).toMatch(/\.cache\/darknet-node\/compiled$/);
    expect(weightsCache('rel')).toBe(join(process.cwd(), 'rel'));
  });

  it('training networks and random weights never use it', async () => {
    const dir = freshDir();
    const t = await Detector.load({ cfg: fx.cfg, weights: fx.weights, training: true, cache: dir });
    const r = await Detector.load({ cfg: fx.cfg, weights: null, cache: dir });
    expect(t.loadReport().cache).toBe('off');
    expect(r.loadReport().cache).toBe('off');
    t.dispose();
    r.dispose();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('the size limit', () => {
  it('DARKNET_NODE_WEIGHTS_CACHE_LIMIT is read as a size, and checked', () => {
    expect(weightsCacheLimit({})).toBe(DEFAULT_CACHE_LIMIT);
    expect(weightsCacheLimit({ DARKNET_NODE_WEIGHTS_CACHE_LIMIT: '500M' })).toBe(500 * 1024 ** 2);
    expect(weightsCacheLimit({ DARKNET_NODE_WEIGHTS_CACHE_LIMIT: '1.5 GiB' })).toBe(1.5 * 1024 ** 3);
    expect(weightsCacheLimit({ DARKNET_NODE_WEIGHTS_CACHE_LIMIT: '123456' })).toBe(123456);
    expect(() => weightsCacheLimit({ DARKNET_NODE_WEIGHTS_CACHE_LIMIT: 'lots' })).toThrow(/DARKNET_NODE_WEIGHTS_CACHE_LIMIT/);
  });

  it('a load that writes a file removes the least recently used ones over the limit, and dead writers\' temporary files', async () => {
    const dir = freshDir();
    const day = 24 * 3600;
    const old = (name: string, bytes: number, ageDays: number) => {
      const p = join(dir, name);
      writeFileSync(p, Buffer.alloc(bytes));
      const t = Date.now() / 1000 - ageDays * day;
      utimesSync(p, t, t);
    };
    const hex = (c: string) => c.repeat(32);
    old(`${hex('a')}.dnw`, 3000, 3); // oldest: goes first
    old(`${hex('b')}.dnw`, 3000, 2);
    old(`${hex('c')}.dnw`, 3000, 1); // most recent of the old ones: stays
    old(`${hex('d')}.dnw.tmp-Ab12Cd`, 100, 1); // a writer that died a day ago
    old(`${hex('e')}.dnw.tmp-Xy34Zw`, 100, 0); // a writer at work now
    old('notes.txt', 50_000, 9); // not ours: never touched
    const probe = freshDir();
    (await Detector.load({ cfg: fx.cfg, weights: fx.weights, cache: probe })).dispose();
    const fileSize = statSync(cacheFile(probe)).size; // the limit holds the new file and one old one
    const prev = process.env.DARKNET_NODE_WEIGHTS_CACHE_LIMIT;
    process.env.DARKNET_NODE_WEIGHTS_CACHE_LIMIT = String(fileSize + 3000);
    try {
      const d = await Detector.load({ cfg: fx.cfg, weights: fx.weights, cache: dir });
      expect(d.loadReport().cache).toBe('built');
      d.dispose();
    } finally {
      if (prev === undefined) delete process.env.DARKNET_NODE_WEIGHTS_CACHE_LIMIT;
      else process.env.DARKNET_NODE_WEIGHTS_CACHE_LIMIT = prev;
    }
    const left = readdirSync(dir).sort();
    expect(left).toContain(`${hex('c')}.dnw`);
    expect(left).toContain(`${hex('e')}.dnw.tmp-Xy34Zw`);
    expect(left).toContain('notes.txt');
    expect(left).not.toContain(`${hex('a')}.dnw`);
    expect(left).not.toContain(`${hex('b')}.dnw`);
    expect(left).not.toContain(`${hex('d')}.dnw.tmp-Ab12Cd`);
    expect(left.filter((f) => /^[0-9a-f]{32}\.dnw$/.test(f))).toHaveLength(2); // c and the new file
    // the new file still serves a hit
    const again = await Detector.load({ cfg: fx.cfg, weights: fx.weights, cache: dir });
    expect(again.loadReport().cache).toBe('hit');
    again.dispose();
  });

  it('the newest file stays even when it alone is over the limit; a hit prunes nothing', async () => {
    const dir = freshDir();
    expect(await pruneCache(dir, 0)).toEqual([]);
    const a = join(dir, `${'1'.repeat(32)}.dnw`);
    writeFileSync(a, Buffer.alloc(10));
    expect(await pruneCache(dir, 0)).toEqual([]);
    expect(await pruneCache(join(dir, 'missing'), 0)).toEqual([]);
  });
});
