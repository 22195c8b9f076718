/* The Darknet operations the bridge needs, each run under the guard. Plain C on both sides so
 * that network.cc never sees Darknet's structs and no C++ frame lies under a longjmp. */
#ifndef DN_OPS_H
#define DN_OPS_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Darknet's network plus what the bridge keeps beside it (lean-mode buffer pool). Opaque. */
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

typedef struct {
  int lean;    /* inference-only: training buffers freed, batch-norm copies aliased, layer outputs
                  shared between layers whose lifetimes do not overlap (numerics unchanged) */
  int fast;    /* fast numerics (fast.c): folded batch-norm, BLAS convolutions; needs lean, CPU */
  int threads; /* compute threads per forward pass, 0 = all cores */
  int device;  /* CUDA device, -1 = CPU */
  dn_progress_fn progress;
  void *progress_ctx;
  int weight_layers; /* the weights file holds only this many leading layers (what Darknet's
                        `partial` cuts, checked in TypeScript): the rest keep their random
                        initialisation, as with Darknet's loader. 0: all layers */
} dn_load_opts;

/* cfg/weights are file paths; weights may be NULL (random init, for training or tests). */
int dn_load(const char *cfg, const char *weights, const dn_load_opts *opts, dn_network **out, char *err, size_t errlen);

/* GPU builds: visible CUDA devices and the cuDNN version (0 when not compiled in). */
typedef struct {
  char name[128];
  size_t memory;
  int major, minor;
} dn_device_info;
int dn_gpu_compiled(void);
int dn_cudnn_compiled(void);
int dn_device_count(void);
void dn_device_at(int i, dn_device_info *out);
size_t dn_cudnn_version(void);
void dn_free_network(dn_network *net);

int dn_input_size(const dn_network *net);   /* floats per image */
int dn_net_dims(const dn_network *net, int *w, int *h, int *c, int *batch);
int dn_layer_count(const dn_network *net);
void dn_layer_info_at(const dn_network *net, int i, dn_layer_info *out);
/* Last forward's output of layer i (all batch items): pointer into the network, and its length. */
const float *dn_layer_output(const dn_network *net, int i, size_t *len);
void dn_network_memory(const dn_network *net, dn_memory *out);

/* Raw forward pass on batch × inputs floats. */
int dn_forward(dn_network *net, const float *input, size_t len, char *err, size_t errlen);

/* One 8-bit interleaved image (HWC, c = 1, 3 or 4). */
typedef struct {
  const unsigned char *pixels;
  int w, h, c;
} dn_image_in;

/* `darknet detector test` for k images (1 ≤ k ≤ the network's batch) in one forward pass; out
 * holds k results. Each image's boxes are decoded from its own slice of the outputs. */
int dn_detect(dn_network *net, const dn_image_in *images, int k, int letterbox, float thresh, float hier, float nms,
              dn_boxes *out, char *err, size_t errlen);

/* How a classifier's input is prepared (examples/classifier.c): predict_classifier letterboxes,
 * validate_classifier_single center-crops (largest central square, resized), or a plain resize. */
typedef enum { DN_PREP_RESIZE = 0, DN_PREP_LETTERBOX = 1, DN_PREP_CROP = 2 } dn_prep;

/* The index of the layer whose output network_predict returns (the last one that is not [cost]),
 * and its floats per image. */
int dn_output_layer(const dn_network *net, int *outputs);

/* `darknet classifier predict`'s pass for k images (1 ≤ k ≤ batch): out receives k × outputs
 * floats, the output layer's values for each image in turn. */
int dn_classify(dn_network *net, const dn_image_in *images, int k, dn_prep prep, float *out, char *err, size_t errlen);

int dn_threads(const dn_network *net);   /* the compute threads a forward pass uses */
/* 0 when `threads` (0 = all cores) compute threads can be created now; -1 with the reason. */
int dn_check_threads(int threads, char *err, size_t errlen);
void dn_set_network_threads(dn_network *net, int threads);
int dn_is_fast(const dn_network *net);

#ifdef __cplusplus
}
#endif
#endif
