/* Convolutions by oneDNN (Debian's libdnnl.so.2), for fast numerics.
 *
 * Why: its direct JIT kernels (brgconv) pick the CPU's best ISA at run time (AVX-512, AVX2,
 * SSE4.1) whatever OPENBLAS_CORETYPE says, and run yolov3's convolutions at ~350 GFLOP/s on two
 * Zen 5 cores where im2col + a Haswell-kernel sgemm reaches ~200 (README "Speed (CPU)").
 *
 * Why the results do not depend on the thread count: oneDNN's direct forward convolutions split
 * the work over images, output-channel blocks and output rows, never over the sum over input
 * channels and taps, so each output is one thread's sum in one order whatever the team size
 * (checked on every yolov3 layer shape, 1–4 threads, byte for byte; test/native/dnnl.test.ts).
 * A primitive is built for a team size (oneDNN reads omp_get_max_threads()), so plans are cached
 * per team size, each with oneDNN's own first choice; the weights' blocked layout is fixed at
 * load and reordered per call for a team size that prefers another (a reorder moves bytes, it
 * adds nothing). Not Winograd: oneDNN 2.6's Winograd weights layout changes with the team size
 * and cannot be reordered from, and forcing the load-time one on another team size picks its
 * reference kernel (which crashed on it).
 *
 * Why dlopen: libdnnl.so.2 is 40 MB that not every machine has; a hard dependency would make the
 * addon fail to load there. Absent (or DARKNET_NODE_DNNL_LIB naming a file that cannot be
 * loaded), fast numerics keep their own kernels (fast.c) and capabilities().dnnl is null.
 *
 * Layout: brgconv wants NHWC (or channel-blocked nChw16c) tensors; Darknet's buffers are NCHW.
 * Outputs whose every reader takes NHWC (oneDNN convolutions, fast shortcuts and maxpools) stay
 * NHWC in the layer's own buffer (layout.c decides which); elsewhere the input is reordered by oneDNN into scratch
 * memory, and the output comes back through one pass of ours that transposes it into the
 * layer's output. The bias is oneDNN's; leaky ReLU is oneDNN's too, applied by the kernel (see
 * LEAKY_ALPHA), and the other activations are Darknet's expressions. */
#include "dnnl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "guard/guard.h"
#include "layout.h"
#include "scratch.h"

#if DN_DNNL
#include <dnnl.h>

/* Darknet's, declared only in its src/ headers. */
void activate_array(float *x, const int n, const ACTIVATION a);

static struct {
  dnnl_status_t (*engine_create)(dnnl_engine_t *, dnnl_engine_kind_t, size_t);
  dnnl_status_t (*stream_create)(dnnl_stream_t *, dnnl_engine_t, unsigned);
  dnnl_status_t (*stream_destroy)(dnnl_stream_t);
  dnnl_status_t (*md_init_by_tag)(dnnl_memory_desc_t *, int, const dnnl_dims_t, dnnl_data_type_t, dnnl_format_tag_t);
  int (*md_equal)(const dnnl_memory_desc_t *, const dnnl_memory_desc_t *);
  size_t (*md_size)(const dnnl_memory_desc_t *);
  dnnl_status_t (*conv_desc_init)(dnnl_convolution_desc_t *, dnnl_prop_kind_t, dnnl_alg_kind_t, const dnnl_memory_desc_t *,
                                  const dnnl_memory_desc_t *, const dnnl_memory_desc_t *, const dnnl_memory_desc_t *,
                                  const dnnl_dims_t, const dnnl_dims_t, const dnnl_dims_t);
  dnnl_status_t (*pd_create)(dnnl_primitive_desc_t *, const_dnnl_op_desc_t, const_dnnl_primitive_attr_t, dnnl_engine_t,
                             const_dnnl_primitive_desc_t);
  dnnl_status_t (*reorder_pd_create)(dnnl_primitive_desc_t *, const dnnl_memory_desc_t *, dnnl_engine_t,
                                     const dnnl_memory_desc_t *, dnnl_engine_t, const_dnnl_primitive_attr_t);
  const dnnl_memory_desc_t *(*pd_query_md)(const_dnnl_primitive_desc_t, dnnl_query_t, int);
  dnnl_status_t (*pd_query)(const_dnnl_primitive_desc_t, dnnl_query_t, int, void *);
  dnnl_status_t (*pd_destroy)(dnnl_primitive_desc_t);
  dnnl_status_t (*prim_create)(dnnl_primitive_t *, const_dnnl_primitive_desc_t);
  dnnl_status_t (*prim_destroy)(dnnl_primitive_t);
  dnnl_status_t (*prim_execute)(const_dnnl_primitive_t, dnnl_stream_t, int, const dnnl_exec_arg_t *);
  dnnl_status_t (*mem_create)(dnnl_memory_t *, const dnnl_memory_desc_t *, dnnl_engine_t, void *);
  dnnl_status_t (*mem_destroy)(dnnl_memory_t);
  dnnl_status_t (*attr_create)(dnnl_primitive_attr_t *);
  dnnl_status_t (*attr_scratchpad)(dnnl_primitive_attr_t, dnnl_scratchpad_mode_t);
  dnnl_status_t (*attr_set_post_ops)(dnnl_primitive_attr_t, const_dnnl_post_ops_t);
  dnnl_status_t (*post_ops_create)(dnnl_post_ops_t *);
  dnnl_status_t (*post_ops_destroy)(dnnl_post_ops_t);
  dnnl_status_t (*post_ops_append_eltwise)(dnnl_post_ops_t, float, dnnl_alg_kind_t, float, float);
  const dnnl_version_t *(*version)(void);
  dnnl_cpu_isa_t (*effective_isa)(void);
  dnnl_engine_t engine;
  /* every primitive takes its scratch memory from the caller (thread_scratch): the library's own
   * is shared between primitives, and networks run passes on several threads at once */
  dnnl_primitive_attr_t attr;
  /* attr, and leaky ReLU applied by the convolution kernel to its outputs (see LEAKY_ALPHA) */
  dnnl_primitive_attr_t leaky_attr;
  int ok;
  char name[96];
} lib;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static const char *isa_name(dnnl_cpu_isa_t isa) {
  switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    default: return "baseline";
  }
}

/* Darknet's leaky is (x>0) ? x : .1*x, the product in double; oneDNN's eltwise_relu post-op computes
 * x > 0 ? x : alpha*x in float. The two differ by one unit in the last place on ~20 % of negative
 * outputs (0.1f is not 0.1): no float alpha reproduces the double product, and no post-op chain
 * can divide the negative branch alone. Fast numerics take that ulp (their sums move outputs by
 * ~3e-5 already; the same bytes for every thread count still hold, the post-op is elementwise)
 * for a pass over every output that the kernel no longer writes and reads back. */
#define LEAKY_ALPHA 0.1f

static int make_leaky_attr(dnnl_primitive_attr_t *attr) {
  dnnl_post_ops_t ops = NULL;
  int ok = lib.attr_create(attr) == dnnl_success && lib.attr_scratchpad(*attr, dnnl_scratchpad_mode_user) == dnnl_success &&
           lib.post_ops_create(&ops) == dnnl_success &&
           lib.post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_relu, LEAKY_ALPHA, 0.0f) == dnnl_success &&
           lib.attr_set_post_ops(*attr, ops) == dnnl_success;
  if (ops) lib.post_ops_destroy(ops);
  return ok ? 0 : -1;
}

static void load(void) {
  const char *file = getenv("DARKNET_NODE_DNNL_LIB");
  void *h = dlopen(file && *file ? file : "libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
  if (!h) return;
#define SYM(field, name) (*(void **)&lib.field = dlsym(h, name))
  int all = SYM(engine_create, "dnnl_engine_create") && SYM(stream_create, "dnnl_stream_create") &&
            SYM(stream_destroy, "dnnl_stream_destroy") && SYM(md_init_by_tag, "dnnl_memory_desc_init_by_tag") &&
            SYM(md_equal, "dnnl_memory_desc_equal") && SYM(md_size, "dnnl_memory_desc_get_size") &&
            SYM(conv_desc_init, "dnnl_convolution_forward_desc_init") && SYM(pd_create, "dnnl_primitive_desc_create") &&
            SYM(reorder_pd_create, "dnnl_reorder_primitive_desc_create") &&
            SYM(pd_query_md, "dnnl_primitive_desc_query_md") && SYM(pd_query, "dnnl_primitive_desc_query") &&
            SYM(pd_destroy, "dnnl_primitive_desc_destroy") && SYM(prim_create, "dnnl_primitive_create") && SYM(prim_destroy, "dnnl_primitive_destroy") &&
            SYM(prim_execute, "dnnl_primitive_execute") && SYM(mem_create, "dnnl_memory_create") &&
            SYM(mem_destroy, "dnnl_memory_destroy") && SYM(version, "dnnl_version") &&
            SYM(attr_create, "dnnl_primitive_attr_create") && SYM(attr_scratchpad, "dnnl_primitive_attr_set_scratchpad_mode") &&
            SYM(effective_isa, "dnnl_get_effective_cpu_isa") && SYM(attr_set_post_ops, "dnnl_primitive_attr_set_post_ops") &&
            SYM(post_ops_create, "dnnl_post_ops_create") && SYM(post_ops_destroy, "dnnl_post_ops_destroy") &&
            SYM(post_ops_append_eltwise, "dnnl_post_ops_append_eltwise");
#undef SYM
  /* 2.6 and later 2.x: the versions whose kernels were checked to sum in one order whatever the
   * team size (older ones pick other implementations, e.g. Debian 11's 2.0), on x86-64 (where it
   * was checked); the C API of 2.x (op descriptors) is what this file is written against */
  const dnnl_version_t *ver = all ? lib.version() : NULL;
  int checked = ver && ver->major == 2 && ver->minor >= 6;
#if !defined(__x86_64__)
  checked = 0;
#endif
  if (!checked || lib.engine_create(&lib.engine, dnnl_cpu, 0) != dnnl_success ||
      lib.attr_create(&lib.attr) != dnnl_success || lib.attr_scratchpad(lib.attr, dnnl_scratchpad_mode_user) != dnnl_success ||
      make_leaky_attr(&lib.leaky_attr) != 0)
    return;
  const dnnl_version_t *v = lib.version();
  snprintf(lib.name, sizeof lib.name, "oneDNN %d.%d.%d (%s)", v->major, v->minor, v->patch, isa_name(lib.effective_isa()));
  lib.ok = 1; /* the handle and the engine stay for the life of the process */
}

int dn_dnnl_available(void) {
  pthread_once(&once, load);
  return lib.ok;
}

const char *dn_dnnl_version(void) { return dn_dnnl_available() ? lib.name : NULL; }

/* What a primitive is built for. */
typedef struct {
  int batch, c, h, w, n, size, stride, pad, out_h, out_w, threads;
  int src_nhwc, dst_nhwc; /* the input / output is NHWC in Darknet's buffer (layout.c) */
  int leaky;              /* the kernel applies leaky ReLU (lib.leaky_attr) */
  dnnl_memory_desc_t weights; /* the layout fixed at load */
} plan_key;

typedef struct plan {
  plan_key key;
  dnnl_primitive_t conv, src_reorder; /* src_reorder NULL: oneDNN reads Darknet's NCHW input as is */
  /* NULL when this team size's primitive reads the load-time layout; else the load-time weights
   * are reordered into the layout it chose, each call (brgconv's choice can depend on the team
   * size; a primitive forced onto another layout may be a different implementation, with other sums) */
  dnnl_primitive_t weights_reorder;
  dnnl_memory_desc_t src_md, dst_md, weights_md;
  size_t src_bytes, dst_bytes, weights_bytes, scratchpad_bytes; /* the largest of the three primitives' */
  /* the output's layout: channel c of image b, position i at b·blocks·block·spatial +
   * (c / block)·block·spatial + i·block + c % block (nChw16c: block 16, NHWC: block = channels);
   * 0: plain NCHW, written straight into the layer's output */
  int dst_block;
  struct plan *next;
} plan;

static pthread_mutex_t plans_lock = PTHREAD_MUTEX_INITIALIZER;
static plan *plans; /* one per layer shape × team size × batch: never freed, like oneDNN's own primitive cache */

static int team_size(void) {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

static void key_of(const layer *l, int batch, int src_nhwc, int dst_nhwc, int leaky, plan_key *k) {
  memset(k, 0, sizeof *k);
  k->batch = batch;
  k->c = l->c, k->h = l->h, k->w = l->w, k->n = l->n, k->size = l->size, k->stride = l->stride, k->pad = l->pad;
  k->out_h = l->out_h, k->out_w = l->out_w;
  k->threads = team_size();
  k->src_nhwc = src_nhwc, k->dst_nhwc = dst_nhwc;
  k->leaky = leaky;
}

static int conv_desc(const plan_key *k, const dnnl_memory_desc_t *weights, dnnl_convolution_desc_t *cd) {
  dnnl_dims_t sd = {k->batch, k->c, k->h, k->w}, wd = {k->n, k->c, k->size, k->size}, bd = {k->n},
              dd = {k->batch, k->n, k->out_h, k->out_w}, st = {k->stride, k->stride}, pl = {k->pad, k->pad};
  /* Darknet's output size truncates: the right/bottom padding is what its formula implies */
  dnnl_dims_t pr = {(k->out_h - 1) * k->stride + k->size - k->h - k->pad, (k->out_w - 1) * k->stride + k->size - k->w - k->pad};
  dnnl_memory_desc_t smd, wmd, bmd, dmd;
  if (lib.md_init_by_tag(&smd, 4, sd, dnnl_f32, k->src_nhwc ? dnnl_nhwc : dnnl_format_tag_any) != dnnl_success ||
      lib.md_init_by_tag(&bmd, 1, bd, dnnl_f32, dnnl_x) != dnnl_success ||
      lib.md_init_by_tag(&dmd, 4, dd, dnnl_f32, k->dst_nhwc ? dnnl_nhwc : dnnl_format_tag_any) != dnnl_success)
    return -1;
  if (weights) wmd = *weights;
  else if (lib.md_init_by_tag(&wmd, 4, wd, dnnl_f32, dnnl_format_tag_any) != dnnl_success) return -1;
  return lib.conv_desc_init(cd, dnnl_forward_inference, dnnl_convolution_direct, &smd, &wmd, &bmd, &dmd, st, pl, pr) ==
                 dnnl_success
             ? 0
             : -1;
}

/* The primitive descriptor for k, oneDNN's first choice; weights NULL: in the layout it prefers. */
static dnnl_primitive_desc_t make_pd(const plan_key *k, const dnnl_memory_desc_t *weights) {
  dnnl_convolution_desc_t cd;
  dnnl_primitive_desc_t pd = NULL;
  if (conv_desc(k, weights, &cd) == 0 && lib.pd_create(&pd, &cd, k->leaky ? lib.leaky_attr : lib.attr, lib.engine, NULL) == dnnl_success)
    return pd;
  return NULL;
}

static int is_tag(const dnnl_memory_desc_t *md, int ndims, const dnnl_dim_t *dims, dnnl_format_tag_t tag) {
  dnnl_memory_desc_t t;
  return lib.md_init_by_tag(&t, ndims, dims, dnnl_f32, tag) == dnnl_success && lib.md_equal(md, &t);
}

static void destroy_plan(plan *p) {
  /* only for a plan that never made it into the cache */
  if (p->conv) lib.prim_destroy(p->conv);
  if (p->src_reorder) lib.prim_destroy(p->src_reorder);
  if (p->weights_reorder) lib.prim_destroy(p->weights_reorder);
  free(p);
}

/* The primitive oneDNN prefers at this team size, and the reorder from the load-time weights
 * layout when it chose another (brgconv's blocking can depend on the team size: 1 of yolov3's 75
 * shapes at 3 threads here); the load-time layout imposed only where that reorder is impossible. */
static size_t scratchpad_of(const_dnnl_primitive_desc_t pd);

static dnnl_primitive_desc_t plan_pd(const plan_key *k, dnnl_primitive_t *weights_reorder, size_t *reorder_scratchpad) {
  *weights_reorder = NULL;
  *reorder_scratchpad = 0;
  dnnl_primitive_desc_t pd = make_pd(k, NULL);
  if (pd) {
    const dnnl_memory_desc_t *wmd = lib.pd_query_md(pd, dnnl_query_weights_md, 0);
    if (lib.md_equal(wmd, &k->weights)) return pd;
    dnnl_primitive_desc_t rpd = NULL;
    int ok = k->weights.format_kind == dnnl_blocked &&
             lib.reorder_pd_create(&rpd, &k->weights, lib.engine, wmd, lib.engine, lib.attr) == dnnl_success &&
             lib.prim_create(weights_reorder, rpd) == dnnl_success;
    if (rpd) *reorder_scratchpad = scratchpad_of(rpd);
    if (rpd) lib.pd_destroy(rpd);
    if (ok) return pd;
    lib.pd_destroy(pd);
  }
  return make_pd(k, &k->weights);
}

static size_t scratchpad_of(const_dnnl_primitive_desc_t pd) {
  const dnnl_memory_desc_t *md = lib.pd_query_md(pd, dnnl_query_scratchpad_md, 0);
  return md ? lib.md_size(md) : 0;
}

static void grow(size_t *to, size_t n) {
  if (n > *to) *to = n;
}

static plan *build_plan(const plan_key *k) {
  dnnl_primitive_t weights_reorder;
  size_t reorder_scratchpad;
  dnnl_primitive_desc_t pd = plan_pd(k, &weights_reorder, &reorder_scratchpad);
  if (!pd) return NULL;
  /* libc memory: the cache outlives the guarded call that built it */
  plan *p = calloc(1, sizeof *p);
  if (!p) {
    lib.pd_destroy(pd);
    if (weights_reorder) lib.prim_destroy(weights_reorder);
    return NULL;
  }
  p->key = *k;
  p->weights_reorder = weights_reorder;
  p->weights_md = *lib.pd_query_md(pd, dnnl_query_weights_md, 0);
  p->scratchpad_bytes = scratchpad_of(pd);
  grow(&p->scratchpad_bytes, reorder_scratchpad);
  if (weights_reorder) p->weights_bytes = lib.md_size(&p->weights_md);
  p->src_md = *lib.pd_query_md(pd, dnnl_query_src_md, 0);
  p->dst_md = *lib.pd_query_md(pd, dnnl_query_dst_md, 0);
  dnnl_dims_t sd = {k->batch, k->c, k->h, k->w}, dd = {k->batch, k->n, k->out_h, k->out_w};
  dnnl_memory_desc_t user_src;
  int ok = lib.prim_create(&p->conv, pd) == dnnl_success;
  lib.pd_destroy(pd);
  if (ok && !k->src_nhwc && !is_tag(&p->src_md, 4, sd, dnnl_nchw)) {
    dnnl_primitive_desc_t rpd = NULL;
    ok = lib.md_init_by_tag(&user_src, 4, sd, dnnl_f32, dnnl_nchw) == dnnl_success &&
         lib.reorder_pd_create(&rpd, &user_src, lib.engine, &p->src_md, lib.engine, lib.attr) == dnnl_success &&
         lib.prim_create(&p->src_reorder, rpd) == dnnl_success;
    if (rpd) grow(&p->scratchpad_bytes, scratchpad_of(rpd));
    if (rpd) lib.pd_destroy(rpd);
    p->src_bytes = lib.md_size(&p->src_md);
  }
  if (k->src_nhwc && !is_tag(&p->src_md, 4, sd, dnnl_nhwc)) ok = 0;
  if (k->dst_nhwc) p->dst_block = is_tag(&p->dst_md, 4, dd, dnnl_nhwc) ? 0 : (ok = 0);
  else if (is_tag(&p->dst_md, 4, dd, dnnl_nchw)) p->dst_block = 0;
  else if (is_tag(&p->dst_md, 4, dd, dnnl_nhwc)) p->dst_block = k->n;
  else if (is_tag(&p->dst_md, 4, dd, dnnl_nChw16c)) p->dst_block = 16;
  else if (is_tag(&p->dst_md, 4, dd, dnnl_nChw8c)) p->dst_block = 8;
  else ok = 0; /* a layout this file cannot un-block: the layer keeps fast.c's kernels */
  if (p->dst_block) p->dst_bytes = lib.md_size(&p->dst_md);
  if (!ok) {
    destroy_plan(p);
    return NULL;
  }
  return p;
}

/* The plan for layer l's shape at the calling thread's team size (built on first use). */
static plan *find_plan(const layer *l, int batch, int src_nhwc, int dst_nhwc, int leaky, const dnnl_memory_desc_t *weights) {
  plan_key k;
  key_of(l, batch, src_nhwc, dst_nhwc, leaky, &k);
  k.weights = *weights;
  pthread_mutex_lock(&plans_lock);
  plan *p = plans;
  for (; p; p = p->next) {
    plan_key *q = &p->key;
    if (q->batch == k.batch && q->c == k.c && q->h == k.h && q->w == k.w && q->n == k.n && q->size == k.size &&
        q->stride == k.stride && q->pad == k.pad && q->out_h == k.out_h && q->out_w == k.out_w && q->threads == k.threads &&
        q->src_nhwc == k.src_nhwc && q->dst_nhwc == k.dst_nhwc && q->leaky == k.leaky && lib.md_equal(&q->weights, &k.weights))
      break;
  }
  pthread_mutex_unlock(&plans_lock);
  if (p) return p;
  p = build_plan(&k);
  if (!p) return NULL;
  pthread_mutex_lock(&plans_lock);
  p->next = plans;
  plans = p;
  pthread_mutex_unlock(&plans_lock);
  return p;
}

/* Side table slot: the weights' memory descriptor, then the blocked weights 64-byte aligned. */
#define HEADER_BYTES ((sizeof(dnnl_memory_desc_t) + 63) / 64 * 64)

static float *slot_weights(const void *slot) {
  uintptr_t a = ((uintptr_t)slot + HEADER_BYTES + 63) & ~(uintptr_t)63;
  return (float *)a;
}

/* the blocked layout oneDNN wants l's weights in (this library, CPU and thread count); 0: none */
static int blocked_weights_md(const layer *l, dnnl_memory_desc_t *wmd) {
  if (!dn_dnnl_available() || l->groups != 1 || l->size < 1 || l->stride < 1) return 0;
  plan_key k;
  key_of(l, l->batch, 0, 0, 0, &k);
  dnnl_primitive_desc_t pd = make_pd(&k, NULL);
  if (!pd) return 0;
  *wmd = *lib.pd_query_md(pd, dnnl_query_weights_md, 0);
  lib.pd_destroy(pd);
  return 1;
}

static size_t slot_floats(const dnnl_memory_desc_t *wmd) {
  return (HEADER_BYTES + lib.md_size(wmd) + 64 + sizeof(float) - 1) / sizeof(float);
}

size_t dn_dnnl_slot_floats(const layer *l) {
  dnnl_memory_desc_t wmd;
  return blocked_weights_md(l, &wmd) ? slot_floats(&wmd) : 0;
}

/* Whether a recorded descriptor is a plain dense blocked layout of l's weights: every field oneDNN
 * would compute from is checked here first (a cache file is checksummed, not signed: a crafted
 * one must not reach oneDNN with, say, a zero block or strides that overlap), so its size is
 * exactly the blocks × the outer dimensions, all of it inside the slot. */
static int dense_blocked(const dnnl_memory_desc_t *md, const dnnl_dim_t want[4]) {
  if (md->ndims != 4 || md->data_type != dnnl_f32 || md->format_kind != dnnl_blocked || md->offset0 != 0 ||
      md->extra.flags != 0)
    return 0;
  const dnnl_blocking_desc_t *b = &md->format_desc.blocking;
  if (b->inner_nblks < 0 || b->inner_nblks > DNNL_MAX_NDIMS) return 0;
  dnnl_dim_t block[4] = {1, 1, 1, 1}, inner = 1;
  for (int i = 0; i < b->inner_nblks; i++) {
    if (b->inner_idxs[i] < 0 || b->inner_idxs[i] > 3 || b->inner_blks[i] < 1 || b->inner_blks[i] > 64) return 0;
    block[b->inner_idxs[i]] *= b->inner_blks[i];
    inner *= b->inner_blks[i];
  }
  dnnl_dim_t outer[4];
  for (int d = 0; d < 4; d++) {
    if (md->dims[d] != want[d] || want[d] < 1 || md->padded_offsets[d] != 0 || block[d] > 4096) return 0;
    if (md->padded_dims[d] != (want[d] + block[d] - 1) / block[d] * block[d]) return 0;
    outer[d] = md->padded_dims[d] / block[d];
  }
  /* dense: ordered by stride, the smallest is one inner block and each next one the previous
   * times its outer extent (ties only between extents of 1) */
  int order[4] = {0, 1, 2, 3};
  for (int i = 1; i < 4; i++)
    for (int j = i; j > 0 && b->strides[order[j]] < b->strides[order[j - 1]]; j--) {
      int t = order[j]; order[j] = order[j - 1]; order[j - 1] = t;
    }
  dnnl_dim_t expect = inner;
  for (int i = 0; i < 4; i++) {
    int d = order[i];
    if (b->strides[d] != expect && !(outer[d] == 1 && b->strides[d] >= 1 && b->strides[d] <= expect)) return 0;
    if (b->strides[d] == expect) expect *= outer[d];
  }
  return 1;
}

int dn_dnnl_slot_fits(const layer *l, const float *slot, size_t floats) {
  if (!dn_dnnl_available() || l->groups != 1 || floats * sizeof(float) < HEADER_BYTES) return 0;
  dnnl_memory_desc_t wmd;
  memcpy(&wmd, slot, sizeof wmd);
  const dnnl_dim_t want[4] = {l->n, l->c, l->size, l->size};
  return dense_blocked(&wmd, want) && slot_floats(&wmd) == floats;
}

int dn_dnnl_prepare(dn_fast_table *t, int i, layer *l) {
  dnnl_memory_desc_t wmd;
  if (!blocked_weights_md(l, &wmd)) return 0;
  /* the plan this layer will run (and the check that its layouts are ones this file handles) */
  if (!find_plan(l, l->batch, 0, 0, l->activation == LEAKY, &wmd)) return 0;
  size_t floats = slot_floats(&wmd);
  /* 64-byte aligned: the weights then sit exactly HEADER_BYTES in, wherever the slot is copied to
   * (the compiled-weights cache stores slots verbatim, 64-byte aligned) */
  float *slot = dn_malloc64(floats * sizeof(float));
  memcpy(slot, &wmd, sizeof wmd);
  dnnl_dims_t wd = {l->n, l->c, l->size, l->size};
  dnnl_memory_desc_t user;
  dnnl_primitive_desc_t rpd = NULL;
  dnnl_primitive_t r = NULL;
  dnnl_memory_t from = NULL, to = NULL, pad = NULL;
  dnnl_memory_desc_t pad_md;
  void *pad_bytes = NULL;
  dnnl_stream_t s = NULL;
  int ok = lib.md_init_by_tag(&user, 4, wd, dnnl_f32, dnnl_oihw) == dnnl_success &&
           lib.reorder_pd_create(&rpd, &user, lib.engine, &wmd, lib.engine, lib.attr) == dnnl_success &&
           lib.prim_create(&r, rpd) == dnnl_success && lib.mem_create(&from, &user, lib.engine, l->weights) == dnnl_success &&
           lib.mem_create(&to, &wmd, lib.engine, slot_weights(slot)) == dnnl_success &&
           lib.stream_create(&s, lib.engine, dnnl_stream_default_flags) == dnnl_success;
  if (ok) {
    dnnl_dims_t pd_dims = {(dnnl_dim_t)scratchpad_of(rpd) + 64};
    ok = (pad_bytes = malloc((size_t)pd_dims[0])) && lib.md_init_by_tag(&pad_md, 1, pd_dims, dnnl_u8, dnnl_x) == dnnl_success &&
         lib.mem_create(&pad, &pad_md, lib.engine, pad_bytes) == dnnl_success;
  }
  if (ok) {
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}, {DNNL_ARG_SCRATCHPAD, pad}};
    ok = lib.prim_execute(r, s, 3, args) == dnnl_success;
  }
  if (pad) lib.mem_destroy(pad);
  free(pad_bytes);
  if (s) lib.stream_destroy(s);
  if (from) lib.mem_destroy(from);
  if (to) lib.mem_destroy(to);
  if (r) lib.prim_destroy(r);
  if (rpd) lib.pd_destroy(rpd);
  if (!ok) {
    dn_free(slot);
    return 0;
  }
  dn_fast_table_set(t, i, slot, floats);
  l->forward = dn_fast_conv_dnnl;
  /* only the blocked weights are read from now on */
  dn_free(l->weights);
  l->weights = NULL;
  return 1;
}

/* Below this many floats a parallel region costs more than it saves (as layers.c). */
#define PAR_MIN 32768

/* Output positions per task of unblock_activate: 16 channels × this many positions of input
 * stay in L2 while each channel's plane is written. */
#define UNBLOCK_SPAN 1024

/* A blocked output (see plan.dst_block) → NCHW with the activation, Darknet's expressions
 * (leaky's .1 is a double). */
static void unblock_activate(const float *in, float *out, int batch, int n, int spatial, int block, ACTIVATION a) {
  size_t image = (size_t)((n + block - 1) / block) * block * spatial;
  int groups = (n + 15) / 16, spans = (spatial + UNBLOCK_SPAN - 1) / UNBLOCK_SPAN, tasks = batch * groups * spans;
#pragma omp parallel for schedule(static) if ((size_t)batch * n * spatial >= PAR_MIN)
  for (int t = 0; t < tasks; t++) {
    int b = t / (groups * spans), g = t / spans % groups, i0 = t % spans * UNBLOCK_SPAN;
    int i1 = i0 + UNBLOCK_SPAN < spatial ? i0 + UNBLOCK_SPAN : spatial;
    int c1 = g * 16 + 16 < n ? g * 16 + 16 : n;
    for (int c = g * 16; c < c1; c++) {
      const float *s = in + b * image + (size_t)(c / block) * block * spatial + c % block;
      float *d = out + ((size_t)b * n + c) * spatial;
      switch (a) {
        case LINEAR:
          for (int i = i0; i < i1; i++) d[i] = s[(size_t)i * block];
          break;
        case LEAKY:
          for (int i = i0; i < i1; i++) {
            float x = s[(size_t)i * block];
            d[i] = (x > 0) ? x : .1 * x;
          }
          break;
        default:
          for (int i = i0; i < i1; i++) d[i] = s[(size_t)i * block];
          activate_array(d + i0, i1 - i0, a);
      }
    }
  }
}

/* Darknet's activation on an NHWC output in place (elementwise: the layout does not matter). */
static void activate_in_place(float *x, size_t count, ACTIVATION a) {
  if (a == LINEAR) return;
  size_t chunks = (count + 16383) / 16384;
#pragma omp parallel for schedule(static) if (count >= PAR_MIN)
  for (size_t c = 0; c < chunks; c++) {
    float *p = x + c * 16384;
    int n = (int)(count - c * 16384 < 16384 ? count - c * 16384 : 16384);
    if (a == LEAKY)
      for (int i = 0; i < n; i++) p[i] = (p[i] > 0) ? p[i] : .1 * p[i];
    else
      activate_array(p, n, a);
  }
}

void dn_fast_conv_dnnl(layer l, network net) {
  const float *slot = dn_fast_weights(net.index);
  const dnnl_memory_desc_t *wmd = (const dnnl_memory_desc_t *)slot;
  int src_nhwc = dn_fast_nhwc(&net, net.index - 1), dst_nhwc = dn_fast_nhwc(&net, net.index);
  int fused = l.activation == LEAKY;
  plan *p = find_plan(&l, l.batch, src_nhwc, dst_nhwc, fused, wmd);
  if (!p) dn_guard_fail("oneDNN could not build layer %d's convolution for %d threads", net.index, team_size());
  size_t src_at = 0, dst_at = src_at + (p->src_bytes + 63) / 64 * 64, w_at = dst_at + (p->dst_bytes + 63) / 64 * 64;
  size_t pad_at = w_at + (p->weights_bytes + 63) / 64 * 64;
  char *buf = dn_scratch_for(&net, pad_at + p->scratchpad_bytes + 64);
  dnnl_dims_t pad_dims = {(dnnl_dim_t)p->scratchpad_bytes + 64};
  dnnl_memory_desc_t pad_md;
  void *src = p->src_reorder ? (void *)(buf + src_at) : (void *)net.input;
  void *dst = p->dst_block ? (void *)(buf + dst_at) : (void *)l.output;
  dnnl_dims_t sd = {l.batch, l.c, l.h, l.w}, bd = {l.n};
  dnnl_memory_desc_t user_src, bmd;
  dnnl_memory_t m_user = NULL, m_src = NULL, m_w = NULL, m_b = NULL, m_dst = NULL, m_loaded = NULL, m_pad = NULL;
  dnnl_stream_t s = NULL;
  int ok = lib.stream_create(&s, lib.engine, dnnl_stream_default_flags) == dnnl_success &&
           lib.md_init_by_tag(&bmd, 1, bd, dnnl_f32, dnnl_x) == dnnl_success &&
           lib.md_init_by_tag(&pad_md, 1, pad_dims, dnnl_u8, dnnl_x) == dnnl_success &&
           lib.mem_create(&m_pad, &pad_md, lib.engine, buf + pad_at) == dnnl_success &&
           lib.mem_create(&m_src, &p->src_md, lib.engine, src) == dnnl_success &&
           lib.mem_create(&m_w, &p->weights_md, lib.engine, p->weights_reorder ? (void *)(buf + w_at) : (void *)slot_weights(slot)) == dnnl_success &&
           lib.mem_create(&m_b, &bmd, lib.engine, l.biases) == dnnl_success &&
           lib.mem_create(&m_dst, &p->dst_md, lib.engine, dst) == dnnl_success;
  if (ok && p->weights_reorder) {
    ok = lib.mem_create(&m_loaded, wmd, lib.engine, slot_weights(slot)) == dnnl_success;
    dnnl_exec_arg_t wa[3] = {{DNNL_ARG_FROM, m_loaded}, {DNNL_ARG_TO, m_w}, {DNNL_ARG_SCRATCHPAD, m_pad}};
    ok = ok && lib.prim_execute(p->weights_reorder, s, 3, wa) == dnnl_success;
  }
  if (ok && p->src_reorder) {
    ok = lib.md_init_by_tag(&user_src, 4, sd, dnnl_f32, dnnl_nchw) == dnnl_success &&
         lib.mem_create(&m_user, &user_src, lib.engine, net.input) == dnnl_success;
    dnnl_exec_arg_t ra[3] = {{DNNL_ARG_FROM, m_user}, {DNNL_ARG_TO, m_src}, {DNNL_ARG_SCRATCHPAD, m_pad}};
    ok = ok && lib.prim_execute(p->src_reorder, s, 3, ra) == dnnl_success;
  }
  if (ok) {
    dnnl_exec_arg_t ca[5] = {{DNNL_ARG_SRC, m_src}, {DNNL_ARG_WEIGHTS, m_w}, {DNNL_ARG_BIAS, m_b}, {DNNL_ARG_DST, m_dst},
                             {DNNL_ARG_SCRATCHPAD, m_pad}};
    ok = lib.prim_execute(p->conv, s, 5, ca) == dnnl_success;
  }
  if (m_loaded) lib.mem_destroy(m_loaded);
  if (m_pad) lib.mem_destroy(m_pad);
  if (m_user) lib.mem_destroy(m_user);
  if (m_src) lib.mem_destroy(m_src);
  if (m_w) lib.mem_destroy(m_w);
  if (m_b) lib.mem_destroy(m_b);
  if (m_dst) lib.mem_destroy(m_dst);
  if (s) lib.stream_destroy(s);
  if (!ok) dn_guard_fail("oneDNN failed on layer %d's convolution", net.index);
  int spatial = l.out_h * l.out_w;
  ACTIVATION a = fused ? LINEAR : l.activation; /* what is left to apply */
  if (dst_nhwc) activate_in_place(l.output, (size_t)l.batch * l.n * spatial, a);
  else if (p->dst_block) unblock_activate(dst, l.output, l.batch, l.n, spatial, p->dst_block, a);
  else if (a != LINEAR)
    for (int b = 0; b < l.batch * l.n; b++) activate_array(l.output + (size_t)b * spatial, spatial, a);
}

#else /* built without oneDNN's header */

int dn_dnnl_available(void) { return 0; }
const char *dn_dnnl_version(void) { return NULL; }
size_t dn_dnnl_slot_floats(const layer *l) {
  (void)l;
  return 0;
}

int dn_dnnl_slot_fits(const layer *l, const float *slot, size_t floats) {
  (void)l, (void)slot, (void)floats;
  return 0;
}

int dn_dnnl_prepare(dn_fast_table *t, int i, layer *l) {
  (void)t, (void)i, (void)l;
  return 0;
}
void dn_fast_conv_dnnl(layer l, network net) {
  (void)l;
  dn_guard_fail("internal: layer %d was given oneDNN's forward function in a build without oneDNN", net.index);
}

#endif
