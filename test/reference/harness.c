/* Reference oracle for parity tests: Debian's libdarknet.so running `darknet detector test`'s
 * pipeline (examples/detector.c test_detector) on raw RGB images, so that JPEG decoding
 * differences (Debian's library decodes through OpenCV) are out of the comparison.
 *
 * usage: harness cfg weights outdir thresh hier nms image.rgb...
 *   image.rgb: "w h c\n" then w*h*c interleaved bytes.
 * writes outdir/<i>.layer<L>.f32 (raw YOLO outputs) and prints, per image,
 *   "image <i> <w> <h> <n>" then n lines "x y w h objectness p0 … p(classes-1)" (after NMS). */
#include <stdio.h>
#include <stdlib.h>
#include "darknet.h"

static image read_rgb(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  int w, h, c;
  if (fscanf(f, "%d %d %d", &w, &h, &c) != 3 || fgetc(f) != '\n') { fprintf(stderr, "bad header %s\n", path); exit(2); }
  unsigned char *px = malloc((size_t)w * h * c);
  if (fread(px, 1, (size_t)w * h * c, f) != (size_t)w * h * c) { fprintf(stderr, "short %s\n", path); exit(2); }
  fclose(f);
  image im = make_image(w, h, 3); /* as load_image_stb with channels = 3 */
  for (int k = 0; k < 3; ++k)
    for (int j = 0; j < h; ++j)
      for (int i = 0; i < w; ++i)
        im.data[i + w * j + w * h * k] = (float)px[(c >= 3 ? k : 0) + c * i + c * w * j] / 255.;
  free(px);
  return im;
}

int main(int argc, char **argv) {
  if (argc < 8) { fprintf(stderr, "usage: %s cfg weights outdir thresh hier nms image.rgb...\n", argv[0]); return 2; }
  float thresh = atof(argv[4]), hier = atof(argv[5]), nms = atof(argv[6]);
  network *net = load_network(argv[1], argv[2], 0);
  set_batch_network(net, 1);
  layer l = net->layers[net->n - 1];
  for (int a = 7; a < argc; ++a) {
    int idx = a - 7;
    image im = read_rgb(argv[a]);
    image sized = letterbox_image(im, net->w, net->h);
    network_predict(net, sized.data);
    for (int j = 0; j < net->n; ++j) {
      layer y = net->layers[j];
      if (y.type != YOLO) continue;
      char path[4096];
      snprintf(path, sizeof path, "%s/%d.layer%d.f32", argv[3], idx, j);
      FILE *o = fopen(path, "wb");
      fwrite(y.output, sizeof(float), y.outputs, o);
      fclose(o);
    }
    int nboxes = 0;
    detection *dets = get_network_boxes(net, im.w, im.h, thresh, hier, 0, 1, &nboxes);
    if (nms) do_nms_sort(dets, nboxes, l.classes, nms);
    printf("image %d %d %d %d\n", idx, im.w, im.h, nboxes);
    for (int i = 0; i < nboxes; ++i) {
      printf("%.9g %.9g %.9g %.9g %.9g", dets[i].bbox.x, dets[i].bbox.y, dets[i].bbox.w, dets[i].bbox.h, dets[i].objectness);
      for (int k = 0; k < l.classes; ++k) printf(" %.9g", dets[i].prob[k]);
      printf("\n");
    }
    free_detections(dets, nboxes);
    free_image(sized);
    free_image(im);
  }
  return 0;
}
