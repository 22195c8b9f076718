/**
 * tiny.cfg (Darknet's 224 ImageNet reference model) against `darknet classifier predict` and
 * libdarknet.so (test/helpers/classifier-parity.ts); darknet53, darknet19 and resnet50 in
 * system/classifier-parity.test.ts.
 */
import { classifierParity } from '../helpers/classifier-parity.js';

classifierParity('tiny', ['dog', 'eagle', 'giraffe', 'person']);
