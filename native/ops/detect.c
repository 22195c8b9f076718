/* `darknet detector test` for 1..batch images in one forward pass. */
#include "detect.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guard/guard.h"
#include "invariants.h"
#include "layer_names.h"
#include "letterbox.h"
#include "nms.h"
#include "pass.h"
#include "runtime/threads.h"

typedef struct {
  struct dn_network *h;
  const dn_image_in *images;
  int k;
  int letterbox;
  float thresh, hier, nms;
  dn_boxes *out;
  int shifted; /* the batch item the heads point at while decoding (0 otherwise) */
} detect_ctx;

static int is_head(const layer *l) { return l->type == YOLO || l->type == REGION || l->type == DETECTION; }

/* yolo_num_detections counts `objectness > thresh` but get_yolo_detections skips only
 * `<= thresh`, so a NaN objectness is written past the end of the detection array (heap
 * overflow). Non-finite outputs mean corrupt weights anyway: refuse them. */
static void check_finite_heads(const network *net, int k) {
  for (int i = 0; i < net->n; i++) {
    const layer *l = &net->layers[i];
    if (!is_head(l)) continue;
    size_t n = (size_t)l->outputs * k;
    int bad = 0;
    /* an all-ones exponent (inf or NaN), tested on the bits: a loop that vectorizes, split over
     * threads (yolov3-416's heads hold 0.9 M floats) */
#pragma omp parallel for schedule(static) reduction(| : bad) if (n >= 65536)
    for (size_t j = 0; j < n; j++) {
      uint32_t u;
      memcpy(&u, &l->output[j], sizeof u);
      bad |= (u & 0x7f800000u) == 0x7f800000u;
    }
    if (bad)
      dn_guard_fail("network output of layer %d (%s) is not finite: the weights are corrupt or diverged", i,
                    dn_layer_type_name(l->type));
  }
}

/* get_network_boxes reads batch item 0 only, and treats a batch of 2 as an image and its mirror
 * (avg_flipped_yolo): the heads are pointed at item b's slice and told the batch is 1 while it
 * decodes (dn_detect puts both back, also after a failure). */
static void shift_heads(network *net, int b) {
  for (int i = 0; i < net->n; i++) {
    layer *l = &net->layers[i];
    if (!is_head(l)) continue;
    l->output += (long)b * l->outputs;
    l->batch = 1;
  }
}

static void decode(detect_ctx *c, int b) {
  network *net = c->h->net;
  const dn_image_in *in = &c->images[b];
  shift_heads(net, b);
  c->shifted = b;
  /* Without letterboxing the boxes are already relative to the whole image: pass the network's
   * own size so that correct_yolo_boxes' letterbox correction is the identity. */
  int iw = c->letterbox ? in->w : net->w, ih = c->letterbox ? in->h : net->h;
  int nboxes = 0;
  detection *dets = get_network_boxes(net, iw, ih, c->thresh, c->hier, 0, 1, &nboxes);
  shift_heads(net, -b);
  c->shifted = 0;
  int classes = net->layers[net->n - 1].classes;
  /* dn_nms_sort leaves exactly what do_nms_sort would, without its classes × n² loop (seconds
   * for the thousands of candidates of an untrained network); Darknet's runs if it is short of memory */
  if (c->nms > 0 && dn_nms_sort(dets, nboxes, classes, c->nms) != 0) do_nms_sort(dets, nboxes, classes, c->nms);
  size_t stride = 5 + (size_t)classes;
  /* libc memory, not the guard's: from the guard, a block this size (yolov3-416 with random
   * weights on dog.jpg: 741 boxes, 252 KB) is a fresh mapping each call, its pages faulted in
   * again (~1 ms on this VM); the heap reuses them. dn_detect frees it if a later step fails,
   * dn_boxes_free after use. */
  float *data = malloc((nboxes ? nboxes : 1) * stride * sizeof(float));
  if (!data) {
    free_detections(dets, nboxes);
    dn_guard_fail("out of memory for %d detections", nboxes);
  }
  for (int i = 0; i < nboxes; i++) {
    float *row = data + i * stride;
    row[0] = dets[i].bbox.x; row[1] = dets[i].bbox.y; row[2] = dets[i].bbox.w; row[3] = dets[i].bbox.h;
    row[4] = dets[i].objectness;
    memcpy(row + 5, dets[i].prob, classes * sizeof(float));
  }
  free_detections(dets, nboxes);
  c->out[b] = (dn_boxes){data, nboxes, classes};
}

static void do_detect(void *p) {
  detect_ctx *c = p;
  network *net = c->h->net;
  int full = net->batch;

  /* Darknet's load_image_color + letterbox_image (or resize_image), written straight into the
   * network's input slots (letterbox.c: same arithmetic, no allocation) */
  int inputs = net->inputs;
  for (int b = 0; b < c->k; b++) {
    const dn_image_in *im = &c->images[b];
    dn_letterbox(im->pixels, im->w, im->h, im->c, net->w, net->h, c->letterbox, net->input + (size_t)b * inputs, c->h->scratch);
  }
  int run = c->h->device >= 0 ? full : c->k;
  if (run > c->k) memset(net->input + (size_t)c->k * inputs, 0, (size_t)(run - c->k) * inputs * sizeof(float));
  if (run != full) dn_set_layers_batch(net, run);
  dn_pass_predict(c->h, net->input);
  check_finite_heads(net, c->k);
  for (int b = 0; b < c->k; b++) decode(c, b);
}

void dn_boxes_free(dn_boxes *b) {
  free(b->data);
  b->data = NULL;
  b->count = 0;
}

int dn_detect(dn_network *hd, const dn_image_in *images, int k, int letterbox, float thresh, float hier, float nms,
              dn_boxes *out, char *err, size_t errlen) {
  memset(out, 0, (size_t)(k > 0 ? k : 0) * sizeof *out);
  if (dn_check_images(hd, "detection", images, k, letterbox, err, errlen) != 0 || dn_check_threshold(thresh, err, errlen) != 0) return -1;
  if (dn_reserve_scratch(hd, images, k, err, errlen) != 0) return -1;
  detect_ctx ctx = {hd, images, k, letterbox, thresh, hier, nms, out, 0};
  int full = hd->net->batch;
  dn_set_threads(hd->threads);
  int rc = dn_guard_call(do_detect, &ctx, err, errlen);
  /* the heads and the full batch are put back here, also when the guard unwound past do_detect */
  if (ctx.shifted) shift_heads(hd->net, -ctx.shifted);
  dn_set_layers_batch(hd->net, full);
  /* a failed call's allocations were freed by the guard; results decoded so far are ours */
  if (rc != 0) {
    for (int b = 0; b < k; b++) dn_boxes_free(&out[b]);
  }
  dn_trim_scratch(hd);
  return rc;
}

