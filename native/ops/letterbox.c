/* Darknet's image preparation for `detector test` — load_image_color's 8-bit → float planar
 * conversion, then letterbox_image (resize_image + embed into a 0.5-grey canvas) or a plain
 * resize_image — written straight into the network's input slot. Same arithmetic in the same
 * order as image.c (compiled like Darknet: no FMA contraction), so the pixels are bit-identical
 * (the parity tests hold it to libdarknet.so); what changes is that nothing is allocated per
 * call (the horizontally resized rows live in a per-network scratch buffer), the float image is
 * never made (the horizontal pass reads the bytes through a table of load_image_color's values),
 * no bounds-checked get_pixel call per sample, and rows are split over the OpenMP threads. */
#include "letterbox.h"

#include <pthread.h>
#include <stddef.h>

/* Floats of scratch needed for an in_w × in_h image resized to at most out_w pixels wide: the
 * horizontally resized rows, and the columns' source positions and weights. */
size_t dn_letterbox_scratch(int in_w, int in_h, int out_w) {
  (void)in_w;
  return (size_t)3 * out_w * in_h + (size_t)3 * out_w;
}

/* load_image_color's value of an 8-bit sample: (float)v / 255. in double, rounded to float */
static float unit[256];
static pthread_once_t unit_once = PTHREAD_ONCE_INIT;
static void make_unit(void) {
  for (int v = 0; v < 256; v++) unit[v] = (float)v / 255.;
}

/* resize_image(load_image_color(im), w, h) of the iw × ih region of 8-bit HWC pixels at px (rows
 * `stride` bytes apart, c channels: gray replicated, alpha dropped, as stb_image), written into
 * out at (dx, dy) of an ow × oh canvas (row stride ow). The horizontal pass reads the bytes through
 * load_image_color's exact float values, so the float image itself is never made; each column's
 * source position and weights are resize_image's expressions, computed once instead of per row
 * and channel; every product and sum is resize_image's, in its order. */
static void resize_into(const unsigned char *px, size_t stride, int c, int iw, int ih, int w, int h, float *part, float *out,
                        int ow, int oh, int dx, int dy) {
  pthread_once(&unit_once, make_unit);
  float w_scale = (float)(iw - 1) / (w - 1);
  float h_scale = (float)(ih - 1) / (h - 1);
  /* per column: the left source pixel's offset (-1: the last pixel, alone), 1 − ddx and ddx */
  float *wl = part + (size_t)3 * w * ih, *wr = wl + w;
  int *at = (int *)(wr + w);
  for (int col = 0; col < w; col++) {
    if (col == w - 1 || iw == 1) {
      at[col] = -1;
    } else {
      float sx = col * w_scale;
      int ix = (int)sx;
      float ddx = sx - ix;
      at[col] = ix * c;
      wl[col] = 1 - ddx;
      wr[col] = ddx;
    }
  }
  /* horizontal pass: part is 3 planes of w × ih */
#pragma omp parallel for schedule(static) if ((size_t)w * ih >= 65536 / 3)
  for (int r = 0; r < ih; r++) {
    const unsigned char *src = px + (size_t)r * stride;
    float *d0 = part + (size_t)r * w, *d1 = d0 + (size_t)ih * w, *d2 = d1 + (size_t)ih * w;
    int s1 = c >= 3 ? 1 : 0, s2 = c >= 3 ? 2 : 0;
    for (int col = 0; col < w; col++) {
      if (at[col] < 0) {
        const unsigned char *q = src + (size_t)(iw - 1) * c;
        d0[col] = unit[q[0]];
        d1[col] = unit[q[s1]];
        d2[col] = unit[q[s2]];
      } else {
        const unsigned char *q = src + at[col];
        float a = wl[col], b = wr[col];
        d0[col] = a * unit[q[0]] + b * unit[q[c]];
        d1[col] = a * unit[q[s1]] + b * unit[q[c + s1]];
        d2[col] = a * unit[q[s2]] + b * unit[q[c + s2]];
      }
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
    for (int col = 0; col < w; col++) dst[col] = (1 - ddy) * p0[col];
    if (r == h - 1 || ih == 1) continue;
    const float *p1 = p0 + w;
    for (int col = 0; col < w; col++) dst[col] += ddy * p1[col];
  }
}

void dn_letterbox(const unsigned char *pixels, int w, int h, int c, int net_w, int net_h, int letterbox, float *slot,
                  float *scratch) {
  size_t stride = (size_t)w * c;
  if (!letterbox) {
    resize_into(pixels, stride, c, w, h, net_w, net_h, scratch, slot, net_w, net_h, 0, 0);
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
  int dx = (net_w - new_w) / 2, dy = (net_h - new_h) / 2;
  /* embed_image into a 0.5 canvas: only the bars are filled, resize_into writes the rest */
  for (int k = 0; k < 3; k++)
    for (int y = 0; y < net_h; y++) {
      float *row = slot + ((size_t)k * net_h + y) * net_w;
      if (y < dy || y >= dy + new_h) {
        for (int x = 0; x < net_w; x++) row[x] = .5;
      } else {
        for (int x = 0; x < dx; x++) row[x] = .5;
        for (int x = dx + new_w; x < net_w; x++) row[x] = .5;
      }
    }
  resize_into(pixels, stride, c, w, h, new_w, new_h, scratch, slot, net_w, net_h, dx, dy);
}

/* validate_classifier_single's center_crop_image: the central min(w, h)² square (crop_image, whose
 * clamping never triggers for it), then resize_image to the network size. */
void dn_center_crop(const unsigned char *pixels, int w, int h, int c, int net_w, int net_h, float *slot,
                    float *scratch) {
  int m = w < h ? w : h;
  int x0 = (w - m) / 2, y0 = (h - m) / 2;
  resize_into(pixels + ((size_t)y0 * w + x0) * c, (size_t)w * c, c, m, m, net_w, net_h, scratch, slot, net_w, net_h, 0, 0);
}
