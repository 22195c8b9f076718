/**
 * Winograd F(4×4,3×3) (native/fast/wino43.c) on a network made for it: two 3×3 layers of 64
 * channels on a 22×19 map (neither side a multiple of the 4×4 tile), the first reading oneDNN's
 * NHWC output and writing NCHW for a route (logistic, applied after the kernel), the second
 * reading that route's NCHW (transposed first) with leaky ReLU fused. Raw outputs within 1e-4 of
 * reference numerics, the same bytes for 1, 2 and 8 threads (8: more than Darknet's workspace
 * holds U's per-thread corners for, so the pass runs in the thread's own scratch) and in a batch
 * of 2, and the kernel really ran (DARKNET_NODE_PROFILE names each layer's kernel). fast.test.ts and
 * system/fast-yolov3.test.ts hold it to reference detections in yolov3-tiny and yolov3.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { capabilities } from '../../lib/index.js';
import { AVX512, fastHoldsToReference, kernelsRun, makeKernelNet, ONE_CLASS_HEAD, type KernelNet } from '../helpers/kernel-net.js';

const CFG = `[net]
batch=1
width=22
height=19
channels=3

[convolutional]
batch_normalize=1
filters=64
size=3
stride=1
pad=1
activation=leaky

[convolutional]
batch_normalize=1
filters=64
size=3
stride=1
pad=1
activation=logistic

[route]
layers=-1

[convolutional]
batch_normalize=1
filters=64
size=3
stride=1
pad=1
activation=leaky

[convolutional]
filters=64
size=1
stride=1
pad=1
activation=leaky

${ONE_CLASS_HEAD}`;

describe('Winograd F(4,3)', () => {
  let net: KernelNet;
  beforeAll(async () => {
    net = await makeKernelNet('wino43', CFG, 3);
  });

  it.runIf(AVX512 && capabilities().dnnl)('runs both 3×3 layers of 64 channels (DARKNET_NODE_PROFILE)', async () => {
    expect(await kernelsRun(net, 'convolutional')).toEqual(['0:onednn', '1:winograd4x4', '3:winograd4x4', '4:onednn', '5:onednn']);
  });

  it('within 1e-4 of reference numerics, the same bytes for 1, 2 and 8 threads and in a batch of 2', async () => {
    await fastHoldsToReference(net, [8]);
  });
});
