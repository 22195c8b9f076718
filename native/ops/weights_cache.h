/* The compiled-weights cache (weights_cache.c): the weights a lean CPU network computes with —
 * as Darknet's layers hold them (reference numerics) or as fast numerics transformed them (folded
 * batch-norm, Winograd and packed layouts) — saved once per (weights file, cfg, binary, numerics,
 * CPU) in a file of our own, then mapped read-only on later loads and shared by every copy of the
 * network in the process and by every process of the machine. */
#ifndef DN_OPS_WEIGHTS_CACHE_H
#define DN_OPS_WEIGHTS_CACHE_H
#include <stddef.h>

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a load did with the cache (dn_load_stats.cache). */
enum {
  DN_CACHE_OFF = 0,     /* not asked for, or the network cannot use one (training, GPU, partial weights) */
  DN_CACHE_HIT = 1,     /* mapped from an existing cache file (or shared with a copy in this process) */
  DN_CACHE_BUILT = 2,   /* built from the .weights, written, and mapped */
  DN_CACHE_COPIED = 3,  /* the cache file is not ours alone (owner, or writable): read into private memory */
  DN_CACHE_FAILED = 4,  /* the cache could not be written or used: the network runs on private memory */
};

struct dn_network;
struct dn_wmap;

/* Identifies what the cache must match. Reads the cfg text and the first/last 256 KB of the weights
 * file; returns 0 when the network may use a cache, -1 (with why) when it may not. */
typedef struct {
  unsigned long long slot[2]; /* names the file: weights file identity, cfg, numerics, binary, CPU */
  unsigned long long key[2];  /* slot + the weights file's size, times and head/tail bytes */
  unsigned long long wsize, wmtime, wctime;
} dn_cache_key;
int dn_cache_key_make(const char *cfg, const char *weights, int fast, dn_cache_key *k, char *why, size_t whylen);
/* Whether the weights file still has the identity the key was made from (not rewritten during the load). */
int dn_cache_key_still(const char *weights, const dn_cache_key *k);

/* A load on a cache file: maps it (or takes the process's existing mapping), verifies it against
 * the key and the parsed lean network, and points the layers (and a new fast table) into it.
 * Returns DN_CACHE_HIT / DN_CACHE_COPIED, or -1 when the file is missing, stale, foreign, corrupt
 * or does not fit the network (nothing changed then; why says which). Inside a guarded call. */
int dn_cache_attach(struct dn_network *h, const char *dir, const dn_cache_key *k, int fast, char *why, size_t whylen);
/* Writes the network's weights (after dn_make_fast when fast) into dir atomically: a temporary
 * file renamed over the slot's name. 0, or -1 with why (nothing left behind). */
int dn_cache_write(struct dn_network *h, const char *dir, const dn_cache_key *k, void *const *orig_forward, char *why, size_t whylen);
/* Before Darknet frees the layers: clears every pointer into the mapping and drops the
 * network's reference on it (unmapped with the last copy). */
void dn_cache_detach(struct dn_network *h);
/* Bytes of the network's weights that live in the cache's shared mapping (0: none). */
size_t dn_cache_mapped_bytes(const struct dn_network *h);

#ifdef __cplusplus
}
#endif
#endif
