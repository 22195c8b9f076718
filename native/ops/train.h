/* Training a detector with Darknet's own trainer (train.c). */
#ifndef DN_TRAIN_H
#define DN_TRAIN_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const char *cfg;     /* training cfg (its batch/subdivisions/learning rate are used) */
  const char *weights; /* initial weights or NULL */
  char **paths;        /* training images (labels beside them, Darknet's images→labels rule) */
  int npaths;
  int max_batches;
  int checkpoint_every; /* 0: none */
  int clear_seen;       /* restart the iteration count of the initial weights */
  const char *prefix;   /* checkpoints: <prefix>_<iteration>.weights, <prefix>_final.weights */
  unsigned seed;        /* this thread's random stream: initial weights, augmentation, dropout */
  int weight_layers;    /* weights holds only this many leading layers (0: all; dn_load_opts) */
} dn_train_params;

typedef struct {
  int iteration;
  float loss, avg_loss, rate;
  size_t seen;
  int w, h; /* the network's input size this iteration was trained at (random=1 changes it) */
  const char *checkpoint; /* written at this iteration, or NULL */
} dn_train_progress;

/* Return non-zero to stop after this iteration (the final weights are still written). */
typedef int (*dn_train_fn)(void *ctx, const dn_train_progress *p);

/* 0: finished (err holds the final weights path), 1: stopped on request (same), -1: failed. */
int dn_train(const dn_train_params *p, dn_train_fn progress, void *ctx, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
