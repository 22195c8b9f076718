/* Footprint of the stock library for bench/footprint.mjs: Debian's libdarknet.so loading a
 * cfg/weights pair and running one forward pass, as `darknet detector test` does.
 * usage: stock-footprint cfg weights  → one JSON line. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "darknet.h"

static long status_kb(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, key, strlen(key))) { sscanf(line + strlen(key), "%ld", &v); break; }
  if (f) fclose(f);
  return v;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: %s cfg weights\n", argv[0]); return 2; }
  double t0 = now();
  network *net = load_network(argv[1], argv[2], 0);
  set_batch_network(net, 1);
  double load = now() - t0;
  long hwm_load = status_kb("VmHWM:");
  image im = make_image(768, 576, 3);
  for (int i = 0; i < 768 * 576 * 3; i++) im.data[i] = 0.4f;
  image sized = letterbox_image(im, net->w, net->h);
  t0 = now();
  network_predict(net, sized.data);
  double detect = now() - t0;
  printf("{\"load\":%.4f,\"detect\":%.4f,\"rssLoadMB\":%.1f,\"rssDetectMB\":%.1f}\n", load, detect, hwm_load / 1024.0, status_kb("VmHWM:") / 1024.0);
  return 0;
}
