/* Reads a .weights file into a parsed network in the order and layout of Darknet's
 * load_weights_upto (parser.c), for the layer types that hold parameters here (convolutional,
 * connected, batchnorm). Unlike upstream it checks every read — a file that shrank after the
 * TypeScript size check fails with a message instead of silently keeping uninitialised weights —
 * and it reports progress. Runs inside a guarded call. */
#include "weights_io.h"

#include <stdio.h>
#include <sys/stat.h>

#include "guard/guard.h"

void transpose_matrix(float *a, int rows, int cols); /* parser.c */
#ifdef GPU
/* Darknet's (src/…_layer.h): parser.c's loaders end with these for GPU networks, and so must
 * this one, or a GPU network runs on the zeros its constructors put on the device. */
void push_convolutional_layer(layer l);
void push_connected_layer(layer l);
void push_batchnorm_layer(layer l);
#endif

typedef struct {
  FILE *fp;
  const char *path;
  size_t done, total;
  dn_progress_fn progress;
  void *ctx;
} reader;

static void read_floats(reader *r, float *dst, size_t n, int layer) {
  size_t got = fread(dst, sizeof(float), n, r->fp);
  if (got != n) {
    fclose(r->fp);
    dn_guard_fail("%s: unexpected end of file at byte %zu while reading layer %d (the file changed after it was checked?)",
                  r->path, r->done + got * sizeof(float), layer);
  }
  r->done += n * sizeof(float);
}

static void read_conv(reader *r, layer *l, int i) {
  int num = l->c / l->groups * l->n * l->size * l->size;
  read_floats(r, l->biases, l->n, i);
  if (l->batch_normalize && !l->dontloadscales) {
    read_floats(r, l->scales, l->n, i);
    read_floats(r, l->rolling_mean, l->n, i);
    read_floats(r, l->rolling_variance, l->n, i);
  }
  read_floats(r, l->weights, num, i);
  if (l->flipped) transpose_matrix(l->weights, l->c * l->size * l->size, l->n);
}

static void read_connected(reader *r, layer *l, int i, int transpose) {
  read_floats(r, l->biases, l->outputs, i);
  read_floats(r, l->weights, (size_t)l->outputs * l->inputs, i);
  if (transpose) transpose_matrix(l->weights, l->inputs, l->outputs);
  if (l->batch_normalize && !l->dontloadscales) {
    read_floats(r, l->scales, l->outputs, i);
    read_floats(r, l->rolling_mean, l->outputs, i);
    read_floats(r, l->rolling_variance, l->outputs, i);
  }
}

void dn_read_weights(network *net, const char *path, int layers, dn_progress_fn progress, void *ctx) {
  reader r = {fopen(path, "rb"), path, 0, 0, progress, ctx};
  if (!r.fp) dn_guard_fail("%s: cannot open weights file", path);
  struct stat st;
  if (fstat(fileno(r.fp), &st) == 0) r.total = (size_t)st.st_size;
  /* Large sequential reads straight into the layer arrays. */
  setvbuf(r.fp, NULL, _IOFBF, 1 << 20);
  int hdr[3];
  if (fread(hdr, sizeof(int), 3, r.fp) != 3) { fclose(r.fp); dn_guard_fail("%s: truncated header", path); }
  int major = hdr[0], minor = hdr[1];
  /* Darknet's test, in 64-bit: its int `major * 10` overflows on garbage headers (found by fuzzing). */
  if ((long long)major * 10 + minor >= 2 && major < 1000 && minor < 1000) {
    size_t seen;
    if (fread(&seen, sizeof(seen), 1, r.fp) != 1) { fclose(r.fp); dn_guard_fail("%s: truncated header", path); }
    *net->seen = seen;
    r.done = 20;
  } else {
    int iseen;
    if (fread(&iseen, sizeof(iseen), 1, r.fp) != 1) { fclose(r.fp); dn_guard_fail("%s: truncated header", path); }
    *net->seen = iseen;
    r.done = 16;
  }
  int transpose = major > 1000 || minor > 1000;
  int n = layers > 0 && layers < net->n ? layers : net->n;
  for (int i = 0; i < n; i++) {
    layer *l = &net->layers[i];
    if (l->dontload) continue;
    if (l->type == CONVOLUTIONAL || l->type == DECONVOLUTIONAL) read_conv(&r, l, i);
    else if (l->type == CONNECTED) read_connected(&r, l, i, transpose);
    else if (l->type == BATCHNORM) {
      read_floats(&r, l->scales, l->c, i);
      read_floats(&r, l->rolling_mean, l->c, i);
      read_floats(&r, l->rolling_variance, l->c, i);
    } else if (l->nweights) {
      fclose(r.fp);
      dn_guard_fail("%s: layer %d holds weights of a type this loader does not read", path, i);
    }
#ifdef GPU
    if (net->gpu_index >= 0) {
      if (l->type == CONVOLUTIONAL || l->type == DECONVOLUTIONAL) push_convolutional_layer(*l);
      else if (l->type == CONNECTED) push_connected_layer(*l);
      else if (l->type == BATCHNORM) push_batchnorm_layer(*l);
    }
#endif
    if (r.progress) r.progress(r.ctx, r.done, r.total);
  }
  fclose(r.fp);
}
