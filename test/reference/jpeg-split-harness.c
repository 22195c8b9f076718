/* native/image/jpeg.c's two-part decode against its one-part decode. For each JPEG named on the
 * command line, and 300 corrupt mutants of the first: both decode or both decline, and when they
 * decode, the same size and the same bytes. Files named after `--must-split` must have been
 * decoded in two parts. Prints "ok <files> split <two-part decodes> mutants <decoded>". */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/jpeg.h"

static int splits;

static int same(const unsigned char *buf, size_t len, const char *name, int must_decode, int must_split) {
  dn_jpeg_image one, two;
  int a = dn_jpeg_decode(buf, len, 1L << 30, NULL, 0, 1, &one);
  int b = dn_jpeg_decode(buf, len, 1L << 30, NULL, 0, 2, &two);
  int ok = a == b && (a || !must_decode);
  if (ok && a) {
    ok = one.width == two.width && one.height == two.height && one.parts == 1 &&
         !memcmp(one.pixels, two.pixels, (size_t)one.width * one.height * 3) && (two.parts == 2 || !must_split);
    splits += two.parts == 2;
  }
  if (!ok) fprintf(stderr, "%s: one part %d (%dx%d), two parts %d (%dx%d, %d parts)\n", name, a, one.width, one.height, b, two.width, two.height, two.parts);
  if (a) free(one.pixels);
  if (b) free(two.pixels);
  return ok ? a : -1;
}

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc(*len);
  if (b && fread(b, 1, *len, f) != *len) { free(b); b = NULL; }
  fclose(f);
  return b;
}

int main(int argc, char **argv) {
  if (!dn_jpeg_available()) { puts("no libjpeg"); return 1; }
  omp_set_num_threads(2);
  int files = 0, must_split = 0;
  unsigned char *first = NULL;
  size_t first_len = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--must-split")) { must_split = 1; continue; }
    size_t len;
    unsigned char *b = slurp(argv[i], &len);
    if (!b) { fprintf(stderr, "cannot read %s\n", argv[i]); return 1; }
    if (same(b, len, argv[i], 1, must_split) != 1) return 1;
    files++;
    if (!first) { first = b; first_len = len; } else free(b);
  }
  unsigned seed = 7;
  int decoded = 0;
  unsigned char *m = malloc(first_len);
  for (int i = 0; i < 300; i++) {
    seed = seed * 1103515245u + 12345u;
    /* half of them whole (a flipped byte may decode, with or without a warning), half cut short */
    size_t len = i % 2 ? 2000 + (seed >> 8) % (first_len - 2000) : first_len;
    memcpy(m, first, len);
    int flips = 1 + (seed >> 4) % (i % 2 ? 20 : 3);
    for (int k = 0; k < flips; k++) {
      seed = seed * 1103515245u + 12345u;
      m[2 + (seed >> 8) % (len - 2)] = (unsigned char)(seed >> 3);
    }
    char name[32];
    snprintf(name, sizeof name, "mutant %d", i);
    int r = same(m, len, name, 0, 0);
    if (r < 0) return 1;
    decoded += r;
  }
  printf("ok %d split %d mutants %d\n", files, splits, decoded);
  return 0;
}
