/* native/ops/letterbox.c against Debian's libdarknet.so: load_image_color's conversion followed by
 * letterbox_image, resize_image, or center_crop_image (validate_classifier_single), byte for byte,
 * on gray, RGB and RGBA images of odd sizes (1 pixel wide or high, portrait, landscape, square)
 * into networks of several shapes. Prints "ok <cases>" or the first case that differs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darknet.h"
#include "letterbox.h"

static image from_bytes(const unsigned char *px, int w, int h, int c) {
  image im = make_image(w, h, 3); /* as load_image_stb with channels = 3 */
  for (int k = 0; k < 3; ++k)
    for (int j = 0; j < h; ++j)
      for (int i = 0; i < w; ++i) im.data[i + w * j + w * h * k] = (float)px[(c >= 3 ? k : 0) + c * i + c * w * j] / 255.;
  return im;
}

int main(void) {
  const int sizes[][2] = {{768, 576}, {333, 500}, {1, 7}, {9, 1}, {640, 640}, {17, 5}, {1000, 999}};
  const int nets[][2] = {{416, 416}, {320, 256}, {64, 96}, {7, 7}};
  int cases = 0;
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
    for (size_t n = 0; n < sizeof nets / sizeof *nets; n++)
      for (int c = 1; c <= 4; c++) {
        int w = sizes[s][0], h = sizes[s][1], nw = nets[n][0], nh = nets[n][1];
        unsigned char *px = malloc((size_t)w * h * c);
        for (size_t i = 0; i < (size_t)w * h * c; i++) px[i] = (unsigned char)((i * 2654435761u) >> 13);
        float *scratch = malloc(dn_letterbox_scratch(w, h, nw) * sizeof(float));
        float *ours = malloc((size_t)3 * nw * nh * sizeof(float));
        image im = from_bytes(px, w, h, c);
        for (int mode = 0; mode < 3; mode++) {
          image want;
          if (mode == 0) { dn_letterbox(px, w, h, c, nw, nh, 1, ours, scratch); want = letterbox_image(im, nw, nh); }
          else if (mode == 1) { dn_letterbox(px, w, h, c, nw, nh, 0, ours, scratch); want = resize_image(im, nw, nh); }
          else { dn_center_crop(px, w, h, c, nw, nh, ours, scratch); want = center_crop_image(im, nw, nh); }
          if (memcmp(ours, want.data, (size_t)3 * nw * nh * sizeof(float)) != 0) {
            printf("differs: %dx%d c%d into %dx%d mode %d\n", w, h, c, nw, nh, mode);
            return 1;
          }
          free_image(want);
          cases++;
        }
        free_image(im);
        free(px), free(scratch), free(ours);
      }
  printf("ok %d\n", cases);
  return 0;
}
