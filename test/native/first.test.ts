/**
 * The first-layer kernel (native/fast/first.c: 3×3 on ≤ 3 channels, AVX-512) on a network made
 * for it: 21 × 13 (not a multiple of its 4-pixel steps), 16 filters writing NCHW for a grouped
 * convolution, and a second such layer reading oneDNN's NCHW output and writing
 * NHWC for oneDNN, its logistic applied after the kernel. Raw outputs within 1e-4 of reference
 * numerics, the same bytes for 1 and 2 threads and in a batch of 2, and the kernel really ran.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { capabilities } from '../../lib/index.js';
import { AVX512, fastHoldsToReference, kernelsRun, makeKernelNet, ONE_CLASS_HEAD, type KernelNet } from '../helpers/kernel-net.js';

const CFG = `[net]
batch=1
width=21
height=13
channels=3

[convolutional]
batch_normalize=1
filters=16
size=3
stride=1
pad=1
activation=leaky

[convolutional]
batch_normalize=1
filters=32
size=1
stride=1
pad=1
groups=2
activation=leaky

[convolutional]
batch_normalize=1
filters=3
size=1
stride=1
pad=1
activation=linear

[convolutional]
batch_normalize=1
filters=16
size=3
stride=1
pad=1
activation=logistic

[convolutional]
batch_normalize=1
filters=16
size=1
stride=1
pad=1
activation=leaky

${ONE_CLASS_HEAD}`;

describe('first-layer kernel', () => {
  let net: KernelNet;
  beforeAll(async () => {
    net = await makeKernelNet('first', CFG, 9);
  });

  it.runIf(AVX512 && capabilities().dnnl)('runs on both 3-channel layers (DARKNET_NODE_PROFILE)', async () => {
    expect(await kernelsRun(net, 'convolutional')).toEqual(expect.arrayContaining(['0:first3x3', '2:onednn', '3:first3x3', '4:onednn']));
  });

  it('within 1e-4 of reference numerics, the same bytes for 1 and 2 threads and in a batch of 2', async () => {
    await fastHoldsToReference(net);
  });
});
