/* See invariants.h. The messages name what would have gone wrong, for a report of the bug that
 * let such an input past TypeScript. */
#include "invariants.h"

#include <math.h>
#include <stdio.h>

#include "handle.h"

/* resize_image divides by (new size - 1): a side of 1 pixel makes its sampling index NaN and reads
 * far out of bounds (found by fuzzing). Letterboxing a very thin image, or a network 1 pixel wide,
 * gets there; the sizes are computed exactly as letterbox_image does. A crop's square is resized
 * to the network's size, never below it. */
static int prepared_too_thin(const network *net, const dn_image_in *im, int letterbox, int *new_w, int *new_h) {
  *new_w = net->w;
  *new_h = net->h;
  if (letterbox) {
    if (((float)net->w / im->w) < ((float)net->h / im->h)) *new_h = (im->h * net->w) / im->w;
    else *new_w = (im->w * net->h) / im->h;
  }
  return *new_w < 2 || *new_h < 2;
}

int dn_image_too_thin(const dn_network *h, int w, int h_px, int letterbox) {
  dn_image_in im = {NULL, 0, w, h_px, 3};
  int nw, nh;
  return prepared_too_thin(h->net, &im, letterbox, &nw, &nh);
}

int dn_check_images(const dn_network *h, const char *what, const dn_image_in *images, int k, int letterbox, char *err,
                    size_t errlen) {
  const network *net = h->net;
  /* the images are written as 3 planes into each input slot: a network reading more would read past them */
  if (net->c != 3) {
    snprintf(err, errlen, "internal: the network takes %d input channels; %s feeds 3 (RGB)", net->c, what);
    return -1;
  }
  if (k < 1 || k > net->batch) {
    snprintf(err, errlen, "internal: %d images for a network of batch %d", k, net->batch);
    return -1;
  }
  for (int b = 0; b < k; b++) {
    const dn_image_in *im = &images[b];
    if (im->w < 1 || im->h < 1 || (im->c != 1 && im->c != 3 && im->c != 4)) {
      snprintf(err, errlen, "internal: image %d is %dx%dx%d (sides ≥ 1, channels 1, 3 or 4)", b, im->w, im->h, im->c);
      return -1;
    }
    if (im->len != (size_t)im->w * im->h * im->c) {
      snprintf(err, errlen, "internal: image %d has %zu bytes, %dx%dx%d needs %zu", b, im->len, im->w, im->h, im->c,
               (size_t)im->w * im->h * im->c);
      return -1;
    }
    int nw, nh;
    if (prepared_too_thin(net, im, letterbox, &nw, &nh)) {
      snprintf(err, errlen, "internal: a %dx%d image cannot be %s to %dx%d: Darknet's resize needs at least 2 pixels per side",
               im->w, im->h, letterbox ? "letterboxed" : "resized", nw, nh);
      return -1;
    }
  }
  return 0;
}

int dn_check_input(const dn_network *h, size_t len, char *err, size_t errlen) {
  size_t want = (size_t)h->net->inputs * h->net->batch;
  if (len != want) {
    snprintf(err, errlen, "internal: input has %zu floats, the network takes %zu (batch %d × %d×%d×%d)", len, want,
             h->net->batch, h->net->w, h->net->h, h->net->c);
    return -1;
  }
  return 0;
}

int dn_check_threshold(float thresh, char *err, size_t errlen) {
  if (!isfinite(thresh)) {
    snprintf(err, errlen, "internal: the detection threshold is not finite");
    return -1;
  }
  return 0;
}
