/* libFuzzer target: arbitrary bytes as the .weights file of a small fixed YOLO network, read by
 * the addon's checked loader (native/ops/weights_io.c) without the TypeScript size check in front,
 * then a detect (non-finite weights must be refused, not overflow). Under ASan+UBSan. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guard.h"
#include "ops.h"

static const char CFG[] =
    "[net]\nbatch=1\nwidth=32\nheight=32\nchannels=3\n"
    "[convolutional]\nbatch_normalize=1\nfilters=2\nsize=3\nstride=2\npad=1\nactivation=leaky\n"
    "[connected]\noutput=12\nactivation=linear\n[dropout]\nprobability=.5\n"
    "[route]\nlayers=-3\n"
    "[convolutional]\nfilters=18\nsize=1\nstride=1\npad=1\nactivation=linear\n"
    "[yolo]\nmask=0,1,2\nanchors=4,5,8,9,12,14\nclasses=1\nnum=3\n";

static char cfg_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc; (void)argv;
  int fd = memfd_create("fuzz-cfg", 0);
  if (write(fd, CFG, sizeof CFG - 1) != (ssize_t)(sizeof CFG - 1)) abort();
  snprintf(cfg_path, sizeof cfg_path, "/proc/self/fd/%d", fd);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 1 << 16) return 0;
  int fd = memfd_create("fuzz-weights", 0);
  if (fd < 0) return 0;
  if (size && write(fd, data, size) != (ssize_t)size) { close(fd); return 0; }
  char path[64], err[1024];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  dn_network *net = NULL;
  dn_load_opts o = {.lean = 1, .fast = 1, .threads = 1, .device = -1};
  if (dn_load(cfg_path, path, &o, &net, err, sizeof err) == 0) {
    unsigned char px[40 * 30 * 3];
    memset(px, 77, sizeof px);
    dn_boxes boxes;
    dn_image_in im = {.pixels = px, .len = sizeof px, .w = 40, .h = 30, .c = 3};
    if (dn_detect(net, &im, 1, 1, 0.1f, 0.5f, 0.45f, &boxes, err, sizeof err) == 0) dn_free(boxes.data);
    dn_free_network(net);
  }
  close(fd);
  return 0;
}
