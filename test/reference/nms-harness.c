/* Oracle for native/ops/nms.c: runs libdarknet.so's do_nms_sort and our dn_nms_sort on copies of the
 * same random detection sets and compares the arrays they leave, entry by entry and byte for byte
 * (which entry sits where, boxes, objectness, sort_class, every probability).
 *
 * usage: nms-harness check <first seed> <count>   prints "ok <cases> <entries>" or the first difference
 *        nms-harness time|yolo <n> <classes> <reps>  prints "darknet <ms> ours <ms>" (medians)
 *          time: boxes spread uniformly; yolo: laid out as yolov3-416's heads with random weights
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "darknet.h"
#include "nms.h"

static uint64_t state;
static uint32_t next_u32(void) {
  state ^= state << 13; state ^= state >> 7; state ^= state << 17;
  return (uint32_t)(state >> 11);
}
static float unit(void) { return (next_u32() & 0xffffff) / 16777216.0f; }
static int below(int n) { return (int)(next_u32() % (uint32_t)n); }

/* a probability as get_network_boxes leaves it: 0, or above thresh; `levels` > 0 makes ties */
static float prob(float thresh, int levels) {
  float p = thresh + (1 - thresh) * unit();
  if (levels) p = thresh + (1 - thresh) * (float)(1 + below(levels)) / (float)(levels + 1);
  return p;
}

static detection *make_set(int n, int classes, float density, int levels, float size, float thresh) {
  detection *d = calloc((size_t)n ? n : 1, sizeof(detection));
  for (int i = 0; i < n; i++) {
    d[i].classes = classes;
    d[i].prob = calloc((size_t)classes ? classes : 1, sizeof(float));
    d[i].mask = (float *)(uintptr_t)(i + 1); /* identity, to compare positions */
    if (i > 0 && below(8) == 0) { /* a duplicate box of an earlier entry */
      d[i].bbox = d[below(i)].bbox;
    } else {
      d[i].bbox.x = -0.1f + 1.2f * unit();
      d[i].bbox.y = -0.1f + 1.2f * unit();
      d[i].bbox.w = size * (0.05f + unit());
      d[i].bbox.h = size * (0.05f + unit());
      int odd = below(200);
      if (odd == 0) d[i].bbox.w = INFINITY;
      else if (odd == 1) d[i].bbox.h = 0;
      else if (odd == 2) d[i].bbox.w = 3;
    }
    d[i].objectness = below(20) == 0 ? 0 : prob(thresh, levels);
    for (int k = 0; k < classes; k++)
      if (unit() < density) d[i].prob[k] = prob(thresh, levels);
  }
  return d;
}

/* what random weights give on yolov3-416: a box per anchor and cell of the three heads, centred
 * near its cell, of about its anchor's size; `n` of them, most classes above thresh */
static detection *yolo_set(int n, int classes) {
  static const int grids[3] = {13, 26, 52};
  static const float anchors[9][2] = {{116, 90}, {156, 198}, {373, 326}, {30, 61}, {62, 45}, {59, 119}, {10, 13}, {16, 30}, {33, 23}};
  detection *d = calloc((size_t)n, sizeof(detection));
  for (int i = 0; i < n; i++) {
    int head = below(3), g = grids[head], a = head * 3 + below(3);
    d[i].classes = classes;
    d[i].prob = calloc((size_t)classes, sizeof(float));
    d[i].mask = (float *)(uintptr_t)(i + 1);
    d[i].bbox.x = (below(g) + 0.4f + 0.2f * unit()) / g;
    d[i].bbox.y = (below(g) + 0.4f + 0.2f * unit()) / g;
    d[i].bbox.w = anchors[a][0] / 416 * (0.8f + 0.4f * unit());
    d[i].bbox.h = anchors[a][1] / 416 * (0.8f + 0.4f * unit());
    d[i].objectness = prob(0.5f, 0);
    for (int k = 0; k < classes; k++)
      if (unit() < 0.9f) d[i].prob[k] = prob(0.5f, 0);
  }
  return d;
}

static detection *copy_set(const detection *s, int n, int classes) {
  detection *d = calloc((size_t)n ? n : 1, sizeof(detection));
  for (int i = 0; i < n; i++) {
    d[i] = s[i];
    d[i].prob = malloc(((size_t)classes ? classes : 1) * sizeof(float));
    memcpy(d[i].prob, s[i].prob, (size_t)classes * sizeof(float));
  }
  return d;
}

static void free_set(detection *d, int n) {
  for (int i = 0; i < n; i++) free(d[i].prob);
  free(d);
}

static int same(const detection *a, const detection *b, int n, int classes, long seed) {
  for (int i = 0; i < n; i++) {
    if (a[i].mask != b[i].mask || memcmp(&a[i].bbox, &b[i].bbox, sizeof(box)) ||
        memcmp(&a[i].objectness, &b[i].objectness, sizeof(float)) || a[i].sort_class != b[i].sort_class ||
        memcmp(a[i].prob, b[i].prob, (size_t)classes * sizeof(float))) {
      printf("differ seed %ld n %d classes %d at %d: entry %ld vs %ld, sort_class %d vs %d\n", seed, n, classes, i,
             (long)(uintptr_t)a[i].mask - 1, (long)(uintptr_t)b[i].mask - 1, a[i].sort_class, b[i].sort_class);
      for (int k = 0; k < classes; k++)
        if (a[i].prob[k] != b[i].prob[k]) { printf("  class %d: %.9g vs %.9g\n", k, a[i].prob[k], b[i].prob[k]); break; }
      return 0;
    }
  }
  return 1;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc == 4 && !strcmp(argv[1], "check")) {
    long first = atol(argv[2]), count = atol(argv[3]), entries = 0;
    static const int sizes[] = {0, 1, 2, 3, 10, 40, 200, 600, 1200};
    static const int class_counts[] = {1, 2, 3, 20, 80};
    static const float threshes[] = {0.45f, 0.45f, 0.45f, 0.0001f, 0.3f, 0.7f, 0.99f, 1.0f};
    for (long seed = first; seed < first + count; seed++) {
      state = 0x9E3779B97F4A7C15ull ^ (uint64_t)(seed * 2654435761u + 1);
      int n = sizes[below(9)], classes = class_counts[below(5)];
      float density = (float[]){0.02f, 0.2f, 0.6f, 1.0f}[below(4)];
      int levels = (int[]){0, 0, 1, 3, 10}[below(5)];
      float size = (float[]){0.02f, 0.1f, 0.3f, 1.0f}[below(4)];
      float nms = threshes[below(8)];
      detection *ref = make_set(n, classes, density, levels, size, 0.25f);
      detection *ours = copy_set(ref, n, classes);
      do_nms_sort(ref, n, classes, nms);
      if (dn_nms_sort(ours, n, classes, nms) != 0) { printf("out of memory\n"); return 1; }
      if (!same(ref, ours, n, classes, seed)) return 1;
      entries += n;
      free_set(ref, n);
      free_set(ours, n);
    }
    printf("ok %ld %ld\n", count, entries);
    return 0;
  }
  if (argc == 5 && (!strcmp(argv[1], "time") || !strcmp(argv[1], "yolo"))) {
    int yolo = !strcmp(argv[1], "yolo");
    int n = atoi(argv[2]), classes = atoi(argv[3]), reps = atoi(argv[4]);
    double td[64], to[64];
    if (reps > 64) reps = 64;
    for (int r = 0; r < reps; r++) {
      state = 12345 + r;
      /* what random weights give: most boxes above thresh in most classes, little overlap */
      detection *ref = yolo ? yolo_set(n, classes) : make_set(n, classes, 0.9f, 0, 0.1f, 0.25f);
      detection *ours = copy_set(ref, n, classes);
      double t0 = now_ms();
      if (r < 3 && !getenv("NMS_OURS_ONLY")) do_nms_sort(ref, n, classes, 0.45f);
      double t1 = now_ms();
      dn_nms_sort(ours, n, classes, 0.45f);
      double t2 = now_ms();
      td[r] = r < 3 ? t1 - t0 : td[0];
      to[r] = t2 - t1;
      if (r < 3 && !getenv("NMS_OURS_ONLY") && !same(ref, ours, n, classes, r)) return 1;
      free_set(ref, n);
      free_set(ours, n);
    }
    qsort(td, reps < 3 ? reps : 3, sizeof(double), cmp_double);
    qsort(to, reps, sizeof(double), cmp_double);
    printf("darknet %.2f ours %.2f\n", td[(reps < 3 ? reps : 3) / 2], to[reps / 2]);
    return 0;
  }
  fprintf(stderr, "usage: nms-harness check <seed> <count> | time <n> <classes> <reps>\n");
  return 2;
}
