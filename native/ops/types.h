/* The plain-C types the bridge and the operations of ops/ exchange. Plain C on both sides so
 * that the bridge never sees Darknet's structs and no C++ frame lies under a longjmp. */
#ifndef DN_OPS_TYPES_H
#define DN_OPS_TYPES_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Darknet's network plus what we keep beside it (handle.h). Opaque outside ops/. */
typedef struct dn_network dn_network;

typedef struct {
  size_t weights;     /* parameters: weights, biases, batch-norm scales and statistics */
  size_t activations; /* layer outputs (pooled in lean mode) and what forward passes write */
  size_t workspace;   /* the shared im2col workspace */
  size_t training;    /* deltas, updates, batch statistics (0 in lean mode) */
} dn_memory;

/* Bytes done / total while reading a .weights file (called on the loading thread). */
typedef void (*dn_progress_fn)(void *ctx, size_t done, size_t total);

typedef struct {
  char type[16]; /* Darknet's own name: convolutional, route, yolo, … */
  int w, h, c, out_w, out_h, out_c, n, size, stride, batch, outputs, classes, total;
  int mask[16];  /* yolo: anchor indices (first n) */
  int nmask;
} dn_layer_info;

typedef struct {
  float *data;   /* count × (5 + classes): x, y, w, h (relative), objectness, probs… */
  int count;
  int classes;
} dn_boxes;

/* One 8-bit interleaved image (HWC, c = 1, 3 or 4) of len bytes (checked: invariants.h). */
typedef struct {
  const unsigned char *pixels;
  size_t len;
  int w, h, c;
} dn_image_in;

/* How a classifier's input is prepared (examples/classifier.c): predict_classifier letterboxes,
 * validate_classifier_single center-crops (largest central square, resized), or a plain resize. */
typedef enum { DN_PREP_RESIZE = 0, DN_PREP_LETTERBOX = 1, DN_PREP_CROP = 2 } dn_prep;

/* What a load spent its time on, and what it did with the cache (bench/footprint.mjs). Here, not
 * in load.h: handle.h (the network struct) holds one, and load.c includes handle.h. */
typedef struct {
  double parse_ms;     /* parse_network_cfg: the cfg, every layer's constructor */
  double lean_ms;      /* freeing training state, pooling outputs */
  double read_ms;      /* reading the .weights file (0 on a cache hit) */
  double transform_ms; /* fast numerics' folding and layouts (0 on a cache hit) */
  double cache_ms;     /* key, mapping and verifying (hit), or writing and mapping (build) */
  int cache;           /* DN_CACHE_* (weights_cache.h) */
  size_t mapped;       /* bytes of weights in the shared mapping */
  char note[256];      /* why the cache was not used or rebuilt, empty on a hit */
} dn_load_stats;

#ifdef __cplusplus
}
#endif
#endif
