/**
 * oneDNN behind fast numerics (native/fast/dnnl.c): built in where its header was there at build
 * time, loaded from libdnnl.so.2 at run time, and optional — a process that cannot load it runs
 * fast numerics on the addon's own kernels. Either way the bytes do not depend on the thread
 * count. Accuracy against reference numerics: fast.test.ts (tiny) and system/fast-yolov3.test.ts,
 * which run with oneDNN wherever it is installed; the OpenBLAS environments and yolov3's every
 * layer shape: system/threads-env.test.ts.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { native } from '../../lib/native.js';
import { ensureModel } from '../helpers/fixtures.js';
import { digestsInChild, expectThreadInvariant, SHAPES } from '../helpers/threads.js';

const header = existsSync('/usr/include/dnnl.h') || existsSync('/usr/include/oneapi/dnnl/dnnl.h');
const library = ['/usr/lib/x86_64-linux-gnu/libdnnl.so.2', '/usr/lib/aarch64-linux-gnu/libdnnl.so.2'].some((f) => existsSync(f));
const ABSENT = { ...process.env, DARKNET_NODE_DNNL_LIB: '/nonexistent/libdnnl.so.2' };

describe('oneDNN convolutions', () => {
  it('capabilities name oneDNN and the ISA it runs wherever the header was there at build time and the library loads', () => {
    expect(native().capabilities().dnnl ?? null).toEqual(header && library ? expect.stringMatching(/^oneDNN 2\.\d+\.\d+ \(\w+\)$/) : null);
  });

  it('same bytes for 1–4 threads with oneDNN and without it (a library that cannot be loaded), and the two are different kernels', async () => {
    const models = [SHAPES, { ...(await ensureModel('tiny')), name: 'tiny' }];
    const [withLib, without] = [await digestsInChild(process.env, models), await digestsInChild(ABSENT, models)];
    expect(without.dnnl).toBeNull();
    expectThreadInvariant(without, ABSENT, ['shapes', 'tiny']);
    expectThreadInvariant(withLib, process.env, ['shapes', 'tiny']);
    if (header && library) {
      expect(withLib.dnnl).toMatch(/oneDNN/);
      // the variable really switched the kernels (fast.test.ts holds both to reference numerics)
      expect(withLib.models.tiny!['1']).not.toBe(without.models.tiny!['1']);
    }
  });
});
