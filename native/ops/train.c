/* Training through Darknet's own code (train_network), the loop of examples/detector.c's
 * train_detector without its loader threads: each step loads a batch with
 * load_data_detection on this thread, so a bad image or label file is trapped by the guard
 * instead of killing the process from a loader thread. Multi-scale training (`random=1` in the
 * last layer) follows train_detector's schedule: every 10th pass of the loop, starting with the
 * first, resize_network to a random multiple of 32 in 320..608 (608 when fewer than 200
 * iterations remain), before that batch is loaded. Runs on a libuv worker; progress and stop requests
 * go through the callback. */
#include "train.h"

#include <stdio.h>
#include <string.h>

#include "guard/guard.h"
#include "guard/rand.h"
#include "handle.h"
#include "layer_names.h"
#include "load.h"

data load_data_detection(int n, char **paths, int m, int w, int h, int boxes, int classes, float jitter, float hue,
                         float saturation, float exposure); /* data.c */
float get_current_rate(network *net);                        /* network.c */

typedef struct {
  network *net;
  char **paths;
  int npaths;
  float loss;
  const char *save_path;
} step_ctx;

static void do_step(void *p) {
  step_ctx *c = p;
  network *net = c->net;
  layer l = net->layers[net->n - 1];
  int imgs = net->batch * net->subdivisions;
  data d = load_data_detection(imgs, c->paths, c->npaths, net->w, net->h, l.max_boxes, l.classes, l.jitter, net->hue,
                               net->saturation, net->exposure);
  c->loss = train_network(net, d);
  free_data(d);
}

typedef struct {
  network *net;
  int dim;
} resize_ctx;

/* resize_network's own list (network.c): any other layer makes it call error() halfway through,
 * after earlier layers were reallocated. It stops after the first [avgpool], and so does this. */
static int resizable(LAYER_TYPE t) {
  switch (t) {
    case CONVOLUTIONAL: case CROP: case MAXPOOL: case REGION: case YOLO: case ROUTE: case SHORTCUT:
    case UPSAMPLE: case REORG: case AVGPOOL: case NORMALIZATION: case COST: return 1;
    default: return 0;
  }
}

static void do_resize(void *p) {
  resize_ctx *c = p;
  resize_network(c->net, c->dim, c->dim);
}

static void do_save(void *p) {
  step_ctx *c = p;
  save_weights(c->net, (char *)c->save_path);
}

int dn_train(const dn_train_params *p, dn_train_fn progress, void *ctx, char *err, size_t errlen) {
#ifdef GPU
  /* Training runs on the CPU, in darknet.node (lib/native.ts): in this CUDA build every layer
   * allocates device memory and save_weights pulls from the device. */
  (void)p; (void)progress; (void)ctx;
  snprintf(err, errlen, "training runs in the CPU addon (darknet.node), not in darknet_gpu.node");
  return -1;
#endif
  dn_network *h = NULL;
  dn_load_opts o = {.lean = 0, .fast = 0, .threads = 0, .device = -1, .weight_layers = p->weight_layers};
  /* Darknet draws on this thread only (guard/rand.c); building the [yolo] layer reseeds with 0, so the
   * seed is set again for the training draws. */
  dn_srand(p->seed);
  if (dn_load(p->cfg, p->weights, &o, &h, err, errlen) != 0) return -1;
  dn_srand(p->seed);
  network *net = h->net;
  if (net->layers[net->n - 1].type != YOLO && net->layers[net->n - 1].type != REGION) {
    snprintf(err, errlen, "the last layer must be [yolo] or [region] to train a detector");
    dn_free_network(h);
    return -1;
  }
  int random = net->layers[net->n - 1].random;
  for (int i = 0; random && i < net->n; i++) {
    if (!resizable(net->layers[i].type)) {
      snprintf(err, errlen, "random=1 (multi-scale training): Darknet cannot resize layer %d (%s)", i,
               dn_layer_type_name(net->layers[i].type));
      dn_free_network(h);
      return -1;
    }
    if (net->layers[i].type == AVGPOOL) break;
  }
  if (p->clear_seen) *net->seen = 0;
  step_ctx c = {net, p->paths, p->npaths, 0, NULL};
  resize_ctx rz = {net, 0};
  float avg = -1;
  int rc = 0;
  int count = 0;
  char path[4096];
  while ((int)get_current_batch(net) < p->max_batches) {
    if (random && count++ % 10 == 0) {
      /* train_detector's draw from this thread's stream (guard/rand.c), so a seed repeats the sizes.
       * Its "last 200 iterations at 608" compares with the network's max_batches; here that is
       * the Trainer's maxBatches, which replaces the cfg's. */
      rz.dim = (dn_rand() % 10 + 10) * 32;
      if ((int)get_current_batch(net) + 200 > p->max_batches) rz.dim = 608;
      if (dn_guard_call(do_resize, &rz, err, errlen) != 0) {
        /* A failure inside resize_network (an assertion, out of memory) leaves layers pointing
         * at buffers the guard has just released: freeing the network would free them twice,
         * so it is leaked instead. The Trainer's cfg checks make this a last resort. */
        h = NULL;
        rc = -1;
        break;
      }
    }
    if (dn_guard_call(do_step, &c, err, errlen) != 0) { rc = -1; break; }
    avg = avg < 0 ? c.loss : avg * .9f + c.loss * .1f;
    int it = (int)get_current_batch(net);
    dn_train_progress pr = {it, c.loss, avg, get_current_rate(net), *net->seen, net->w, net->h, NULL};
    if (p->checkpoint_every > 0 && it % p->checkpoint_every == 0 && it < p->max_batches) {
      snprintf(path, sizeof path, "%s_%d.weights", p->prefix, it);
      c.save_path = path;
      if (dn_guard_call(do_save, &c, err, errlen) != 0) { rc = -1; break; }
      pr.checkpoint = path;
    }
    if (progress(ctx, &pr)) { rc = 1; break; } /* stop requested */
  }
  if (rc >= 0) {
    snprintf(path, sizeof path, "%s_final.weights", p->prefix);
    c.save_path = path;
    if (dn_guard_call(do_save, &c, err, errlen) != 0) rc = -1;
    else snprintf(err, errlen, "%s", path); /* on success, err carries the final weights path */
  }
  dn_free_network(h);
  return rc;
}
