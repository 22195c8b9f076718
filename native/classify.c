/* The classifier's forward pass: Darknet's classifier.c image preparation for each image, one
 * network_predict for all of them, and the output layer's values copied out per image. */
#include <math.h>
#include <string.h>

#include "fast.h"
#include "guard.h"
#include "letterbox.h"
#include "ops_internal.h"

int dn_output_layer(const dn_network *h, int *outputs) {
  const network *net = h->net;
  /* get_network_output_layer: a trailing [cost] only scores training */
  int i = net->n - 1;
  while (i > 0 && net->layers[i].type == COST) i--;
  *outputs = net->layers[i].outputs;
  return i;
}

typedef struct {
  struct dn_network *h;
  const dn_image_in *images;
  int k;
  dn_prep prep;
  float *out;
} classify_ctx;

/* resize_image divides by (side - 1): sides of 1 pixel sample out of bounds (see check_image in
 * ops.c). A crop's square is resized to the network size, never below it. */
static void check_geometry(const network *net, const dn_image_in *im, dn_prep prep) {
  int new_w = net->w, new_h = net->h;
  if (prep == DN_PREP_LETTERBOX) {
    if (((float)net->w / im->w) < ((float)net->h / im->h)) new_h = (im->h * net->w) / im->w;
    else new_w = (im->w * net->h) / im->h;
  }
  if (new_w < 2 || new_h < 2)
    dn_guard_fail("a %dx%d image cannot be prepared for a %dx%d network: Darknet's resize needs at least 2 pixels per side",
                  im->w, im->h, net->w, net->h);
}

static void do_classify(void *p) {
  classify_ctx *c = p;
  network *net = c->h->net;
  if (net->c != 3) dn_guard_fail("the network takes %d input channels; classification feeds 3 (RGB)", net->c);
  int full = net->batch;
  if (c->k < 1 || c->k > full) dn_guard_fail("%d images for a network of batch %d", c->k, full);
  for (int b = 0; b < c->k; b++) check_geometry(net, &c->images[b], c->prep);
  int inputs = net->inputs;
  for (int b = 0; b < c->k; b++) {
    const dn_image_in *im = &c->images[b];
    float *slot = net->input + (size_t)b * inputs;
    if (c->prep == DN_PREP_CROP) dn_center_crop(im->pixels, im->w, im->h, im->c, net->w, net->h, slot, c->h->scratch);
    else dn_letterbox(im->pixels, im->w, im->h, im->c, net->w, net->h, c->prep == DN_PREP_LETTERBOX, slot, c->h->scratch);
  }
  /* as dn_detect: a GPU network's cuDNN descriptors are fixed to the full batch */
  int run = c->h->device >= 0 ? full : c->k;
  if (run > c->k) memset(net->input + (size_t)c->k * inputs, 0, (size_t)(run - c->k) * inputs * sizeof(float));
  if (run != full) dn_set_layers_batch(net, run);
  if (dn_profile_enabled()) dn_predict_profiled(net, net->input);
  else network_predict(net, net->input);
  int outputs;
  const layer *l = &net->layers[dn_output_layer(c->h, &outputs)];
  size_t n = (size_t)outputs * c->k;
  /* a NaN would sort anywhere in top_k: corrupt weights are reported, as detect reports them */
  for (size_t j = 0; j < n; j++)
    if (!isfinite(l->output[j]))
      dn_guard_fail("network output (layer %d, %s) is not finite: the weights are corrupt or diverged", (int)(l - net->layers),
                    dn_layer_type_name(l->type));
  memcpy(c->out, l->output, n * sizeof(float));
}

int dn_classify(dn_network *hd, const dn_image_in *images, int k, dn_prep prep, float *out, char *err, size_t errlen) {
  if (dn_reserve_scratch(hd, images, k, err, errlen) != 0) return -1;
  classify_ctx ctx = {hd, images, k, prep, out};
  int full = hd->net->batch;
  dn_set_threads(hd->threads);
  int rc = dn_guard_call(do_classify, &ctx, err, errlen);
  dn_set_layers_batch(hd->net, full);
  dn_trim_scratch(hd);
  return rc;
}
