/* What every forward pass shares: the network's batch, detect's and classify's image scratch,
 * and the pass itself (Darknet's network_predict, profiled when asked, with the network's fast
 * side table entered). */
#include "pass.h"

#include <stdio.h>
#include <stdlib.h>

#include "fast/forwards.h"
#include "fast/weights.h"
#include "guard/guard.h"
#include "handle.h"
#include "letterbox.h"
#include "runtime/profile.h"

/* Darknet's network_predict on the CPU: its forward_network layer by layer, except that a
 * layer's delta is cleared only where its forward function writes it. An inference network keeps
 * a delta on its heads alone (ops/lean.c), and fast numerics' [yolo] writes none: clearing
 * yolov3-416's was a pass over 0.9 M floats. Timed layer by layer when profiling. */
static void predict_cpu(network *netp, float *input, int profiled) {
  network orig = *netp;
  netp->input = input;
  netp->truth = 0;
  netp->train = 0;
  netp->delta = 0;
  network net = *netp;
  if (profiled) dn_profile_begin();
  for (int i = 0; i < net.n; i++) {
    net.index = i;
    layer l = net.layers[i];
    if (l.delta && l.forward != dn_fast_yolo) fill_cpu(l.outputs * l.batch, 0, l.delta, 1);
    double t0 = profiled ? dn_profile_now() : 0;
    l.forward(l, net);
    if (profiled) dn_profile_layer(i, &l, dn_profile_now() - t0);
    net.input = l.output;
    if (l.truth) net.truth = l.output;
  }
  if (profiled) dn_profile_end();
  *netp = orig;
}

void dn_pass_predict(struct dn_network *h, float *input) {
  dn_fast_enter(h->fast);
  if (h->device < 0) predict_cpu(h->net, input, dn_profile_enabled());
  else network_predict(h->net, input);
  dn_fast_enter(NULL);
}

/* Runs k ≤ batch images. On the CPU the layers are told the batch is k (every buffer was sized
 * for the full batch, so a smaller one fits); a GPU network's cuDNN descriptors are fixed to the
 * full batch, so the unused slots are zero-filled and computed. */
void dn_set_layers_batch(network *net, int b) {
  net->batch = b;
  for (int i = 0; i < net->n; i++) net->layers[i].batch = b;
}

/* 12 MB. A 1920 × 1080 photo's resized rows at 608 (3·608·1080 ≈ 2 M floats) stay; a 4K
 * frame's at 608 (3·608·2160 ≈ 3.9 M) or a 4000 × 3000 photo's at 416 (3.7 M) are returned after
 * the call. */
#define DN_SCRATCH_KEEP_FLOATS ((size_t)3 << 20)

int dn_reserve_scratch(dn_network *hd, const dn_image_in *images, int k, char *err, size_t errlen) {
  /* The images' scratch space, kept with the network between calls (libc memory: it must
   * outlive a failed guarded call, whose own allocations are freed). */
  size_t need = 0;
  for (int b = 0; b < k; b++) {
    size_t n = dn_letterbox_scratch(images[b].w, images[b].h, hd->net->w);
    if (n > need) need = n;
  }
  if (need > hd->scratch_len) {
    float *grown = realloc(hd->scratch, need * sizeof(float));
    if (!grown) { snprintf(err, errlen, "out of memory for a %zu-float image buffer", need); return -1; }
    hd->scratch = grown;
    hd->scratch_len = need;
  }
  return 0;
}

void dn_trim_scratch(dn_network *hd) {
  /* Image buffers for a typical photo stay for the next call; one huge image's do not stay for
   * the network's life (a 16k² input at 608 needs 120 MB of them). */
  if (hd->scratch_len > DN_SCRATCH_KEEP_FLOATS) {
    free(hd->scratch);
    hd->scratch = NULL;
    hd->scratch_len = 0;
  }
}
