/**
 * Fast [route] and [upsample] (native/fast/reshape.c) in every layout they can meet (layout.c):
 * an upsample reading a grouped convolution's NCHW and writing NHWC for oneDNN, one reading NHWC
 * and writing NCHW for a grouped convolution, a route joining an NCHW and an NHWC input into NHWC,
 * another into NCHW (the NHWC-to-NHWC paths run in yolov3-tiny: fast.test.ts). Raw outputs within
 * 1e-4 of reference numerics (the copies themselves are exact: a misplaced channel would be far
 * off), the same bytes for 1 and 2 threads and in a batch of 2, and the fast layers really ran.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { capabilities } from '../../lib/index.js';
import { fastHoldsToReference, kernelsRun, makeKernelNet, ONE_CLASS_HEAD, type KernelNet } from '../helpers/kernel-net.js';

const CFG = `[net]
batch=1
width=16
height=12
channels=3

[convolutional]
batch_normalize=1
filters=32
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

[upsample]
stride=2

[convolutional]
batch_normalize=1
filters=32
size=3
stride=2
pad=1
activation=leaky

[route]
layers=0,3

[convolutional]
batch_normalize=1
filters=32
size=1
stride=1
pad=1
activation=leaky

[upsample]
stride=2

[convolutional]
batch_normalize=1
filters=32
size=3
stride=2
pad=1
groups=2
activation=leaky

[route]
layers=7,5

[convolutional]
batch_normalize=1
filters=32
size=1
stride=1
pad=1
groups=2
activation=leaky

${ONE_CLASS_HEAD}`;

describe('fast route and upsample', () => {
  let net: KernelNet;
  beforeAll(async () => {
    net = await makeKernelNet('reshape', CFG, 5);
  });

  it.runIf(capabilities().dnnl)('run as fast layers (DARKNET_NODE_PROFILE)', async () => {
    expect(await kernelsRun(net, 'route|upsample')).toEqual(['2:fast', '4:fast', '6:fast', '8:fast']);
    expect(await kernelsRun(net, 'convolutional')).toEqual(expect.arrayContaining(['3:onednn', '5:onednn']));
  });

  it('within 1e-4 of reference numerics, the same bytes for 1 and 2 threads and in a batch of 2', async () => {
    await fastHoldsToReference(net);
  });
});
