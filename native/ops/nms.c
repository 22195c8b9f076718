/* Darknet's do_nms_sort, with the same effect on the detection array (same final order, same
 * probabilities zeroed, same sort_class), without its classes × n² loop.
 *
 * What do_nms_sort does, restated so that it can be computed faster:
 *  1. entries with objectness 0 are swapped to the end (that exact swap sequence) and left out;
 *  2. for each class k in turn: qsort by prob[k], descending; then for each i in that order with
 *     prob[k] != 0, zero prob[k] of every later j whose box_iou(i, j) exceeds thresh.
 * glibc's qsort is a stable merge sort, so each class's sort is a stable sort of the previous
 * order by prob[k] (as it was before suppression: class k's values change only after its sort);
 * a stable radix sort gives the same permutation. The suppression is greedy: j loses class k
 * when an earlier kept i (non-zero, not suppressed) has box_iou(i, j) > thresh. Which pairs are
 * above thresh does not depend on the class, so they are found once, and each class's pass
 * walks those pairs only. The IoU is Darknet's own box_iou, with do_nms_sort's argument order,
 * wherever the decision is close. Tested for equality against libdarknet.so's do_nms_sort on
 * random box sets (test/reference/nms-harness.c). */
#include "nms.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Boxes are filed in a hierarchy of grids over [0,1]²: level L has 2^L × 2^L cells of side
 * s_L = 2^-L, and a box sits at the finest level whose cell side still covers its larger side,
 * filed under the cell of its top-left corner (it reaches at most one cell further right and
 * down; one that would reach further, by rounding, is "loose"). For L > 0 its larger side is at
 * most s_L; for L < LEVELS-1 more than s_L/2. IoU > t needs width and height ratios above t
 * (overlap ≤ the smaller side, union ≥ the larger area), so a box of larger side M only looks at
 * levels with t·M/2 ≤ s_L ≤ 4·M/t: a factor 2 of slack each way, far beyond any rounding.
 * Within a level, the cells of a row are contiguous, and a loop the compiler vectorizes tests a
 * whole run of boxes. Boxes with a non-finite extent or a negative side are loose too: checked
 * against everything. */
#define LEVELS 8
/* Found pairs are kept up to this many per box; a set more crowded than that is done class by
 * class against the boxes kept so far, which needs no memory per pair. */
#ifndef PAIRS_PER_BOX /* overridable so that the tests can force the crowded path */
#define PAIRS_PER_BOX 128
#endif

typedef struct {
  int level;         /* -1: loose */
  float l, r, t, d;  /* extents as Darknet's overlap() computes them */
  float m, area;     /* larger side, w·h */
} place;

static int cell_at(float v, int L) {
  float s = v * (float)(1 << L);
  int g = 1 << L;
  if (!(s >= 0)) return 0;
  if (s >= (float)(g - 1)) return g - 1;
  return (int)s;
}

static place place_of(box b) {
  place p = {-1, b.x - b.w / 2, b.x + b.w / 2, b.y - b.h / 2, b.y + b.h / 2, b.w > b.h ? b.w : b.h, b.w * b.h};
  if (!isfinite(p.l) || !isfinite(p.r) || !isfinite(p.t) || !isfinite(p.d) || !(b.w >= 0) || !(b.h >= 0)) return p;
  int L = 0;
  while (L < LEVELS - 1 && p.m <= 1.0f / (float)(2 << L)) L++;
  if (cell_at(p.r, L) - cell_at(p.l, L) > 1 || cell_at(p.d, L) - cell_at(p.t, L) > 1) return p;
  p.level = L;
  return p;
}

typedef struct {
  int *start[LEVELS];   /* per level: first slot of each cell (row-major), and one past the end */
  int *idx;             /* slot → entry, levels one after the other */
  float *l, *r, *t, *d, *area; /* slot → the entry's extents */
  int *loose, nloose;
} filing;

/* files entries [0, n) by level and corner cell (a counting sort, so it is deterministic) */
static void file_all(filing *f, const place *where, int n, int *cellof) {
  int base = 0;
  f->nloose = 0;
  for (int L = 0; L < LEVELS; L++) {
    int cells = 1 << (2 * L);
    int *st = f->start[L];
    memset(st, 0, (size_t)(cells + 1) * sizeof(int));
    for (int i = 0; i < n; i++)
      if (where[i].level == L) {
        cellof[i] = (cell_at(where[i].t, L) << L) + cell_at(where[i].l, L);
        st[cellof[i] + 1]++;
      }
    st[0] = base;
    for (int c = 0; c < cells; c++) st[c + 1] += st[c];
    for (int i = 0; i < n; i++)
      if (where[i].level == L) {
        int s = st[cellof[i]]++;
        f->idx[s] = i;
        f->l[s] = where[i].l; f->r[s] = where[i].r; f->t[s] = where[i].t; f->d[s] = where[i].d;
        f->area[s] = where[i].area;
      }
    /* start[c] now holds the end of cell c: shift back */
    for (int c = cells; c > 0; c--) st[c] = st[c - 1];
    st[0] = base;
    base = st[cells];
  }
  for (int i = 0; i < n; i++)
    if (where[i].level < 0) f->loose[f->nloose++] = i;
}

/* Decisions further than this from thresh, relative, are the same as box_iou's: the overlaps are
 * computed here exactly as overlap() does (x - w/2 rounds once however it is compiled, min, max
 * and one subtraction are exact operations on those), so they are Darknet's to the bit; after
 * that only w·h, the union and a division remain, a few ulps apart however they are ordered, and
 * the union is at least the larger area, so nothing cancels. */
#define DN_LO(t) ((t) * (1 - 1e-5f))
#define DN_HI(t) ((t) * (1 + 1e-5f))

/* box_iou(i, j) > thresh for the boxes in slots [from, to): flag 2 above, 0 not, 1 too close to
 * call here. Written as overlap() writes min and max, so that it vectorizes to the same results. */
static void over_run(const filing *f, int from, int to, const place *b, float thresh, unsigned char *flag) {
  float lo = DN_LO(thresh), hi = DN_HI(thresh);
  for (int s = from; s < to; s++) {
    float w = (f->r[s] < b->r ? f->r[s] : b->r) - (f->l[s] > b->l ? f->l[s] : b->l);
    float h = (f->d[s] < b->d ? f->d[s] : b->d) - (f->t[s] > b->t ? f->t[s] : b->t);
    float in = w * h, iou = in / (f->area[s] + b->area - in);
    int some = (w > 0) & (h > 0);
    flag[s - from] = (unsigned char)(some * ((iou > hi) * 2 + ((iou >= lo) & (iou <= hi))));
  }
}

/* the same for one pair, where either may be loose (then box_iou decides unless there is no
 * positive overlap, which is box_intersection's zero) */
static int over(const detection *dets, const place *where, int i, int j, float thresh) {
  const place *a = &where[i], *b = &where[j];
  float w = (a->r < b->r ? a->r : b->r) - (a->l > b->l ? a->l : b->l);
  float h = (a->d < b->d ? a->d : b->d) - (a->t > b->t ? a->t : b->t);
  if (!(w > 0 && h > 0)) return 0;
  float in = w * h, iou = in / (a->area + b->area - in);
  if (iou > DN_HI(thresh)) return 1;
  if (iou < DN_LO(thresh)) return 0;
  return box_iou(dets[i].bbox, dets[j].bbox) > thresh;
}

typedef struct {
  const filing *f;
  const detection *dets;
  const place *where;
  float thresh;
  const int *kept; /* NULL: every entry counts; else only i with kept[i] == cls */
  int cls;
} scan_ctx;

/* The entries i ≠ j with box_iou(i, j) > thresh (only kept ones when c->kept is set).
 * room < 0: 1 as soon as there is one. Else they are appended to out[0 … room), and their
 * number is returned, or -1 when there are more than room. */
static int scan(const scan_ctx *c, int j, int *out, int room) {
  const filing *f = c->f;
  const place *p = &c->where[j];
  int found = 0;
#define DN_FOUND(i)                            \
  do {                                         \
    if (room < 0) return 1;                    \
    if (found == room) return -1;              \
    out[found++] = (i);                        \
  } while (0)
  for (int m = 0; m < f->nloose; m++) {
    int i = f->loose[m];
    if (i == j || (c->kept && c->kept[i] != c->cls)) continue;
    if (over(c->dets, c->where, i, j, c->thresh)) DN_FOUND(i);
  }
  unsigned char flag[256];
  for (int L = 0; L < LEVELS; L++) {
    int g = 1 << L;
    const int *st = f->start[L];
    if (st[0] == st[g * g]) continue;
    int x0 = 0, x1 = g - 1, y0 = 0, y1 = g - 1;
    if (p->level >= 0) {
      float s = 1.0f / (float)g;
      /* level 0 also holds boxes larger than the image, the last one boxes of any small size */
      if (L > 0 && s < c->thresh * p->m / 2) continue;          /* its boxes are too small */
      if (L < LEVELS - 1 && s > 4 * p->m / c->thresh) continue; /* too large */
      /* a box filed at cell x reaches x + 1 at most */
      x0 = cell_at(p->l, L) - 1; x1 = cell_at(p->r, L);
      y0 = cell_at(p->t, L) - 1; y1 = cell_at(p->d, L);
      if (x0 < 0) x0 = 0;
      if (y0 < 0) y0 = 0;
    }
    for (int y = y0; y <= y1; y++) {
      int from = st[(y << L) + x0], to = st[(y << L) + x1 + 1];
      for (int a = from; a < to; a += 256) {
        int b = a + 256 < to ? a + 256 : to;
        over_run(f, a, b, p, c->thresh, flag);
        for (int s = a; s < b; s++) {
          if (!flag[s - a]) continue;
          int i = f->idx[s];
          if (i == j || (c->kept && c->kept[i] != c->cls)) continue;
          if (flag[s - a] == 2 || box_iou(c->dets[i].bbox, c->dets[j].bbox) > c->thresh) DN_FOUND(i);
        }
      }
    }
  }
#undef DN_FOUND
  return found;
}

/* Stable sort of v by key, descending, as glibc's qsort orders the array with nms_comparator:
 * LSD radix on the float's order-preserving bits (−0 read as 0: nms_comparator calls them tied). */
static uint32_t desc_key(float f) {
  uint32_t u;
  if (f == 0) f = 0;
  memcpy(&u, &f, sizeof u);
  u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
  return ~u;
}

static void radix_desc(int *v, int *tmp, uint32_t *key, uint32_t *ktmp, int n) {
  for (int shift = 0; shift < 32; shift += 8) {
    int count[257] = {0};
    for (int i = 0; i < n; i++) count[((key[i] >> shift) & 255) + 1]++;
    if (count[((key[0] >> shift) & 255) + 1] == n) continue; /* one value: the pass keeps the order */
    for (int b = 0; b < 256; b++) count[b + 1] += count[b];
    for (int i = 0; i < n; i++) {
      int o = count[(key[i] >> shift) & 255]++;
      tmp[o] = v[i];
      ktmp[o] = key[i];
    }
    memcpy(v, tmp, (size_t)n * sizeof(int));
    memcpy(key, ktmp, (size_t)n * sizeof(uint32_t));
  }
}

static size_t cells_total(void) {
  size_t c = 0;
  for (int L = 0; L < LEVELS; L++) c += ((size_t)1 << (2 * L)) + 1;
  return c;
}

int dn_nms_sort(detection *dets, int total, int classes, float thresh) {
  if (total <= 0) return 0;
  if (!(thresh > 0)) { /* every pair would need a look: Darknet's own loop is as good */
    do_nms_sort(dets, total, classes, thresh);
    return 0;
  }
  /* allocated first: on failure nothing has moved, and the caller can run Darknet's */
  size_t cap = (size_t)total, ncls = classes > 0 ? (size_t)classes : 1;
  size_t pair_room = PAIRS_PER_BOX * cap;
  float *probs = malloc(cap * ncls * sizeof(float)); /* class-major, as before any suppression */
  place *where = malloc(cap * sizeof(place));
  detection *sorted = malloc(cap * sizeof(detection));
  uint32_t *keys = malloc(2 * cap * sizeof(uint32_t));
  float *ext = malloc(5 * cap * sizeof(float));
  /* order, tmp, idx, loose, cellof, kept, pair starts, level starts, pairs */
  int *pool = malloc((7 * cap + 1 + cells_total() + pair_room) * sizeof(int));
  if (!probs || !where || !sorted || !keys || !ext || !pool) {
    free(probs); free(where); free(sorted); free(keys); free(ext); free(pool);
    return -1;
  }
  filing f;
  int *order = pool, *tmp = order + cap, *cellof = tmp + cap, *kept = cellof + cap, *start = kept + cap;
  f.idx = start + cap + 1;
  f.loose = f.idx + cap;
  int *at = f.loose + cap;
  for (int L = 0; L < LEVELS; L++) { f.start[L] = at; at += ((size_t)1 << (2 * L)) + 1; }
  int *pairs = at;
  f.l = ext; f.r = ext + cap; f.t = ext + 2 * cap; f.d = ext + 3 * cap; f.area = ext + 4 * cap;

  int k = total - 1;
  for (int i = 0; i <= k; ++i) {
    if (dets[i].objectness == 0) {
      detection swap = dets[i];
      dets[i] = dets[k];
      dets[k] = swap;
      --k;
      --i;
    }
  }
  int n = k + 1, fallback = 0;
  if (n > 0 && classes > 0) {
    for (int i = 0; i < n && !fallback; i++) {
      for (int c = 0; c < classes; c++) {
        float v = dets[i].prob[c];
        fallback |= isnan(v); /* nms_comparator is no order then: only its own sort knows */
        probs[(size_t)c * cap + i] = v;
      }
      where[i] = place_of(dets[i].bbox);
    }
  }
  if (n > 0 && classes > 0 && !fallback) {
    file_all(&f, where, n, cellof);
    scan_ctx sc = {&f, dets, where, thresh, NULL, 0};
    size_t used = 0;
    int crowded = 0;
    for (int j = 0; j < n && !crowded; j++) {
      start[j] = (int)used;
      int found = scan(&sc, j, pairs + used, (int)(pair_room - used));
      if (found < 0) crowded = 1;
      else used += (size_t)found;
    }
    start[n] = (int)used;
    if (crowded) sc.kept = kept;

    for (int i = 0; i < n; i++) { order[i] = i; kept[i] = -1; }
    for (int c = 0; c < classes; c++) {
      const float *pc = probs + (size_t)c * cap;
      for (int q = 0; q < n; q++) keys[q] = desc_key(pc[order[q]]);
      radix_desc(order, tmp, keys, keys + cap, n);
      sc.cls = c;
      for (int q = 0; q < n; q++) {
        int j = order[q], hit = 0;
        if (pc[j] == 0) continue;
        if (crowded) hit = scan(&sc, j, NULL, -1);
        else
          for (int e = start[j]; e < start[j + 1] && !hit; e++) hit = kept[pairs[e]] == c;
        if (hit) dets[j].prob[c] = 0;
        else kept[j] = c;
      }
    }
    /* the order the last class's sort leaves */
    for (int i = 0; i < n; i++) sorted[i] = dets[order[i]];
    for (int i = 0; i < n; i++) {
      dets[i] = sorted[i];
      dets[i].sort_class = classes - 1;
    }
  }
  free(probs); free(where); free(sorted); free(keys); free(ext); free(pool);
  /* entries with objectness 0 are already at the end: Darknet's partition of the rest is a no-op */
  if (fallback) do_nms_sort(dets, n, classes, thresh);
  return 0;
}
