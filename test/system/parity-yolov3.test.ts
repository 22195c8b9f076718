/**
 * yolov3 in reference numerics against Debian's libdarknet.so (test/helpers/parity.ts), on the
 * two busiest sample images; yolov3-tiny on all four in native/parity.test.ts.
 */
import { parityWithLibdarknet } from '../helpers/parity.js';

// the PNG decoding path does not depend on the network: checked on tiny only
parityWithLibdarknet('yolov3', 0.3, ['dog', 'horses'], { png: false });
