#ifndef DN_NMS_H
#define DN_NMS_H
#include "darknet.h"

/* do_nms_sort's exact effect on dets (order, zeroed probabilities, sort_class), in
 * O(classes·m log m + candidates × nearby boxes) instead of classes × n². Returns -1, with
 * dets untouched, when memory runs out (the caller then runs Darknet's). */
int dn_nms_sort(detection *dets, int total, int classes, float thresh);

#endif
