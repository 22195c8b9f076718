/* The classifier's forward pass: Darknet's classifier.c image preparation for each image, one
 * network_predict for all of them, and the output layer's values copied out per image. */
#include "classify.h"

#include <math.h>
#include <string.h>

#include "guard/guard.h"
#include "info.h"
#include "invariants.h"
#include "layer_names.h"
#include "letterbox.h"
#include "pass.h"
#include "runtime/threads.h"

typedef struct {
  struct dn_network *h;
  const dn_image_in *images;
  int k;
  dn_prep prep;
  float *out;
} classify_ctx;

static void do_classify(void *p) {
  classify_ctx *c = p;
  network *net = c->h->net;
  int full = net->batch;
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
  dn_pass_predict(c->h, net->input);
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
  if (dn_check_images(hd, "classification", images, k, prep == DN_PREP_LETTERBOX, err, errlen) != 0) return -1;
  if (dn_reserve_scratch(hd, images, k, err, errlen) != 0) return -1;
  classify_ctx ctx = {hd, images, k, prep, out};
  int full = hd->net->batch;
  dn_set_threads(hd->threads);
  int rc = dn_guard_call(do_classify, &ctx, err, errlen);
  dn_set_layers_batch(hd->net, full);
  dn_trim_scratch(hd);
  return rc;
}
