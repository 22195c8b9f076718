/* See weights_cache.h.
 *
 * File layout (native byte order; the key names the binary and the CPU, so a file is only ever
 * read by the build and machine kind that wrote it):
 *   header   magic, format, key, sizes, `seen`, header checksum (covers header + tables)
 *   layers   per layer: Darknet's type, the forward function (an index into FORWARDS), the
 *            batch_normalize flag and whether the weights array was freed (Winograd layers)
 *   records  per array: layer, field (weights, biases, scales, rolling mean/variance, fast
 *            table slot), floats, offset, checksum of its bytes (of its 1 MB blocks' hashes,
 *            so that the cores verify one large array together)
 *   data     the arrays, each 64-byte aligned
 *
 * Trust: a file is used only when every check passes — magic, format, the full key, the file's
 * size, the header checksum, each array's checksum, every record naming an array that the parsed
 * network holds with exactly that length, every forward function one of the list below and fit
 * for the layer's type. Anything else and the load builds from the .weights and replaces the file.
 *
 * SIGBUS: a mapped file that shrinks makes its lost pages fault. Only our own cache files are
 * mapped (the user's .weights is read once, with checked reads, when the cache is built), they
 * are never written in place (a rebuild renames a new file over the name: existing mappings
 * keep the old inode), and they are created read-only (0444) in a directory of mode 0700. A
 * file is mapped only if it belongs to this user and nobody may write it: truncating it then
 * takes a deliberate chmod by its owner (or root). Any other file (another owner, a writable
 * mode) is read into private memory instead — checked the same way, never shared, immune to
 * truncation. Root ignores file modes: a root process is as safe as what root does to ~/.cache.
 */
#define _GNU_SOURCE
#include "weights_cache.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "fast/direct.h"
#include "fast/dnnl.h"
#include "fast/dnnl_lib.h"
#include "fast/layers.h"
#include "fast/weights.h"
#include "fast/wino43.h"
#include "fast/first.h"
#include "guard/guard.h"
#include "handle.h"
#include "stripe_hash.h"

#define FORMAT 2
#define MAGIC "DNWCACHE"
#define ALIGN 64
#define HEAD_BYTES ((size_t)256 << 10) /* of the weights file, hashed into the key with its tail */
#define BLOCK ((size_t)1 << 20)      /* an array's checksum covers the hashes of its blocks of this size */

enum { F_WEIGHTS, F_BIASES, F_SCALES, F_MEAN, F_VARIANCE, F_FAST, F_COUNT };

/* The forward functions a cached layer may have: 0 keeps the one Darknet's parser set. A kernel
 * missing here makes dn_cache_write refuse the network (it could not be restored). */
typedef void (*forward_fn)(layer, network);
static const struct {
  forward_fn fn;
  LAYER_TYPE type;
} FORWARDS[] = {
    {NULL, 0},
    {dn_fast_conv_gemm, CONVOLUTIONAL},
    {dn_fast_conv_winograd, CONVOLUTIONAL},
    {dn_fast_conv_direct, CONVOLUTIONAL},
    {(forward_fn)dn_fast_shortcut, SHORTCUT},
    {(forward_fn)dn_fast_maxpool, MAXPOOL},
    {(forward_fn)dn_fast_yolo, YOLO},
    {dn_fast_conv_dnnl, CONVOLUTIONAL},
    {dn_fast_conv_wino43, CONVOLUTIONAL},
    {(forward_fn)dn_fast_route, ROUTE},
    {dn_fast_conv_first, CONVOLUTIONAL},
    {(forward_fn)dn_fast_upsample, UPSAMPLE},
};
#define NFORWARDS ((int)(sizeof FORWARDS / sizeof FORWARDS[0]))

typedef struct {
  char magic[8];
  uint32_t format, header_bytes; /* header + layer table + record table */
  uint64_t key[2];
  uint64_t file_bytes;
  uint32_t nlayers, nrecords;
  uint64_t seen;
  uint64_t checksum; /* of the header (this field 0) and the tables */
} file_header;

typedef struct {
  int32_t type, forward, batch_normalize, weights_freed;
} layer_state;

typedef struct {
  int32_t layer, field;
  uint64_t floats, offset, checksum;
} record;

/* One cache file's contents in this process, shared by every network loaded from it. */
struct dn_wmap {
  uint64_t key[2];
  uint64_t dev, ino; /* the file it came from: a file replaced or deleted since is not shared */
  char *base;
  size_t len;
  int mapped; /* 1: mmap of the file; 0: a private copy (malloc) */
  int refs;
  struct dn_wmap *next;
};

static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dn_wmap *maps;

static void say(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t whylen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, whylen, fmt, ap);
  va_end(ap);
}

/* ---- hashing: four independent multiply-rotate lanes, ~memory speed ---- */

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static inline uint64_t mix(uint64_t h) {
  h ^= h >> 33; h *= 0xff51afd7ed558ccdULL; h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53ULL; h ^= h >> 33;
  return h;
}

static uint64_t hash_bytes(const void *data, size_t n, uint64_t seed) {
  const unsigned char *p = data;
  const uint64_t P1 = 0x9e3779b185ebca87ULL, P2 = 0xc2b2ae3d27d4eb4fULL;
  uint64_t a = seed + P1, b = seed ^ P2, c = seed - P1, d = ~seed;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    uint64_t w[4];
    memcpy(w, p + i, 32);
    a = rotl(a + w[0] * P2, 31) * P1;
    b = rotl(b + w[1] * P2, 31) * P1;
    c = rotl(c + w[2] * P2, 31) * P1;
    d = rotl(d + w[3] * P2, 31) * P1;
  }
  uint64_t h = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18) + (uint64_t)n;
  for (; i < n; i++) h = (h ^ p[i]) * P1;
  return mix(h);
}

typedef struct { uint64_t h[2]; } hash2;
static void feed(hash2 *s, const void *data, size_t n) {
  s->h[0] = dn_stripe_hash(data, n, s->h[0], hash_bytes);
  s->h[1] = dn_stripe_hash(data, n, s->h[1] ^ 0x5bd1e995u, hash_bytes);
}
static void feed_u64(hash2 *s, uint64_t v) { feed(s, &v, sizeof v); }

/* An array's checksum: the hash of its blocks' hashes (stripe_hash.c, at memory speed), each
 * block seeded with its offset in the file; yolov3's arrays are verified by all cores at once. */
static size_t blocks_of(uint64_t floats) { return (size_t)((floats * sizeof(float) + BLOCK - 1) / BLOCK); }
static uint64_t block_hash(const char *base, uint64_t offset, uint64_t floats, size_t j) {
  size_t bytes = (size_t)floats * sizeof(float), at = j * BLOCK;
  size_t n = bytes - at < BLOCK ? bytes - at : BLOCK;
  return dn_stripe_hash(base + offset + at, n, offset + at, hash_bytes);
}
static uint64_t combine_blocks(const uint64_t *hashes, size_t nblocks, uint64_t offset) {
  return hash_bytes(hashes, nblocks * sizeof *hashes, offset);
}

/* ---- the key ---- */

static uint64_t ns(struct timespec t) { return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec; }

/* This very binary: a rebuilt addon (another version, other kernels) never reads an old cache. */
static void feed_binary(hash2 *s) {
  Dl_info info;
  struct stat st;
  if (dladdr((void *)dn_cache_key_make, &info) && info.dli_fname && stat(info.dli_fname, &st) == 0) {
    feed(s, info.dli_fname, strlen(info.dli_fname));
    feed_u64(s, (uint64_t)st.st_size);
    feed_u64(s, ns(st.st_mtim));
    feed_u64(s, (uint64_t)st.st_ino);
  } else {
    feed(s, __DATE__ __TIME__, sizeof __DATE__ __TIME__);
  }
}

/* The instruction sets the fast kernels choose from at run time (direct.c's clones). */
static void feed_cpu(hash2 *s) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  uint64_t f = (uint64_t)!!__builtin_cpu_supports("avx2") | (uint64_t)!!__builtin_cpu_supports("fma") << 1 |
               (uint64_t)!!__builtin_cpu_supports("bmi2") << 2 | (uint64_t)!!__builtin_cpu_supports("avx512f") << 3 |
               (uint64_t)!!__builtin_cpu_supports("avx512bw") << 4 | (uint64_t)!!__builtin_cpu_supports("avx512cd") << 5 |
               (uint64_t)!!__builtin_cpu_supports("avx512dq") << 6 | (uint64_t)!!__builtin_cpu_supports("avx512vl") << 7;
  feed_u64(s, f);
#else
  feed_u64(s, 0);
#endif
  /* whether oneDNN runs the convolutions, and which (its blocked layouts are its own) */
  const char *dnnl = dn_dnnl_version();
  feed(s, dnnl ? dnnl : "-", dnnl ? strlen(dnnl) : 1);
}

static int read_all(int fd, void *buf, size_t n, off_t at) {
  char *p = buf;
  while (n > 0) {
    ssize_t got = pread(fd, p, n, at);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return -1;
    p += got; n -= (size_t)got; at += got;
  }
  return 0;
}

/* In chunks through one small buffer: a buffer the size of the range would be fresh pages, and
 * faulting them in cost more than the reading and hashing. */
static int hash_file_range(int fd, off_t at, size_t n, hash2 *s) {
  enum { CHUNK = 64 << 10 };
  char *buf = malloc(CHUNK);
  if (!buf) return -1;
  int rc = 0;
  while (rc == 0 && n > 0) {
    size_t step = n < CHUNK ? n : CHUNK;
    rc = read_all(fd, buf, step, at);
    if (rc == 0) feed(s, buf, step);
    at += (off_t)step; n -= step;
  }
  free(buf);
  return rc;
}

int dn_cache_key_make(const char *cfg, const char *weights, int fast, dn_cache_key *k, char *why, size_t whylen) {
  memset(k, 0, sizeof *k);
  hash2 s = {{0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL}};
  feed_u64(&s, FORMAT);
  feed_u64(&s, (uint64_t)fast);
  feed_binary(&s);
  feed_cpu(&s);
  /* the cfg as Darknet parses it (lib/ passes the edited text: batch, input size) */
  int cf = open(cfg, O_RDONLY | O_CLOEXEC);
  struct stat cst;
  if (cf < 0 || fstat(cf, &cst) != 0 || cst.st_size > (64 << 20)) {
    if (cf >= 0) close(cf);
    say(why, whylen, "cannot read the cfg for the cache key");
    return -1;
  }
  int rc = hash_file_range(cf, 0, (size_t)cst.st_size, &s);
  close(cf);
  if (rc) { say(why, whylen, "cannot read the cfg for the cache key"); return -1; }
  int wf = open(weights, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (wf < 0 || fstat(wf, &st) != 0) {
    if (wf >= 0) close(wf);
    say(why, whylen, "cannot stat the weights file");
    return -1;
  }
  /* the slot: which weights file (by identity), for which cfg, binary, CPU and numerics */
  feed_u64(&s, (uint64_t)st.st_dev);
  feed_u64(&s, (uint64_t)st.st_ino);
  k->slot[0] = s.h[0]; k->slot[1] = s.h[1];
  /* the key: and its contents, as far as a change shows: size, modification and status-change
   * times (ctime cannot be set back by a user), the first and last 256 KB */
  k->wsize = (uint64_t)st.st_size; k->wmtime = ns(st.st_mtim); k->wctime = ns(st.st_ctim);
  feed_u64(&s, k->wsize); feed_u64(&s, k->wmtime); feed_u64(&s, k->wctime);
  size_t head = k->wsize < HEAD_BYTES ? (size_t)k->wsize : HEAD_BYTES;
  rc = hash_file_range(wf, 0, head, &s);
  if (rc == 0 && k->wsize > HEAD_BYTES) {
    size_t tail = k->wsize - HEAD_BYTES < HEAD_BYTES ? (size_t)(k->wsize - HEAD_BYTES) : HEAD_BYTES;
    rc = hash_file_range(wf, (off_t)(k->wsize - tail), tail, &s);
  }
  close(wf);
  if (rc) { say(why, whylen, "cannot read the weights file for the cache key"); return -1; }
  k->key[0] = s.h[0]; k->key[1] = s.h[1];
  return 0;
}

int dn_cache_key_still(const char *weights, const dn_cache_key *k) {
  struct stat st;
  return stat(weights, &st) == 0 && (uint64_t)st.st_size == k->wsize && ns(st.st_mtim) == k->wmtime &&
         ns(st.st_ctim) == k->wctime;
}

static void file_name(char *out, size_t n, const char *dir, const dn_cache_key *k) {
  snprintf(out, n, "%s/%016llx%016llx.dnw", dir, k->slot[0], k->slot[1]);
}

/* ---- what a layer holds ---- */

static int cached_type(const layer *l) {
  return l->type == CONVOLUTIONAL || l->type == DECONVOLUTIONAL || l->type == CONNECTED || l->type == BATCHNORM;
}

static float **field_ptr(layer *l, int f) {
  switch (f) {
    case F_WEIGHTS: return &l->weights;
    case F_BIASES: return &l->biases;
    case F_SCALES: return &l->scales;
    case F_MEAN: return &l->rolling_mean;
    case F_VARIANCE: return &l->rolling_variance;
    default: return NULL;
  }
}

/* The length of a field as Darknet's constructors allocate it. */
static size_t field_floats(const layer *l, int f) {
  if (l->type == BATCHNORM) return f == F_WEIGHTS ? 0 : (size_t)l->c;
  if (l->type == CONNECTED) return f == F_WEIGHTS ? (size_t)l->outputs * l->inputs : (size_t)l->outputs;
  return f == F_WEIGHTS ? (size_t)l->nweights : (size_t)l->n; /* (de)convolutional */
}

/* The length of a fast-table slot for a layer with this forward function. */
static size_t fast_floats(const layer *l, int forward) {
  if (FORWARDS[forward].fn == dn_fast_conv_winograd) return (size_t)16 * l->n * l->c;
  if (FORWARDS[forward].fn == dn_fast_conv_wino43) return dn_wino43_packed_floats(l->n, l->c);
  if (FORWARDS[forward].fn == dn_fast_conv_first) return dn_first_packed_floats(l->n, l->c);
  if (FORWARDS[forward].fn == dn_fast_conv_direct) return dn_direct_packed_floats(l->n, l->c * l->size * l->size);
  /* oneDNN's blocked layout, as this library and CPU choose it (the slot describes itself too) */
  if (FORWARDS[forward].fn == dn_fast_conv_dnnl) return dn_dnnl_slot_floats(l);
  return 0;
}

/* Whether a layer run by this forward function holds a fast-table slot. */
static int has_slot(int forward) {
  forward_fn fn = FORWARDS[forward].fn;
  return fn == dn_fast_conv_winograd || fn == dn_fast_conv_direct || fn == dn_fast_conv_dnnl || fn == dn_fast_conv_wino43 ||
         fn == dn_fast_conv_first;
}

/* Whether the cached slot `data` of `floats` floats fits layer l run by `forward`. oneDNN's slot is
 * checked against the layout it records (this binary, library and CPU wrote it: the key says so),
 * which is what its kernel reads and reorders from; asking oneDNN for the layout again would build
 * a primitive descriptor per layer, a third of a small network's load. */
static int slot_fits(const layer *l, int forward, const float *data, size_t floats) {
  if (FORWARDS[forward].fn == dn_fast_conv_dnnl) return dn_dnnl_slot_fits(l, data, floats);
  return has_slot(forward) && floats == fast_floats(l, forward);
}

/* Networks whose weights inference may write, or that hold weights elsewhere (recurrent layers'
 * sublayers), do not use a cache. */
static int cacheable(const network *net) {
  for (int i = 0; i < net->n; i++) {
    const layer *l = &net->layers[i];
    if (l->xnor || l->binary) return 0;
    if (!cached_type(l) && (l->nweights || l->weights)) return 0;
    if (l->input_layer || l->self_layer || l->output_layer || l->wz || l->uz) return 0;
  }
  return 1;
}

static size_t align_up(size_t n) { return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1); }

/* ---- writing ---- */

static int write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w; n -= (size_t)w;
  }
  return 0;
}

/* The file goes out in whole 2 MB pieces at 2 MB offsets: the page cache then holds it in 2 MB
 * folios that a mapping takes with one entry each (map_aligned); arrays written one by one at
 * 64-byte offsets left a third of yolov3-tiny's file in 4 KB pages. */
#define STAGE ((size_t)2 << 20)
typedef struct {
  int fd;
  char *buf;
  size_t used;
} staged;
static int stage(staged *st, const void *data, size_t n) {
  const char *p = data;
  while (n > 0) {
    size_t take = STAGE - st->used < n ? STAGE - st->used : n;
    memcpy(st->buf + st->used, p, take);
    st->used += take; p += take; n -= take;
    if (st->used == STAGE) {
      if (write_all(st->fd, st->buf, STAGE) != 0) return -1;
      st->used = 0;
    }
  }
  return 0;
}

static const float *record_source(struct dn_network *h, int i, int f) {
  layer *l = &h->net->layers[i];
  if (f == F_FAST) return h->fast ? dn_fast_table_get(h->fast, i) : NULL;
  return *field_ptr(l, f);
}

int dn_cache_write(struct dn_network *h, const char *dir, const dn_cache_key *k, void *const *orig_forward, char *why,
                   size_t whylen) {
  network *net = h->net;
  if (!cacheable(net)) { say(why, whylen, "the network has layers a cache does not hold"); return -1; }
  int n = net->n;
  layer_state *states = calloc((size_t)n, sizeof *states);
  record *recs = calloc((size_t)n * F_COUNT, sizeof *recs);
  if (!states || !recs) { free(states); free(recs); say(why, whylen, "out of memory"); return -1; }
  uint32_t nrec = 0;
  for (int i = 0; i < n; i++) {
    layer *l = &net->layers[i];
    int fw = -1;
    if ((void *)l->forward == orig_forward[i]) fw = 0;
    for (int j = 1; j < NFORWARDS && fw < 0; j++)
      if (l->forward == FORWARDS[j].fn && l->type == FORWARDS[j].type) fw = j;
    if (fw < 0) {
      free(states); free(recs);
      say(why, whylen, "layer %d runs a kernel the cache does not know (ops/weights_cache.c FORWARDS)", i);
      return -1;
    }
    int has_fast = h->fast && dn_fast_table_has(h->fast, i);
    if (has_fast != (fast_floats(l, fw) > 0)) {
      free(states); free(recs);
      say(why, whylen, "layer %d: transformed weights the cache does not know", i);
      return -1;
    }
    /* weights freed: a layer that holds weights by type but no longer has them (Winograd's) */
    states[i] = (layer_state){(int32_t)l->type, fw, l->batch_normalize,
                              cached_type(l) && field_floats(l, F_WEIGHTS) > 0 && !l->weights};
    if (!cached_type(l)) continue;
    for (int f = 0; f < F_COUNT; f++) {
      const float *src = record_source(h, i, f);
      if (!src) continue;
      size_t floats = f == F_FAST ? fast_floats(l, fw) : field_floats(l, f);
      recs[nrec++] = (record){i, f, floats, 0, 0};
    }
  }
  size_t tables = sizeof(file_header) + (size_t)n * sizeof(layer_state) + (size_t)nrec * sizeof(record);
  size_t at = align_up(tables);
  for (uint32_t r = 0; r < nrec; r++) {
    recs[r].offset = at;
    const float *src = record_source(h, recs[r].layer, recs[r].field);
    size_t nb = blocks_of(recs[r].floats);
    uint64_t *hashes = malloc((nb ? nb : 1) * sizeof *hashes);
    if (!hashes) { free(states); free(recs); say(why, whylen, "out of memory"); return -1; }
    /* block_hash reads base + offset: src stands at offset from (src - offset) */
    for (size_t j = 0; j < nb; j++) hashes[j] = block_hash((const char *)src - recs[r].offset, recs[r].offset, recs[r].floats, j);
    recs[r].checksum = combine_blocks(hashes, nb, recs[r].offset);
    free(hashes);
    at = align_up(at + recs[r].floats * sizeof(float));
  }
  file_header hd;
  memset(&hd, 0, sizeof hd);
  memcpy(hd.magic, MAGIC, 8);
  hd.format = FORMAT;
  hd.header_bytes = (uint32_t)tables;
  hd.key[0] = k->key[0]; hd.key[1] = k->key[1];
  hd.file_bytes = at;
  hd.nlayers = (uint32_t)n; hd.nrecords = nrec;
  hd.seen = net->seen ? (uint64_t)*net->seen : 0;
  char *head = calloc(1, align_up(tables));
  if (!head) { free(states); free(recs); say(why, whylen, "out of memory"); return -1; }
  memcpy(head + sizeof hd, states, (size_t)n * sizeof(layer_state));
  memcpy(head + sizeof hd + (size_t)n * sizeof(layer_state), recs, (size_t)nrec * sizeof(record));
  memcpy(head, &hd, sizeof hd);
  hd.checksum = hash_bytes(head, tables, FORMAT);
  memcpy(head, &hd, sizeof hd);

  char final[4096], tmp[4200];
  file_name(final, sizeof final, dir, k);
  snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", final);
  int fd = mkostemp(tmp, O_CLOEXEC);
  int rc = -1;
  if (fd < 0) {
    say(why, whylen, "cannot create a file in the cache directory %s: %s", dir, strerror(errno));
  } else {
    staged st = {fd, malloc(STAGE), 0};
    rc = st.buf ? stage(&st, head, align_up(tables)) : -1;
    static const char zeros[ALIGN];
    size_t pos = align_up(tables);
    for (uint32_t r = 0; r < nrec && rc == 0; r++) {
      const float *src = record_source(h, recs[r].layer, recs[r].field);
      size_t bytes = recs[r].floats * sizeof(float);
      rc = stage(&st, src, bytes);
      pos += bytes;
      if (rc == 0 && align_up(pos) > pos) rc = stage(&st, zeros, align_up(pos) - pos);
      pos = align_up(pos);
    }
    if (rc == 0 && st.used) rc = write_all(fd, st.buf, st.used);
    free(st.buf);
    /* read-only for everyone: nobody truncates a mapped file without a deliberate chmod */
    if (rc == 0) rc = fchmod(fd, 0444);
    if (rc != 0) say(why, whylen, "cannot write the cache file %s: %s", tmp, strerror(errno));
    close(fd);
    if (rc == 0 && rename(tmp, final) != 0) {
      say(why, whylen, "cannot rename the cache file into place: %s", strerror(errno));
      rc = -1;
    }
    if (rc != 0) unlink(tmp);
  }
  free(head); free(states); free(recs);
  return rc;
}

/* ---- reading ---- */

/* The file mapped at a 2 MB boundary: the page cache holds it in large folios (dn_cache_write
 * writes 2 MB pieces; MADV_HUGEPAGE asks for them when it is read back from disk), which the
 * kernel then maps with one PMD entry per 2 MB instead of 512 PTEs. On a virtual machine each
 * entry costs a first touch dearly, and every 4 KB page the checksums cross is a TLB miss that
 * stalls them (yolov3: 248 MB mapped, ~60k faults otherwise). Populated at once, since the
 * checksums read every byte next anyway. */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14; older kernels refuse it and the checksums fault the pages in */
#endif
static char *map_aligned(int fd, size_t len) {
  const size_t H = (size_t)2 << 20;
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t span = (len + page - 1) / page * page;
  char *r = mmap(NULL, span + H, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r == MAP_FAILED) return mmap(NULL, len, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
  char *a = (char *)(((uintptr_t)r + H - 1) & ~(uintptr_t)(H - 1));
  /* the file replaces the reservation at `a`; what lies around it goes back */
  char *b = mmap(a, len, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
  if (b == MAP_FAILED) { munmap(r, span + H); return MAP_FAILED; }
  if (a > r) munmap(r, (size_t)(a - r));
  if (r + span + H > a + span) munmap(a + span, (size_t)(r + span + H - (a + span)));
  madvise(b, len, MADV_HUGEPAGE);
  madvise(b, len, MADV_POPULATE_READ);
  return b;
}

/* Every array's checksum, its blocks read by all the cores when there are enough of them: a
 * team's start in a fresh process (and a core busy with V8's own start-up) cost yolov3-tiny's
 * 35 MB more than one core hashing them. */
#define PARALLEL_BLOCKS 128
static int checksums_match(const char *base, const record *recs, uint32_t n) {
  size_t total = 0;
  for (uint32_t r = 0; r < n; r++) total += blocks_of(recs[r].floats);
  uint64_t *hashes = malloc((total ? total : 1) * sizeof *hashes);
  uint32_t *owner = malloc((total ? total : 1) * sizeof *owner);
  size_t *first = malloc(((size_t)n + 1) * sizeof *first);
  int ok = hashes && owner && first;
  if (ok) {
    size_t at = 0;
    for (uint32_t r = 0; r < n; r++) {
      first[r] = at;
      for (size_t j = 0, nb = blocks_of(recs[r].floats); j < nb; j++) owner[at++] = r;
    }
    first[n] = at;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 4) if (total >= PARALLEL_BLOCKS)
#endif
    for (int64_t b = 0; b < (int64_t)total; b++) {
      const record *x = &recs[owner[b]];
      hashes[b] = block_hash(base, x->offset, x->floats, (size_t)b - first[owner[b]]);
    }
    for (uint32_t r = 0; r < n && ok; r++)
      ok = combine_blocks(hashes + first[r], first[r + 1] - first[r], recs[r].offset) == recs[r].checksum;
  }
  free(hashes); free(owner); free(first);
  return ok;
}

/* The file's contents, checked (magic, key, size, header checksum, every array's checksum). */
static struct dn_wmap *open_verified(const char *path, const dn_cache_key *k, char *why, size_t whylen) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { say(why, whylen, errno == ENOENT ? "no cache file yet" : "cannot open the cache file: %s", strerror(errno)); return NULL; }
  struct stat st;
  file_header hd;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size < sizeof hd ||
      read_all(fd, &hd, sizeof hd, 0) != 0) {
    close(fd);
    say(why, whylen, "the cache file is truncated");
    return NULL;
  }
  if (memcmp(hd.magic, MAGIC, 8) != 0 || hd.format != FORMAT) { close(fd); say(why, whylen, "not a cache file of this format"); return NULL; }
  if (hd.key[0] != k->key[0] || hd.key[1] != k->key[1]) { close(fd); say(why, whylen, "the cache file is stale (the weights, cfg or binary changed)"); return NULL; }
  if (hd.file_bytes != (uint64_t)st.st_size || hd.header_bytes > hd.file_bytes || hd.header_bytes < sizeof hd) {
    close(fd);
    say(why, whylen, "the cache file is truncated or damaged");
    return NULL;
  }
  size_t len = (size_t)st.st_size;
  /* ours alone (see the top of this file): mapped and shared; anything else: a private copy */
  int mapped = st.st_uid == geteuid() && (st.st_mode & 0222) == 0;
  char *base;
  if (mapped) {
    base = map_aligned(fd, len);
    if (base == MAP_FAILED) { close(fd); say(why, whylen, "cannot map the cache file: %s", strerror(errno)); return NULL; }
  } else {
    /* aligned as a mapping's arrays are (ALIGN): oneDNN's slots place their weights relative to it */
    void *p = NULL;
    base = posix_memalign(&p, ALIGN, len ? len : 1) == 0 ? p : NULL;
    if (!base || read_all(fd, base, len, 0) != 0) { free(base); close(fd); say(why, whylen, "cannot read the cache file"); return NULL; }
  }
  close(fd);
  int ok = 1;
  size_t tables = sizeof hd + (size_t)hd.nlayers * sizeof(layer_state) + (size_t)hd.nrecords * sizeof(record);
  if (hd.nlayers > (1u << 20) || hd.nrecords > (1u << 24) || tables != hd.header_bytes) ok = 0;
  if (ok) {
    file_header z;
    memcpy(&z, base, sizeof z);
    z.checksum = 0;
    /* the checksum of the header with its checksum field zeroed, then the tables */
    char *copy = malloc(tables);
    if (!copy) ok = 0;
    else {
      memcpy(copy, base, tables);
      memcpy(copy, &z, sizeof z);
      ok = hash_bytes(copy, tables, FORMAT) == hd.checksum;
      free(copy);
    }
  }
  const record *recs = (const record *)(base + sizeof hd + (size_t)hd.nlayers * sizeof(layer_state));
  for (uint32_t r = 0; ok && r < hd.nrecords; r++) {
    const record *x = &recs[r];
    if (x->offset % ALIGN || x->offset < tables || x->floats > len / sizeof(float) ||
        x->offset > len - x->floats * sizeof(float))
      ok = 0;
  }
  if (ok) ok = checksums_match(base, recs, hd.nrecords);
  if (!ok) {
    if (mapped) munmap(base, len); else free(base);
    say(why, whylen, "the cache file is damaged (checksum)");
    return NULL;
  }
  struct dn_wmap *m = calloc(1, sizeof *m);
  if (!m) { if (mapped) munmap(base, len); else free(base); say(why, whylen, "out of memory"); return NULL; }
  m->key[0] = k->key[0]; m->key[1] = k->key[1];
  m->base = base; m->len = len; m->mapped = mapped;
  m->dev = (uint64_t)st.st_dev; m->ino = (uint64_t)st.st_ino;
  return m;
}

static void unmap(struct dn_wmap *m) {
  if (m->mapped) munmap(m->base, m->len); else free(m->base);
  free(m);
}

static void release_map(struct dn_wmap *m) {
  pthread_mutex_lock(&maps_lock);
  int last = --m->refs == 0;
  if (last)
    for (struct dn_wmap **p = &maps; *p; p = &(*p)->next)
      if (*p == m) { *p = m->next; break; }
  pthread_mutex_unlock(&maps_lock);
  if (last) unmap(m);
}

static int same_file(const struct dn_wmap *m, const dn_cache_key *k, const struct stat *st) {
  return m->key[0] == k->key[0] && m->key[1] == k->key[1] && m->dev == (uint64_t)st->st_dev && m->ino == (uint64_t)st->st_ino;
}

/* The process's mapping of the file now at the slot's name, or a new one from it. A mapping
 * of a file deleted or replaced since stays with the networks using it but is not handed out:
 * the load rebuilds or maps the new file, which other processes then share too. */
static struct dn_wmap *acquire_map(const char *dir, const dn_cache_key *k, char *why, size_t whylen) {
  /* one opener at a time: copies loading at once (a DetectorPool) wait and share the first one's
   * mapping instead of each mapping the file (two mappings count twice in the process's RSS) */
  static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&open_lock);
  char path[4096];
  file_name(path, sizeof path, dir, k);
  struct stat st;
  struct dn_wmap *found = NULL;
  if (stat(path, &st) == 0) {
    pthread_mutex_lock(&maps_lock);
    for (struct dn_wmap *m = maps; m && !found; m = m->next)
      if (same_file(m, k, &st)) { m->refs++; found = m; }
    pthread_mutex_unlock(&maps_lock);
  }
  if (!found && (found = open_verified(path, k, why, whylen)) != NULL) {
    found->refs = 1;
    pthread_mutex_lock(&maps_lock);
    found->next = maps;
    maps = found;
    pthread_mutex_unlock(&maps_lock);
  }
  pthread_mutex_unlock(&open_lock);
  return found;
}

/* Whether the file's tables describe this parsed network exactly. */
static int fits(const network *net, const struct dn_wmap *m, int fast) {
  const file_header *hd = (const file_header *)m->base;
  if ((int)hd->nlayers != net->n) return 0;
  const layer_state *states = (const layer_state *)(m->base + sizeof *hd);
  const record *recs = (const record *)(states + hd->nlayers);
  /* which fields each layer must get: every array it holds (the weights unless freed), its fast slot */
  unsigned char *seen = calloc((size_t)net->n, F_COUNT);
  if (!seen) return 0;
  int ok = 1;
  for (int i = 0; i < net->n && ok; i++) {
    const layer *l = &net->layers[i];
    const layer_state *s = &states[i];
    if (s->type != (int32_t)l->type || s->forward < 0 || s->forward >= NFORWARDS) { ok = 0; break; }
    if (s->forward > 0 && (!fast || FORWARDS[s->forward].type != l->type)) ok = 0;
    /* folding only ever clears batch_normalize */
    if (s->batch_normalize != l->batch_normalize && !(s->batch_normalize == 0 && l->type == CONVOLUTIONAL && fast)) ok = 0;
    if (s->weights_freed && (!cached_type(l) || !has_slot(s->forward))) ok = 0;
  }
  for (uint32_t r = 0; r < hd->nrecords && ok; r++) {
    const record *x = &recs[r];
    if (x->layer < 0 || x->layer >= net->n || x->field < 0 || x->field >= F_COUNT) { ok = 0; break; }
    const layer *l = &net->layers[x->layer];
    const layer_state *s = &states[x->layer];
    if (!cached_type(l) || seen[(size_t)x->layer * F_COUNT + x->field]++) { ok = 0; break; }
    if (x->field == F_FAST) ok = slot_fits(l, s->forward, (const float *)(m->base + x->offset), x->floats);
    else ok = *field_ptr((layer *)l, x->field) != NULL && x->floats == field_floats(l, x->field) &&
              !(x->field == F_WEIGHTS && s->weights_freed);
  }
  for (int i = 0; i < net->n && ok; i++) {
    const layer *l = &net->layers[i];
    if (!cached_type(l)) continue;
    for (int f = 0; f < F_COUNT && ok; f++) {
      int need = f == F_FAST ? has_slot(states[i].forward)
                             : *field_ptr((layer *)l, f) != NULL && !(f == F_WEIGHTS && states[i].weights_freed);
      if (need != seen[(size_t)i * F_COUNT + f]) ok = 0;
    }
  }
  free(seen);
  return ok;
}

static int in_map(const struct dn_wmap *m, const void *p) {
  return m && (const char *)p >= m->base && (const char *)p < m->base + m->len;
}

int dn_cache_attach(struct dn_network *h, const char *dir, const dn_cache_key *k, int fast, char *why, size_t whylen) {
  network *net = h->net;
  if (!cacheable(net)) { say(why, whylen, "the network has layers a cache does not hold"); return -1; }
  struct dn_wmap *m = acquire_map(dir, k, why, whylen);
  if (!m) return -1;
  if (!fits(net, m, fast)) {
    release_map(m);
    say(why, whylen, "the cache file does not fit the network");
    return -1;
  }
  const file_header *hd = (const file_header *)m->base;
  const layer_state *states = (const layer_state *)(m->base + sizeof *hd);
  const record *recs = (const record *)(states + hd->nlayers);
  /* nothing can fail from here on */
  if (fast && !h->fast) h->fast = dn_fast_table_new(net->n);
  for (int i = 0; i < net->n; i++) {
    layer *l = &net->layers[i];
    const layer_state *s = &states[i];
    if (s->forward > 0) l->forward = FORWARDS[s->forward].fn;
    l->batch_normalize = s->batch_normalize;
    if (s->weights_freed && !in_map(m, l->weights)) { dn_free(l->weights); l->weights = NULL; }
  }
  for (uint32_t r = 0; r < hd->nrecords; r++) {
    const record *x = &recs[r];
    layer *l = &net->layers[x->layer];
    const float *src = (const float *)(m->base + x->offset);
    if (x->field == F_FAST) {
      int had = dn_fast_table_has(h->fast, x->layer);
      dn_fast_table_borrow(h->fast, x->layer, src);
      if (!had) dn_fast_table_add_floats(h->fast, x->floats);
    } else {
      float **p = field_ptr(l, x->field);
      if (!in_map(h->wcache, *p)) dn_free(*p);
      *p = (float *)src; /* read-only: inference never writes a layer's weights */
    }
  }
  if (net->seen) *net->seen = (size_t)hd->seen;
  if (h->wcache) release_map(h->wcache);
  h->wcache = m;
  return m->mapped ? DN_CACHE_HIT : DN_CACHE_COPIED;
}

void dn_cache_detach(struct dn_network *h) {
  struct dn_wmap *m = h->wcache;
  if (!m) return;
  if (h->net)
    for (int i = 0; i < h->net->n; i++) {
      layer *l = &h->net->layers[i];
      for (int f = 0; f < F_FAST; f++) {
        float **p = field_ptr(l, f);
        if (in_map(m, *p)) *p = NULL;
      }
    }
  /* the fast table's borrowed slots are not freed by dn_fast_table_free */
  h->wcache = NULL;
  release_map(m);
}

size_t dn_cache_mapped_bytes(const struct dn_network *h) {
  return h->wcache && h->wcache->mapped ? h->wcache->len : 0;
}
