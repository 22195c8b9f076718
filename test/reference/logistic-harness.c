/* Checks native/fast/logistic.c against Darknet's logistic_activate (1./(1. + exp(-x)) in double,
 * rounded to float) on every 61st float in [-120, 120] and on the edge cases, at every alignment
 * and tail length. Prints "ulp <max> tiny <max abs where the reference is below FLT_MIN> nan <ok>
 * edges <ok>". */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logistic.h"

static float ref(float x) { return 1. / (1. + exp(-x)); }

static int64_t ordered(float f) {
  int32_t i;
  memcpy(&i, &f, 4);
  return i < 0 ? (int64_t)INT32_MIN - i : i;
}

int main(void) {
  enum { N = 1 << 16 };
  static float in[N + 16], out[N + 16];
  double max_ulp = 0, tiny = 0;
  int nan_ok = 1, edges_ok = 1;
  uint32_t lo, hi;
  float flo = -120.f, fhi = 120.f;
  memcpy(&lo, &flo, 4), memcpy(&hi, &fhi, 4);
  /* the negative half (bit patterns from -0 up to -120), then the positive half */
  for (int half = 0; half < 2; half++) {
    uint32_t from = half ? 0u : 0x80000000u, to = half ? hi : lo, bits = from;
    while (bits <= to) {
      int n = 0;
      for (; n < N && bits <= to; n++, bits += 61) memcpy(&in[n], &bits, 4);
      dn_logistic(in, out, n);
      for (int i = 0; i < n; i++) {
        float r = ref(in[i]);
        if (r < FLT_MIN) { if (fabs((double)out[i] - r) > tiny) tiny = fabs((double)out[i] - r); continue; }
        double u = (double)llabs(ordered(out[i]) - ordered(r));
        if (u > max_ulp) max_ulp = u;
      }
    }
  }
  /* every alignment and tail length gives the same values */
  for (int off = 0; off < 16; off++)
    for (int n = 0; n <= 40; n++) {
      for (int i = 0; i < n; i++) in[off + i] = (float)(i * 0.37 - 7);
      memset(out, 0, sizeof out);
      dn_logistic(in + off, out + off, n);
      for (int i = 0; i < n + 16 && off + i < N; i++) {
        if (i < n) {
          float single;
          dn_logistic(in + off + i, &single, 1);
          if (memcmp(&single, &out[off + i], 4) != 0) edges_ok = 0, fprintf(stderr, "lane off %d n %d i %d\n", off, n, i);
        } else if (out[off + i] != 0) edges_ok = 0, fprintf(stderr, "past off %d n %d i %d\n", off, n, i); /* nothing written past n */
      }
    }
  float specials[10] = {NAN, -NAN, INFINITY, -INFINITY, 0.f, -0.f, 1e30f, -1e30f, 89.5f, -89.5f};
  dn_logistic(specials, out, 10);
  nan_ok = isnan(out[0]) && isnan(out[1]);
  for (int i = 2; i < 10; i++)
    if (!(out[i] == ref(specials[i]) || (ref(specials[i]) < FLT_MIN && out[i] == 0))) edges_ok = 0, fprintf(stderr, "special %g\n", specials[i]);
  /* in place */
  in[0] = 1.5f;
  dn_logistic(in, out, 1);
  dn_logistic(in, in, 1);
  if (in[0] != out[0]) edges_ok = 0;
  printf("ulp %.0f tiny %.3g nan %d edges %d\n", max_ulp, tiny, nan_ok, edges_ok);
  return 0;
}
