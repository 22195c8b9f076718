/* The Darknet operations the bridge (and the fuzz harnesses) call, each in its own file of ops/
 * and each running its Darknet work under the guard. This header only gathers theirs. */
#ifndef DN_OPS_H
#define DN_OPS_H
#include "classify.h"
#include "detect.h"
#include "detect_jpeg.h"
#include "devices.h"
#include "forward.h"
#include "info.h"
#include "load.h"
#include "types.h"
#include "weights_cache.h"
#endif
