/* DARKNET_NODE_PROFILE=1: per-layer times of every forward pass, printed to stderr. */
#include "profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "fast/fast.h"
#include "ops/layer_names.h"

/* DARKNET_NODE_PROFILE=1: each layer's time in a pass (ops/pass.c times them), a table on
 * stderr (used to find where a forward pass spends its time). A process-wide table: profile one
 * network at a time. */
static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int dn_profile_enabled(void) {
  static int enabled = -1;
  if (enabled < 0) {
    const char *v = getenv("DARKNET_NODE_PROFILE");
    enabled = v && *v && strcmp(v, "0") != 0;
  }
  return enabled;
}

static double total, gflop;

void dn_profile_begin(void) {
  total = gflop = 0;
  fprintf(stderr, "darknet-node profile (%d threads)\n",
#ifdef _OPENMP
          omp_get_max_threads()
#else
          1
#endif
  );
}

double dn_profile_now(void) { return now_ms(); }

void dn_profile_layer(int i, const layer *lp, double dt) {
  layer l = *lp;
  total += dt;
  double gf = l.type == CONVOLUTIONAL ? 2.0 * l.n * l.size * l.size * l.c / l.groups * l.out_h * l.out_w * l.batch / 1e9 : 0;
  gflop += gf;
  fprintf(stderr, "%4d %-14s %-11s %4dx%4dx%4d -> %4dx%4dx%4d %8.2f ms", i, dn_layer_type_name(l.type),
          dn_fast_kernel_name(&l), l.w, l.h, l.c, l.out_w, l.out_h, l.out_c, dt);
  if (gf > 0) fprintf(stderr, "  %6.1f GFLOP/s", gf / dt * 1e3);
  fprintf(stderr, "\n");
}

void dn_profile_end(void) {
  fprintf(stderr, "total %.2f ms, %.2f GFLOP, %.1f GFLOP/s\n", total, gflop, gflop / total * 1e3);
}
