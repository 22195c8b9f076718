#include "im2col.h"

#include <string.h>

/* Darknet's im2col_cpu fetches every element through a bounds-checked im2col_get_pixel call.
 * Same layout, row by row: row (c, kh, kw) holds, for each output position, the input pixel
 * that kernel tap reads (0 in the padding); stride-1 rows are plain copies. Exact. */
void dn_im2col_rows(const float *im, int c0, int c1, int h, int w, int size, int stride, int pad, int out_w, int y0,
                    int y1, size_t ld, float *col) {
  for (int c = c0; c < c1; c++)
    for (int kh = 0; kh < size; kh++)
      for (int kw = 0; kw < size; kw++) {
        float *dst = col + (((size_t)c * size + kh) * size + kw) * ld;
        for (int y = y0; y < y1; y++) {
          float *d = dst + (size_t)(y - y0) * out_w;
          int iy = y * stride - pad + kh;
          if (iy < 0 || iy >= h) { memset(d, 0, out_w * sizeof(float)); continue; }
          const float *src = im + ((size_t)c * h + iy) * w;
          if (stride == 1) {
            int x0 = pad - kw > 0 ? pad - kw : 0;          /* first x whose ix = x - pad + kw ≥ 0 */
            int x1 = w + pad - kw < out_w ? w + pad - kw : out_w; /* one past the last ix < w */
            if (x1 < x0) x1 = x0;
            for (int x = 0; x < x0; x++) d[x] = 0;
            memcpy(d + x0, src + x0 - pad + kw, (size_t)(x1 - x0) * sizeof(float));
            for (int x = x1; x < out_w; x++) d[x] = 0;
          } else {
            /* x in [x0, x1) reads inside the row: ix = x·stride − pad + kw ∈ [0, w) */
            int x0 = pad - kw > 0 ? (pad - kw + stride - 1) / stride : 0;
            int x1 = (w - 1 + pad - kw) / stride + 1;
            if (w - 1 + pad - kw < 0) x1 = 0;
            if (x1 > out_w) x1 = out_w;
            if (x1 < x0) x1 = x0;
            const float *s0 = src - pad + kw;
            for (int x = 0; x < x0; x++) d[x] = 0;
            for (int x = x0; x < x1; x++) d[x] = s0[x * stride];
            for (int x = x1; x < out_w; x++) d[x] = 0;
          }
        }
      }
}
