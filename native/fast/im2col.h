/* Darknet's im2col layout, built row by row (see im2col.c). */
#ifndef DN_IM2COL_H
#define DN_IM2COL_H
#include <stddef.h>

/* The im2col rows of input channels [c0, c1) for output rows [y0, y1): kernel tap (c, kh, kw)'s
 * row starts at ((c·size + kh)·size + kw)·ld and holds (y1 − y0)·out_w values. */
void dn_im2col_rows(const float *im, int c0, int c1, int h, int w, int size, int stride, int pad, int out_w, int y0,
                    int y1, size_t ld, float *col);

#endif
