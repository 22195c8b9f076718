/**
 * yolov3-tiny in reference numerics against Debian's libdarknet.so (test/helpers/parity.ts);
 * yolov3 in system/parity-yolov3.test.ts. Fast numerics: fast.test.ts.
 */
import { parityWithLibdarknet } from '../helpers/parity.js';

parityWithLibdarknet('tiny', 0.5, ['dog', 'eagle', 'giraffe', 'horses']);
