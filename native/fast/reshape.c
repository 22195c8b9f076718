/* Fast numerics' [route] and [upsample]: Darknet's copies, split over threads, reading and
 * writing either layout (layout.c decides which). Darknet's versions are one serial loop each
 * (yolov3-416's two upsamples and four routes: ~1.5 ms a pass, the other thread idle) and read
 * and write NCHW only, which made every output they read (yolov3's shortcuts 36 and 61, the
 * convolutions before the upsamples) transpose back to NCHW and the convolutions after them
 * transpose forward again. The values are the same floats in other places: a route copies, an
 * upsample multiplies by the same `scale` as upsample_cpu. */
#include "reshape.h"

#include <string.h>

#include "layout.h"

#define PAR_MIN 32768

/* Where channel ch of pixel p of image b sits in a c-channel, `spatial`-pixel map. */
static inline size_t at(int nhwc, int b, int c, int spatial, int ch, size_t p) {
  return nhwc ? ((size_t)b * spatial + p) * c + ch : ((size_t)b * c + ch) * spatial + p;
}

int dn_fast_route_fits(const network *net, const layer *l) {
  if (l->type != ROUTE || l->n < 1) return 0;
  int channels = 0;
  for (int k = 0; k < l->n; k++) {
    int idx = l->input_layers[k];
    if (idx < 0 || idx >= net->n) return 0;
    const layer *in = &net->layers[idx];
    if (in->out_w != l->out_w || in->out_h != l->out_h || in->outputs != l->input_sizes[k] || in->batch != l->batch) return 0;
    channels += in->out_c;
  }
  return channels == l->out_c && l->outputs == l->out_w * l->out_h * l->out_c;
}

int dn_fast_upsample_fits(const layer *l) {
  return l->type == UPSAMPLE && !l->reverse && l->stride >= 1 && l->out_w == l->w * l->stride && l->out_h == l->h * l->stride &&
         l->out_c == l->c;
}

/* Darknet's forward_route_layer: the inputs' channels one after another. */
void dn_fast_route(const layer l, network net) {
  int out_nhwc = dn_fast_nhwc(&net, net.index), spatial = l.out_w * l.out_h, offset = 0;
  for (int k = 0; k < l.n; k++) {
    int idx = l.input_layers[k];
    const layer *src = &net.layers[idx];
    int in_nhwc = dn_fast_nhwc(&net, idx), c = src->out_c;
    if (!in_nhwc && !out_nhwc) {
      /* NCHW to NCHW: one block per image, as copy_cpu */
      for (int b = 0; b < l.batch; b++)
        memcpy(l.output + (size_t)b * l.outputs + (size_t)offset * spatial, src->output + (size_t)b * src->outputs,
               (size_t)src->outputs * sizeof(float));
    } else {
#pragma omp parallel for schedule(static) if ((size_t)l.batch * spatial * c >= PAR_MIN)
      for (int bp = 0; bp < l.batch * spatial; bp++) {
        int b = bp / spatial;
        size_t p = (size_t)(bp % spatial);
        if (in_nhwc && out_nhwc)
          memcpy(l.output + (size_t)bp * l.out_c + offset, src->output + (size_t)bp * c, (size_t)c * sizeof(float));
        else
          for (int ch = 0; ch < c; ch++)
            l.output[at(out_nhwc, b, l.out_c, spatial, offset + ch, p)] = src->output[at(in_nhwc, b, c, spatial, ch, p)];
      }
    }
    offset += c;
  }
}

/* Darknet's forward_upsample_layer (not reversed): out = scale · in, each input pixel repeated
 * stride × stride times. */
void dn_fast_upsample(const layer l, network net) {
  int in_nhwc = dn_fast_nhwc(&net, net.index - 1), out_nhwc = dn_fast_nhwc(&net, net.index);
  int s = l.stride, ow = l.out_w, oh = l.out_h, c = l.c, in_spatial = l.w * l.h, out_spatial = ow * oh;
  float scale = l.scale;
#pragma omp parallel for schedule(static) if ((size_t)l.batch * l.outputs >= PAR_MIN)
  for (int by = 0; by < l.batch * oh; by++) {
    int b = by / oh, y = by % oh;
    for (int x = 0; x < ow; x++) {
      size_t ip = (size_t)(y / s) * l.w + x / s, op = (size_t)y * ow + x;
      if (in_nhwc && out_nhwc) {
        const float *src = net.input + ((size_t)b * in_spatial + ip) * c;
        float *dst = l.output + ((size_t)b * out_spatial + op) * c;
        for (int ch = 0; ch < c; ch++) dst[ch] = scale * src[ch];
      } else {
        for (int ch = 0; ch < c; ch++)
          l.output[at(out_nhwc, b, c, out_spatial, ch, op)] = scale * net.input[at(in_nhwc, b, c, in_spatial, ch, ip)];
      }
    }
  }
}
