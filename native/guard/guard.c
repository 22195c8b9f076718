/* See guard.h. Compiled without the prelude: the libc names here are the real ones. */
#include "guard.h"

#include <errno.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>

/* ---- per-thread state: each libuv worker runs its own guarded call ---- */

typedef struct {
  void **slots; /* open addressing; NULL = empty, TOMBSTONE = deleted */
  size_t cap, used, live;
} ptr_set;

#define TOMBSTONE ((void *)(uintptr_t)1)
#define LOG_CAP 4096

static __thread jmp_buf *tl_env;
static __thread ptr_set tl_allocs;
static __thread char tl_reason[DN_GUARD_MSG];
static __thread char tl_log[LOG_CAP]; /* tail of what Darknet printed during the current call */
static __thread size_t tl_log_len;

static int verbose(void) {
  static int v = -1;
  if (v < 0) {
    const char *e = getenv("DARKNET_NODE_VERBOSE");
    v = e && *e && strcmp(e, "0") != 0;
  }
  return v;
}

/* ---- big blocks: mmap'd directly ----
 * Darknet allocates tens of MB per layer (activations, deltas, workspace) on one libuv thread and
 * frees them on another. Through malloc those land in per-thread arenas whose freed memory glibc
 * keeps (its mmap threshold grows after each large free), so RSS climbed by ~600 MB over a few
 * load/dispose cycles of yolov3-tiny. Blocks of DN_BIG bytes or more are mapped and unmapped
 * directly instead: freed memory goes back to the OS, and calloc'd buffers that inference never
 * touches (deltas, weight updates) cost no resident memory at all. The threshold is glibc's own
 * initial mmap threshold: above 1 MB, blocks between 128 KB and 1 MB came from the heap once that
 * threshold had grown, and calloc clears a reused heap block byte by byte — the second load of
 * yolov3 in a process spent 0.6 s in memset and page faults, touching memory inference never uses. */

#define DN_BIG ((size_t)128 << 10)

/* Sizes live in this table, not in a header before the block: writing a header would touch a
 * page of every mapping, a page fault each (~14 µs on a virtual machine) for the ~130 buffers
 * yolov3-tiny's parse allocates and lean mode frees untouched, and an untouched mapping also
 * unmaps without flushing any TLB. */
typedef struct {
  void *p;
  size_t n;
} big_entry;

static pthread_mutex_t big_lock = PTHREAD_MUTEX_INITIALIZER;
static big_entry *big_slots; /* open-addressing set of live big blocks (global: freed anywhere) */
static size_t big_cap, big_used;

static size_t hash_ptr(void *p, size_t cap);

static int big_insert_locked(void *p, size_t n) {
  if ((big_used + 1) * 2 >= big_cap) {
    size_t ncap = big_cap ? big_cap * 2 : 256;
    big_entry *ns = calloc(ncap, sizeof *ns);
    if (!ns) return -1;
    for (size_t i = 0; i < big_cap; i++)
      if (big_slots[i].p) {
        size_t j = hash_ptr(big_slots[i].p, ncap);
        while (ns[j].p) j = (j + 1) & (ncap - 1);
        ns[j] = big_slots[i];
      }
    free(big_slots);
    big_slots = ns; big_cap = ncap;
  }
  size_t j = hash_ptr(p, big_cap);
  while (big_slots[j].p) j = (j + 1) & (big_cap - 1);
  big_slots[j] = (big_entry){p, n};
  big_used++;
  return 0;
}

/* The slot holding p, or NULL. */
static big_entry *big_find_locked(void *p) {
  if (!big_cap) return NULL;
  size_t j = hash_ptr(p, big_cap);
  while (big_slots[j].p && big_slots[j].p != p) j = (j + 1) & (big_cap - 1);
  return big_slots[j].p ? &big_slots[j] : NULL;
}

/* Removes p if it is a big block, giving its size (backward-shift deletion keeps probing chains
 * intact; reinserting never grows the table, so it cannot fail). */
static int big_remove_locked(void *p, size_t *n) {
  big_entry *e = big_find_locked(p);
  if (!e) return 0;
  *n = e->n;
  size_t j = (size_t)(e - big_slots);
  big_slots[j] = (big_entry){NULL, 0};
  big_used--;
  for (size_t k = (j + 1) & (big_cap - 1); big_slots[k].p; k = (k + 1) & (big_cap - 1)) {
    big_entry q = big_slots[k];
    big_slots[k] = (big_entry){NULL, 0};
    big_used--;
    big_insert_locked(q.p, q.n);
  }
  return 1;
}

static void *big_alloc(size_t n) {
  if (n > SIZE_MAX - 4096) return NULL;
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  pthread_mutex_lock(&big_lock);
  int rc = big_insert_locked(p, n);
  pthread_mutex_unlock(&big_lock);
  if (rc) { munmap(p, n); return NULL; }
  return p;
}

/* free() for any pointer the hooks returned. */
static void release(void *p) {
  size_t n = 0;
  pthread_mutex_lock(&big_lock);
  int big = big_remove_locked(p, &n);
  pthread_mutex_unlock(&big_lock);
  if (big) munmap(p, n);
  else free(p);
}

/* The size of a big block, or 0 when p is not one. */
static size_t big_size(void *p) {
  pthread_mutex_lock(&big_lock);
  big_entry *e = big_find_locked(p);
  size_t n = e ? e->n : 0;
  pthread_mutex_unlock(&big_lock);
  return n;
}

/* ---- allocation tracking, active only inside dn_guard_call ---- */

static size_t hash_ptr(void *p, size_t cap) {
  uintptr_t x = (uintptr_t)p;
  x ^= x >> 33; x *= 0xff51afd7ed558ccdULL; x ^= x >> 33;
  return (size_t)x & (cap - 1);
}

static int set_grow(ptr_set *s) {
  size_t ncap = s->cap ? s->cap * 2 : 1024;
  void **ns = calloc(ncap, sizeof(void *));
  if (!ns) return -1;
  for (size_t i = 0; i < s->cap; i++) {
    void *p = s->slots[i];
    if (p && p != TOMBSTONE) {
      size_t j = hash_ptr(p, ncap);
      while (ns[j]) j = (j + 1) & (ncap - 1);
      ns[j] = p;
    }
  }
  free(s->slots);
  s->slots = ns; s->cap = ncap; s->used = s->live;
  return 0;
}

static void set_add(ptr_set *s, void *p) {
  if ((s->used + 1) * 4 >= s->cap * 3 && set_grow(s) != 0) return; /* untracked: only a leak on failure */
  size_t j = hash_ptr(p, s->cap);
  while (s->slots[j] && s->slots[j] != TOMBSTONE) j = (j + 1) & (s->cap - 1);
  if (!s->slots[j]) s->used++;
  s->slots[j] = p; s->live++;
}

static void set_remove(ptr_set *s, void *p) {
  if (!s->cap) return;
  size_t j = hash_ptr(p, s->cap);
  while (s->slots[j]) {
    if (s->slots[j] == p) { s->slots[j] = TOMBSTONE; s->live--; return; }
    j = (j + 1) & (s->cap - 1);
  }
}

static void set_clear(ptr_set *s, int free_members) {
  if (free_members)
    for (size_t i = 0; i < s->cap; i++)
      if (s->slots[i] && s->slots[i] != TOMBSTONE) release(s->slots[i]);
  free(s->slots);
  memset(s, 0, sizeof(*s));
}

/* ---- log capture ---- */

static void log_append(const char *text, size_t n) {
  if (verbose()) fwrite(text, 1, n, stderr);
  if (n >= LOG_CAP) { text += n - (LOG_CAP - 1); n = LOG_CAP - 1; }
  if (tl_log_len + n >= LOG_CAP) {
    size_t drop = tl_log_len + n - (LOG_CAP - 1);
    memmove(tl_log, tl_log + drop, tl_log_len - drop);
    tl_log_len -= drop;
  }
  memcpy(tl_log + tl_log_len, text, n);
  tl_log_len += n;
  tl_log[tl_log_len] = 0;
}

static int log_vprintf(const char *fmt, va_list ap) {
  char buf[1024];
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  if (n > 0) log_append(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
  return n;
}

/* The last non-empty line Darknet printed: usually the reason ("Couldn't open file: x"). */
static void last_log_line(char *out, size_t cap) {
  size_t end = tl_log_len;
  while (end > 0 && (tl_log[end - 1] == '\n' || tl_log[end - 1] == ' ')) end--;
  size_t start = end;
  while (start > 0 && tl_log[start - 1] != '\n') start--;
  size_t n = end - start < cap - 1 ? end - start : cap - 1;
  memcpy(out, tl_log + start, n);
  out[n] = 0;
}

/* ---- the guard ---- */

int dn_guard_call(void (*fn)(void *), void *ctx, char *err, size_t errlen) {
  jmp_buf env;
  jmp_buf *prev = tl_env;
  if (prev) { /* nesting would mix two calls' allocations; ops/ never nests */
    snprintf(err, errlen, "internal error: nested guarded call");
    return -1;
  }
  tl_log_len = 0; tl_log[0] = 0;
  tl_reason[0] = 0;
  if (setjmp(env) == 0) {
    tl_env = &env;
    fn(ctx);
    tl_env = NULL;
    set_clear(&tl_allocs, 0); /* success: what Darknet allocated now belongs to its structures */
    return 0;
  }
  /* volatile-free: nothing above setjmp is modified after it. */
  tl_env = NULL;
  set_clear(&tl_allocs, 1); /* failure: release the half-built state */
  char last[512];
  last_log_line(last, sizeof last);
  if (last[0] && !strstr(tl_reason, last))
    snprintf(err, errlen, "%s (%s)", last, tl_reason);
  else
    snprintf(err, errlen, "%s", tl_reason);
  return -1;
}

static void raise_failure(void) __attribute__((noreturn));
static void raise_failure(void) {
  if (tl_env) longjmp(*tl_env, 1);
  /* Not inside a guarded call: nothing can be unwound. Report and abort as Darknet would have. */
  fprintf(stderr, "darknet-node: unguarded Darknet failure: %s\n", tl_reason);
  abort();
}

void dn_guard_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tl_reason, sizeof tl_reason, fmt, ap);
  va_end(ap);
  tl_log_len = 0; tl_log[0] = 0; /* our own message is the whole story */
  raise_failure();
}

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

void dn_guard_exit(int code, const char *file, int line) {
  snprintf(tl_reason, sizeof tl_reason, "darknet called exit(%d) at %s:%d", code, base_name(file), line);
  raise_failure();
}

void dn_guard_assert(const char *expr, const char *file, int line) {
  snprintf(tl_reason, sizeof tl_reason, "darknet assertion `%s` failed at %s:%d", expr, base_name(file), line);
  raise_failure();
}


/* ---- allocator hooks: checked, and tracked while guarded ---- */

static void out_of_memory(size_t n) __attribute__((noreturn));
static void out_of_memory(size_t n) {
  if (n == SIZE_MAX) snprintf(tl_reason, sizeof tl_reason, "allocation size overflows (a dimension is too large)");
  else snprintf(tl_reason, sizeof tl_reason, "out of memory allocating %zu bytes", n);
  raise_failure();
}

void *dn_malloc(size_t n) {
  void *p = n >= DN_BIG ? big_alloc(n) : malloc(n);
  if (!p && n) out_of_memory(n);
  if (p && tl_env) set_add(&tl_allocs, p);
  return p;
}

void *dn_malloc64(size_t n) {
  if (n >= DN_BIG) return dn_malloc(n); /* mapped: page-aligned */
  void *p = NULL;
  if (posix_memalign(&p, 64, n ? n : 1) != 0) p = NULL;
  if (!p) out_of_memory(n);
  if (tl_env) set_add(&tl_allocs, p);
  return p;
}

void *dn_calloc(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) out_of_memory(SIZE_MAX);
  /* Darknet computes sizes in int; an overflowed negative count arrives here as a huge size_t. */
  if (n > (SIZE_MAX >> 1) || size > (SIZE_MAX >> 1)) out_of_memory(SIZE_MAX);
  void *p = n * size >= DN_BIG ? big_alloc(n * size) /* fresh mappings are zeroed */ : calloc(n, size);
  if (!p && n && size) out_of_memory(n * size);
  if (p && tl_env) set_add(&tl_allocs, p);
  return p;
}

void *dn_realloc(void *p, size_t n) {
  if (tl_env && p) set_remove(&tl_allocs, p);
  void *q;
  size_t old = p ? big_size(p) : 0;
  if (old) { /* Darknet only reallocs small things (lines, lists); handle big anyway */
    q = n >= DN_BIG ? big_alloc(n) : malloc(n);
    if (q) { memcpy(q, p, old < n ? old : n); release(p); }
  } else if (n >= DN_BIG) {
    q = big_alloc(n);
    if (q && p) { size_t old = malloc_usable_size(p); memcpy(q, p, old < n ? old : n); free(p); }
  } else {
    q = realloc(p, n);
  }
  if (!q && n) {
    if (tl_env && p) set_add(&tl_allocs, p); /* still ours: freed with the rest on failure */
    out_of_memory(n);
  }
  if (tl_env && q) set_add(&tl_allocs, q);
  return q;
}

void dn_free(void *p) {
  if (!p) return;
  if (tl_env) set_remove(&tl_allocs, p);
  release(p);
}

/* ---- output hooks ---- */

int dn_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = log_vprintf(fmt, ap);
  va_end(ap);
  return n;
}

int dn_fprintf(void *stream, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = (stream == stderr || stream == stdout) ? log_vprintf(fmt, ap) : vfprintf((FILE *)stream, fmt, ap);
  va_end(ap);
  return n;
}

void dn_perror(const char *s) {
  char buf[512];
  int n = snprintf(buf, sizeof buf, "%s: %s\n", s ? s : "", strerror(errno));
  if (n > 0) log_append(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}
