/* Reference oracle for classifier parity: Debian's libdarknet.so preparing each image as
 * examples/classifier.c does (predict_classifier: letterbox_image; validate_classifier_single:
 * center_crop_image) and printing the whole network_predict output at full precision, which
 * `darknet classifier predict` rounds to 0.01 %. Raw RGB inputs, as test/reference/harness.c.
 *
 * usage: classify-harness cfg weights letterbox|crop image.rgb...
 * prints, per image, "image <i> <outputs>" then one line of <outputs> values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
  if (argc < 5) { fprintf(stderr, "usage: %s cfg weights letterbox|crop image.rgb...\n", argv[0]); return 2; }
  int crop = strcmp(argv[3], "crop") == 0;
  network *net = load_network(argv[1], argv[2], 0);
  set_batch_network(net, 1);
  for (int a = 4; a < argc; ++a) {
    image im = read_rgb(argv[a]);
    image sized = crop ? center_crop_image(im, net->w, net->h) : letterbox_image(im, net->w, net->h);
    float *p = network_predict(net, sized.data);
    printf("image %d %d\n", a - 4, net->outputs);
    for (int i = 0; i < net->outputs; ++i) printf(i ? " %.9g" : "%.9g", p[i]);
    printf("\n");
    free_image(sized);
    free_image(im);
  }
  return 0;
}
