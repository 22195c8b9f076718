/**
 * Darknet-53 (YOLOv3's backbone), Darknet-19 and ResNet-50 at 256 against `darknet classifier
 * predict` and libdarknet.so (test/helpers/classifier-parity.ts); tiny in native/.
 */
import { classifierParity } from '../helpers/classifier-parity.js';

classifierParity('darknet53', ['dog', 'eagle']);
classifierParity('darknet19', ['dog', 'eagle']);
classifierParity('resnet50', ['dog', 'eagle']);
