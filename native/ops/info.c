/* What the bridge reads off a loaded network: sizes, layers, outputs, memory, threads. */
#include "info.h"

#include <string.h>

#include "handle.h"
#include "layer_names.h"
#include "lean.h"
#include "runtime/threads.h"

int dn_input_size(const dn_network *h) { return h->net->inputs; }

int dn_threads(const dn_network *h) { return h->threads > 0 ? h->threads : dn_default_threads(); }
int dn_check_threads(int threads, char *err, size_t errlen) {
  return dn_threads_grantable(threads > 0 ? threads : dn_default_threads(), err, errlen);
}
void dn_set_network_threads(dn_network *h, int threads) { h->threads = threads; }
int dn_is_fast(const dn_network *h) { return h->fast != NULL; }

int dn_net_dims(const dn_network *hd, int *w, int *h, int *c, int *batch) {
  const network *net = hd->net;
  *w = net->w; *h = net->h; *c = net->c; *batch = net->batch;
  return net->n;
}

int dn_layer_count(const dn_network *h) { return h->net->n; }

void dn_layer_info_at(const dn_network *h, int i, dn_layer_info *o) {
  const layer *l = &h->net->layers[i];
  memset(o, 0, sizeof *o);
  strncpy(o->type, dn_layer_type_name(l->type), sizeof o->type - 1);
  o->w = l->w; o->h = l->h; o->c = l->c;
  o->out_w = l->out_w; o->out_h = l->out_h; o->out_c = l->out_c;
  o->n = l->n; o->size = l->size; o->stride = l->stride; o->batch = l->batch;
  o->outputs = l->outputs; o->classes = l->classes; o->total = l->total;
  if (l->type == YOLO && l->mask) {
    o->nmask = l->n < 16 ? l->n : 16;
    for (int k = 0; k < o->nmask; k++) o->mask[k] = l->mask[k];
  }
}

const float *dn_layer_output(const dn_network *h, int i, size_t *len) {
  const layer *l = &h->net->layers[i];
  *len = (size_t)l->outputs * (size_t)l->batch;
  return l->output;
}

void dn_network_memory(const dn_network *h, dn_memory *out) { dn_account(h, out); }

int dn_output_layer(const dn_network *h, int *outputs) {
  const network *net = h->net;
  /* get_network_output_layer: a trailing [cost] only scores training */
  int i = net->n - 1;
  while (i > 0 && net->layers[i].type == COST) i--;
  *outputs = net->layers[i].outputs;
  return i;
}
