/* detect() from a JPEG's bytes in one call: decode on the pass's own threads, then dn_detect.
 *
 * Why: decoding in a call of its own (jpeg_worker.cc) crosses the event loop twice and uses one
 * core while the other waits, ~2.7 ms of yolov3-tiny-416's ~18 ms detect() on dog.jpg. Here the
 * decode runs in two parts on the network's OpenMP team (still spinning from the last pass, so
 * it starts at once) and the pixels stay in a buffer the network keeps, whose pages are already
 * mapped. Images the native decoder does not take come back unanswered, for the usual path. */
#include "detect_jpeg.h"

#include <stdlib.h>

#include "detect.h"
#include "handle.h"
#include "image/jpeg.h"
#include "info.h"
#include "invariants.h"
#include "runtime/threads.h"

/* A decoded image this large or smaller stays for the next call (16 MB: ~5.6 megapixels, as
 * lib/pixel-scratch.ts keeps for the two-call path); a larger one is freed after its call. */
#define DN_PIXELS_KEEP ((size_t)16 << 20)

int dn_detect_jpeg(dn_network *hd, const unsigned char *buf, size_t len, long max_pixels, int letterbox, float thresh,
                   float hier, float nms, dn_boxes *out, int *width, int *height, char *err, size_t errlen) {
  *width = *height = 0;
  out->data = NULL;
  out->count = 0;
  /* the team the pass will use, so the decode wakes the same threads */
  dn_set_threads(hd->threads);
  dn_jpeg_image im;
  if (!dn_jpeg_decode(buf, len, max_pixels, hd->pixels, hd->pixels_len, dn_threads(hd) >= 2 ? 2 : 1, &im)) return 1;
  if (im.owned) { /* larger than the kept buffer: this one replaces it (or goes after the call) */
    free(hd->pixels);
    hd->pixels = im.pixels;
    hd->pixels_len = (size_t)im.width * im.height * 3;
  }
  *width = im.width;
  *height = im.height;
  int rc = 2;
  if (!dn_image_too_thin(hd, im.width, im.height, letterbox)) {
    dn_image_in in = {im.pixels, (size_t)im.width * im.height * 3, im.width, im.height, 3};
    rc = dn_detect(hd, &in, 1, letterbox, thresh, hier, nms, out, err, errlen);
  }
  if (hd->pixels_len > DN_PIXELS_KEEP) {
    free(hd->pixels);
    hd->pixels = NULL;
    hd->pixels_len = 0;
  }
  return rc;
}
