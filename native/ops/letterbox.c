/* Darknet's image preparation for `detector test` — load_image_color's 8-bit → float planar
 * conversion, then letterbox_image (resize_image + embed into a 0.5-grey canvas) or a plain
 * resize_image — written straight into the network's input slot. Same arithmetic in the same
 * order as image.c (compiled like Darknet: no FMA contraction), so the pixels are bit-identical
 * (the parity tests hold it to libdarknet.so); what changes is that nothing is allocated per
 * call (the two intermediate images live in a per-network scratch buffer), no bounds-checked
 * get_pixel call per sample, and rows are split over the OpenMP threads. */
#include "letterbox.h"

#include <stddef.h>

/* Floats of scratch needed for an in_w × in_h image resized to out_w × out_h. */
size_t dn_letterbox_scratch(int in_w, int in_h, int out_w) {
  return (size_t)3 * in_w * in_h + (size_t)3 * out_w * in_h;
}

/* resize_image(im, w, h), written into out at (dx, dy) of an ow × oh canvas (row stride ow). */
static void resize_into(const float *im, int iw, int ih, int w, int h, float *part, float *out, int ow, int oh, int dx,
                        int dy) {
  float w_scale = (float)(iw - 1) / (w - 1);
  float h_scale = (float)(ih - 1) / (h - 1);
  /* horizontal pass: part is w × ih */
#pragma omp parallel for schedule(static) if ((size_t)w * ih >= 65536)
  for (int kr = 0; kr < 3 * ih; kr++) {
    int k = kr / ih, r = kr % ih;
    const float *src = im + ((size_t)k * ih + r) * iw;
    float *dst = part + ((size_t)k * ih + r) * w;
    for (int c = 0; c < w; c++) {
      float val;
      if (c == w - 1 || iw == 1) {
        val = src[iw - 1];
      } else {
        float sx = c * w_scale;
        int ix = (int)sx;
        float ddx = sx - ix;
        val = (1 - ddx) * src[ix] + ddx * src[ix + 1];
      }
      dst[c] = val;
    }
  }
  /* vertical pass into the canvas */
#pragma omp parallel for schedule(static) if ((size_t)w * h >= 65536)
  for (int kr = 0; kr < 3 * h; kr++) {
    int k = kr / h, r = kr % h;
    float sy = r * h_scale;
    int iy = (int)sy;
    float ddy = sy - iy;
    const float *p0 = part + ((size_t)k * ih + iy) * w;
    float *dst = out + ((size_t)k * oh + dy + r) * ow + dx;
    for (int c = 0; c < w; c++) dst[c] = (1 - ddy) * p0[c];
    if (r == h - 1 || ih == 1) continue;
    const float *p1 = p0 + w;
    for (int c = 0; c < w; c++) dst[c] += ddy * p1[c];
  }
}

void dn_letterbox(const unsigned char *pixels, int w, int h, int c, int net_w, int net_h, int letterbox, float *slot,
                  float *scratch) {
  size_t plane = (size_t)w * h;
  float *im = scratch;
  /* load_image_color: 3 channels, value/255; gray replicated, alpha dropped (as stb_image) */
#pragma omp parallel for schedule(static) if (plane >= 65536)
  for (int y = 0; y < h; y++)
    for (int k = 0; k < 3; k++) {
      int src_k = c >= 3 ? k : 0;
      const unsigned char *row = pixels + (size_t)y * w * c;
      float *dst = im + k * plane + (size_t)y * w;
      for (int x = 0; x < w; x++) dst[x] = (float)row[(size_t)x * c + src_k] / 255.;
    }
  if (!letterbox) {
    resize_into(im, w, h, net_w, net_h, im + 3 * plane, slot, net_w, net_h, 0, 0);
    return;
  }
  int new_w = w, new_h = h;
  if (((float)net_w / w) < ((float)net_h / h)) {
    new_w = net_w;
    new_h = (h * net_w) / w;
  } else {
    new_h = net_h;
    new_w = (w * net_h) / h;
  }
  size_t canvas = (size_t)3 * net_w * net_h;
  for (size_t i = 0; i < canvas; i++) slot[i] = .5;
  resize_into(im, w, h, new_w, new_h, im + 3 * plane, slot, net_w, net_h, (net_w - new_w) / 2, (net_h - new_h) / 2);
}

/* validate_classifier_single's center_crop_image: the central min(w, h)² square (crop_image, whose
 * clamping never triggers for it), then resize_image to the network size. Only the square is
 * converted to floats. */
void dn_center_crop(const unsigned char *pixels, int w, int h, int c, int net_w, int net_h, float *slot,
                    float *scratch) {
  int m = w < h ? w : h;
  int x0 = (w - m) / 2, y0 = (h - m) / 2;
  size_t plane = (size_t)m * m;
  float *im = scratch;
#pragma omp parallel for schedule(static) if (plane >= 65536)
  for (int y = 0; y < m; y++)
    for (int k = 0; k < 3; k++) {
      int src_k = c >= 3 ? k : 0;
      const unsigned char *row = pixels + ((size_t)(y + y0) * w + x0) * c;
      float *dst = im + k * plane + (size_t)y * m;
      for (int x = 0; x < m; x++) dst[x] = (float)row[(size_t)x * c + src_k] / 255.;
    }
  resize_into(im, m, m, net_w, net_h, im + 3 * plane, slot, net_w, net_h, 0, 0);
}
