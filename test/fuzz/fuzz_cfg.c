/* libFuzzer target: cfg text → Darknet network → one forward pass → boxes after NMS, through the
 * same guard and C operations the addon uses (native/ops/, native/guard/), under ASan+UBSan.
 * Inputs the TypeScript validator would refuse are skipped (precheck.h): a finding here is a
 * crash class the validator misses. Build and run: scripts/fuzz.sh. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <ctype.h>

#include "guard.h"
#include "ops.h"
#include "precheck.h"

static int write_memfd(const uint8_t *data, size_t size, char *path, size_t cap) {
  int fd = memfd_create("fuzz-input", 0);
  if (fd < 0) return -1;
  if (size && write(fd, data, size) != (ssize_t)size) { close(fd); return -1; }
  snprintf(path, cap, "/proc/self/fd/%d", fd);
  return fd;
}

/* What Darknet reads in the product: lib/cfg's parse + serialize (all whitespace removed from
 * each line, comments and blank lines dropped). */
static size_t normalize(const uint8_t *data, size_t size, char *out) {
  size_t o = 0, start = 0;
  for (size_t i = 0; i <= size; i++) {
    if (i < size && data[i] != '\n') continue;
    size_t line_start = o;
    for (size_t k = start; k < i; k++) if (!isspace(data[k])) out[o++] = (char)data[k];
    if (o == line_start || out[line_start] == '#' || out[line_start] == ';') o = line_start;
    else out[o++] = '\n';
    start = i + 1;
  }
  return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 16384) return 0;
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = 0;
  if (memchr(data, 0, size) || !precheck(text)) { free(text); return 0; }
  size = normalize(data, size, text);
  char path[64], err[1024];
  int fd = write_memfd((const uint8_t *)text, size, path, sizeof path);
  free(text);
  if (fd < 0) return 0;
  dn_network *net = NULL;
  for (int lean = 0; lean <= 1; lean++) {
    dn_load_opts o = {.lean = lean, .fast = lean, .threads = 1, .device = -1};
    if (dn_load(path, NULL, &o, &net, err, sizeof err) != 0) continue;
    int w, h, c, batch;
    dn_net_dims(net, &w, &h, &c, &batch);
    unsigned char px[48 * 40 * 3];
    for (size_t i = 0; i < sizeof px; i++) px[i] = (unsigned char)(i * 37);
    dn_boxes boxes;
    dn_image_in im = {.pixels = px, .len = sizeof px, .w = 48, .h = 40, .c = 3};
    if (dn_detect(net, &im, 1, 1, 0.01f, 0.5f, 0.45f, &boxes, err, sizeof err) == 0) dn_free(boxes.data);
    dn_free_network(net);
  }
  close(fd);
  return 0;
}
