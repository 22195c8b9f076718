/* Inference-only networks. Darknet allocates every network as if it were about to be trained:
 * a delta per layer (which forward_network zeroes on every pass, so it is resident), weight,
 * bias and scale updates, batch-norm copies (x, x_norm) and batch statistics, and one output
 * buffer per layer although most outputs are dead two layers later. For yolov3-416 that took a
 * process to ~950 MB after one detect. Here, after parsing and before the first forward pass:
 *   - training-only buffers are freed (the [yolo]/[region]/[softmax] layers keep their delta:
 *     their forward functions write it);
 *   - batch-norm's x (a copy of the pre-normalisation output that only backward reads) aliases
 *     the output, so forward_batchnorm_layer's copy becomes a copy onto itself;
 *   - layer outputs are assigned to shared buffers by liveness (a layer's output lives until the
 *     last layer that reads it: the next layer, a route, a shortcut), best fit by size. Heads and
 *     the last layer keep their own buffers (read after the pass). Networks with dropout layers
 *     (whose output aliases the previous layer's) are not pooled.
 * None of this changes an arithmetic operation: outputs are bit-identical to the full network. */
#include "lean.h"

#include <stdint.h>
#include <string.h>

#include "fast/weights.h"
#include "guard/guard.h"

#define DROP(p) do { dn_free(p); (p) = NULL; } while (0)

static int is_head(const layer *l) { return l->type == YOLO || l->type == REGION || l->type == DETECTION; }

/* Layers whose forward function writes their delta: the heads always clear it, softmax writes
 * it when some layer declared itself the truth (`truth=1`; found by fuzzing). */
static int forward_writes_delta(const layer *l) { return is_head(l) || l->type == SOFTMAX || l->type == COST; }

static void free_training_state(network *net) {
  for (int i = 0; i < net->n; i++) {
    layer *l = &net->layers[i];
    if (l->type == DROPOUT) continue; /* its output/delta alias the previous layer's */
    if (!forward_writes_delta(l)) DROP(l->delta);
    DROP(l->weight_updates); DROP(l->bias_updates); DROP(l->scale_updates);
    DROP(l->mean); DROP(l->variance); DROP(l->mean_delta); DROP(l->variance_delta);
    DROP(l->x_norm); DROP(l->m); DROP(l->v); DROP(l->bias_m); DROP(l->bias_v); DROP(l->scale_m); DROP(l->scale_v);
    if (l->batch_normalize && l->x && l->x != l->output) DROP(l->x);
  }
  /* A dropout layer's delta is the previous layer's (parser.c), which may just have been freed:
   * forward_network zeroes every non-NULL delta on each pass, so it must not dangle. */
  for (int i = 1; i < net->n; i++)
    if (net->layers[i].type == DROPOUT) net->layers[i].delta = net->layers[i - 1].delta;
  DROP(net->truth); /* inference passes no truth (network_predict sets it to 0) */
}

/* Liveness: the last layer index that reads layer i's output. */
static void last_uses(const network *net, int *last) {
  for (int i = 0; i < net->n; i++) last[i] = i + 1; /* the next layer reads it as net.input */
  for (int i = 0; i < net->n; i++) {
    const layer *l = &net->layers[i];
    if (l->type == ROUTE)
      for (int k = 0; k < l->n; k++) if (last[l->input_layers[k]] < i) last[l->input_layers[k]] = i;
    if (l->type == SHORTCUT && last[l->index] < i) last[l->index] = i;
    if (is_head(l)) last[i] = INT32_MAX;
  }
  last[net->n - 1] = INT32_MAX;
}

static void pool_outputs(struct dn_network *h) {
  network *net = h->net;
  for (int i = 0; i < net->n; i++) if (net->layers[i].type == DROPOUT) return;
  int n = net->n;
  int *last = dn_malloc(n * sizeof(int));
  int *slot = dn_malloc(n * sizeof(int));
  size_t *size = dn_calloc(n, sizeof(size_t)); /* per slot: the largest output assigned */
  int *busy_until = dn_malloc(n * sizeof(int));  /* per slot: last use of its current holder */
  int nslots = 0;
  last_uses(net, last);
  for (int i = 0; i < n; i++) {
    layer *l = &net->layers[i];
    slot[i] = -1;
    if (last[i] == INT32_MAX || !l->output) continue;
    size_t need = (size_t)l->outputs * l->batch;
    int best = -1;
    for (int s = 0; s < nslots; s++) {
      if (busy_until[s] >= i) continue;
      /* best fit: the smallest free slot that is big enough, else the biggest free slot */
      if (best < 0) { best = s; continue; }
      int fits = size[s] >= need, bfits = size[best] >= need;
      if ((fits && (!bfits || size[s] < size[best])) || (!fits && !bfits && size[s] > size[best])) best = s;
    }
    if (best < 0) best = nslots++;
    if (size[best] < need) size[best] = need;
    busy_until[best] = last[i];
    slot[i] = best;
  }
  h->pool = dn_calloc(nslots ? nslots : 1, sizeof(float *));
  h->npool = nslots;
  for (int s = 0; s < nslots; s++) h->pool[s] = dn_calloc(size[s], sizeof(float));
  for (int i = 0; i < n; i++) {
    if (slot[i] < 0) continue;
    layer *l = &net->layers[i];
    dn_free(l->output);
    l->output = h->pool[slot[i]];
  }
  net->output = net->layers[n - 1].output;
  dn_free(last); dn_free(slot); dn_free(size); dn_free(busy_until);
}

void dn_make_lean(struct dn_network *h) {
  free_training_state(h->net);
  pool_outputs(h);
  for (int i = 0; i < h->net->n; i++) {
    layer *l = &h->net->layers[i];
    if (l->batch_normalize && l->type != DROPOUT) l->x = l->output; /* freed above */
  }
  h->lean = 1;
}

void dn_release_lean(struct dn_network *h) {
  if (!h->lean) return;
  for (int i = 0; i < h->net->n; i++) {
    layer *l = &h->net->layers[i];
    if (l->x == l->output) l->x = NULL;
    for (int s = 0; s < h->npool; s++)
      if (l->output == h->pool[s]) { l->output = NULL; break; }
  }
  for (int s = 0; s < h->npool; s++) dn_free(h->pool[s]);
  dn_free(h->pool);
  h->pool = NULL; h->npool = 0;
}

void dn_account(const struct dn_network *h, dn_memory *m) {
  const network *net = h->net;
  memset(m, 0, sizeof *m);
  const size_t F = sizeof(float);
  for (int i = 0; i < net->n; i++) {
    const layer *l = &net->layers[i];
    if (l->type == DROPOUT) continue;
    size_t out = (size_t)l->outputs * l->batch * F;
    m->weights += ((l->weights ? (size_t)l->nweights : 0) + (size_t)l->nbiases) * F; /* fast Winograd layers free theirs */
    /* scales, rolling mean/var (still held when fast numerics folded them into the weights) */
    if (l->batch_normalize || l->rolling_mean) m->weights += 3 * (size_t)l->out_c * F;
    if (!h->lean) {
      m->activations += out;
      if (l->delta) m->training += out;
      if (l->weight_updates) m->training += ((size_t)l->nweights + (size_t)l->nbiases) * F;
      if (l->batch_normalize) m->training += 2 * out + 5 * (size_t)l->out_c * F; /* x, x_norm, stats */
    } else {
      int pooled = 0;
      for (int s = 0; s < h->npool; s++) if (l->output == h->pool[s]) pooled = 1;
      if (!pooled) m->activations += out;
      if (l->delta) m->activations += out; /* kept where forward writes it (heads, softmax) */
    }
  }
  m->weights += dn_fast_table_floats(h->fast) * F; /* Winograd / packed weights (fast/) */
  if (h->lean) {
    /* pool slot sizes: the largest output each slot holds */
    for (int s = 0; s < h->npool; s++) {
      size_t biggest = 0;
      for (int i = 0; i < net->n; i++) {
        const layer *l = &net->layers[i];
        if (l->output == h->pool[s] && (size_t)l->outputs * l->batch > biggest) biggest = (size_t)l->outputs * l->batch;
      }
      m->activations += biggest * F;
    }
  }
  m->activations += (size_t)net->inputs * net->batch * F; /* net->input */
  size_t ws = 0;
  for (int i = 0; i < net->n; i++) if (net->layers[i].workspace_size > ws) ws = net->layers[i].workspace_size;
  /* + detect's image buffers (pass.c) and decoded JPEG (detect_jpeg.c) */
  m->workspace = ws + h->scratch_len * sizeof(float) + h->pixels_len;
}
