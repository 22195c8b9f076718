/* The NHWC domain of a fast network. oneDNN's convolution kernels read and write NHWC; Darknet's
 * buffers are NCHW. Each transposition is a pass over a layer's output (yolov3: ~12 ms of input
 * reorders and ~16 ms of output transpositions per pass on two cores), so an output stays NHWC
 * wherever every layer that reads it can read NHWC:
 *   - a oneDNN or Winograd F(4,3) convolution reading it as its input (the next layer); the
 *     first-layer kernel (first.c) writes NHWC but reads NCHW only;
 *   - a fast [shortcut] whose two operands are both NHWC: the sum is elementwise, so it is the
 *     same sum of the same two floats whatever the order they are stored in;
 *   - a fast [maxpool] (the next layer), which reads and writes either layout: the same
 *     comparisons in the same window order (yolov3-tiny's chain of conv → maxpool pairs);
 *   - a fast [route] or [upsample] (reshape.c), which read and write either layout (copies).
 * Everything else reads NCHW: the heads (a transposing [yolo] measured no faster than the
 * convolution's own transposition before it), Darknet's own layers, our other kernels, and the
 * last layer and the heads (read after the pass: Detector.forward, net.output). Intermediate outputs are not readable after a fast pass anyway: ops/lean.c pools
 * them. A shortcut whose operands are NHWC but whose output must be NCHW transposes as it adds;
 * a maxpool between layouts transposes as it pools.
 *
 * The set is the largest one closed under those rules (start from every candidate, drop one
 * that has a reader that cannot take NHWC, repeat). Forward functions are called with the layer
 * and the network only, so the answer is memoised per thread, keyed by the wiring it depends on
 * (not by address: a freed network's memory may hold a different one). */
#include "layout.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "forwards.h"
#include "guard/guard.h"

enum { OTHER, CONV, SHORTCUT_ADD, POOL, ROUTE_ANY, UPSAMPLE_ANY, CONV_NCHW_IN };

static int kind_of(const layer *l) {
  if (l->forward == dn_fast_conv_dnnl || l->forward == dn_fast_conv_wino43) return CONV;
  if (l->type == SHORTCUT && l->forward == (void (*)(layer, network))dn_fast_shortcut) return SHORTCUT_ADD;
  if (l->type == MAXPOOL && l->forward == (void (*)(layer, network))dn_fast_maxpool) return POOL;
  if (l->forward == dn_fast_conv_first) return CONV_NCHW_IN; /* writes NHWC, reads NCHW only */
  if (l->type == ROUTE && l->forward == (void (*)(layer, network))dn_fast_route) return ROUTE_ANY;
  if (l->type == UPSAMPLE && l->forward == (void (*)(layer, network))dn_fast_upsample) return UPSAMPLE_ANY;
  return OTHER;
}

typedef struct {
  int *key; /* per layer: kind, shortcut index; per route: its inputs; then the layer count */
  size_t key_len, key_cap;
  unsigned char *nhwc;
  int n;
} memo;

static pthread_key_t memo_key;
static pthread_once_t memo_once = PTHREAD_ONCE_INIT;
static void memo_free(void *p) {
  memo *m = p;
  if (m) free(m->key), free(m->nhwc);
  free(m);
}
static void memo_init(void) { pthread_key_create(&memo_key, memo_free); }

/* libc memory: the memo outlives the guarded call that made it */
static void *grow_or_fail(void *p, size_t bytes) {
  void *q = realloc(p, bytes ? bytes : 1);
  if (!q) dn_guard_fail("out of memory for the layer layout table");
  return q;
}

static void push(memo *m, size_t *len, int v) {
  if (*len == m->key_cap) {
    size_t cap = m->key_cap ? 2 * m->key_cap : 256; /* recorded only once the array has grown */
    m->key = grow_or_fail(m->key, cap * sizeof(int));
    m->key_cap = cap;
  }
  m->key[(*len)++] = v;
}

/* The wiring the decision reads, appended after the memo's current key (at `from`). */
static size_t wiring(memo *m, size_t from, const network *net) {
  size_t len = from;
  push(m, &len, net->n);
  for (int i = 0; i < net->n; i++) {
    const layer *l = &net->layers[i];
    push(m, &len, (int)l->type); /* says which fields follow: the key reads one way only */
    push(m, &len, kind_of(l));
    if (l->type == SHORTCUT) push(m, &len, l->index);
    if (l->type == ROUTE) {
      push(m, &len, -1 - l->n);
      for (int k = 0; k < l->n; k++) push(m, &len, l->input_layers[k]);
    }
  }
  return len;
}

/* A reader r of layer i's output that can take it NHWC, given the current set. */
static int accepts(const network *net, const unsigned char *s, int r, int i) {
  const layer *l = &net->layers[r];
  int k = kind_of(l);
  if (k == CONV || k == POOL || k == UPSAMPLE_ANY) return r == i + 1;
  if (k == SHORTCUT_ADD) return s[r - 1] && l->index >= 0 && l->index < net->n && s[l->index];
  if (k == ROUTE_ANY) return 1; /* reads each input in its own layout */
  return 0;
}

static void decide(const network *net, unsigned char *s) {
  int n = net->n;
  for (int i = 0; i < n; i++) s[i] = kind_of(&net->layers[i]) != OTHER && i != n - 1;
  for (int changed = 1; changed;) {
    changed = 0;
    for (int i = 0; i < n; i++) {
      if (!s[i]) continue;
      const layer *l = &net->layers[i];
      int ok = 1;
      if (kind_of(l) == SHORTCUT_ADD) ok = i > 0 && s[i - 1] && l->index >= 0 && l->index < n && s[l->index];
      /* its readers: the next layer (whatever it is), routes naming it, shortcuts adding it */
      if (ok && i + 1 < n) ok = accepts(net, s, i + 1, i);
      for (int r = i + 1; ok && r < n; r++) {
        const layer *q = &net->layers[r];
        if (q->type == ROUTE && !accepts(net, s, r, i))
          for (int k = 0; k < q->n; k++)
            if (q->input_layers[k] == i) ok = 0;
        if (q->type == SHORTCUT && q->index == i && !accepts(net, s, r, i)) ok = 0;
      }
      if (!ok) s[i] = 0, changed = 1;
    }
  }
}

int dn_fast_nhwc(const network *net, int i) {
  if (i < 0 || i >= net->n) return 0;
  pthread_once(&memo_once, memo_init);
  memo *m = pthread_getspecific(memo_key);
  if (!m) {
    m = calloc(1, sizeof *m);
    if (!m || pthread_setspecific(memo_key, m) != 0) {
      free(m);
      dn_guard_fail("out of memory for the layer layout table");
    }
  }
  /* the current wiring goes after the stored one; equal: the stored answer holds */
  size_t stored = m->key_len, len = wiring(m, stored, net) - stored;
  if (len != stored || memcmp(m->key, m->key + stored, len * sizeof(int)) != 0) {
    /* grown first: should that fail, the stored key still describes the stored answer */
    m->nhwc = grow_or_fail(m->nhwc, (size_t)net->n);
    decide(net, m->nhwc);
    memmove(m->key, m->key + stored, len * sizeof(int));
    m->key_len = len;
    m->n = net->n;
  }
  return m->nhwc[i];
}
