/* The one place that knows how Darknet's fatal paths are trapped.
 *
 * Darknet was written as a command-line tool: on bad input it calls exit(), error() (perror +
 * assert + exit), file_error() (exit(0)) or assert(), and it never checks calloc. Inside a Node
 * process any of those kills the host. Every Darknet translation unit is compiled with
 * compat/prelude.h force-included and compat/include/ ahead of the system headers, which routes
 * exit/abort/assert/perror/printf/fprintf and the allocators to the dn_* hooks below.
 *
 * dn_guard_call() runs a function under setjmp on the calling thread. A fatal hook raised inside
 * it longjmps back; every allocation Darknet made during the call and had not freed is released
 * (so a failed load leaks nothing), and the caller gets the reason plus Darknet's last message.
 * Only C frames (ops/ and Darknet) lie between setjmp and longjmp: no C++ destructor is skipped.
 */
#ifndef DN_GUARD_H
#define DN_GUARD_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DN_GUARD_MSG 1024

/* Returns 0 on success; -1 with err (NUL-terminated, at most errlen bytes) on a trapped failure. */
int dn_guard_call(void (*fn)(void *), void *ctx, char *err, size_t errlen);
/* Raise a failure from code running inside dn_guard_call (the memory-safety checks of ops/). */
void dn_guard_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Hooks the prelude routes Darknet's calls to. */
void dn_guard_exit(int code, const char *file, int line) __attribute__((noreturn));
void dn_guard_assert(const char *expr, const char *file, int line) __attribute__((noreturn));
void *dn_malloc(size_t n);
/* 64-byte aligned, freed by dn_free: for data whose layout is relative to its start (oneDNN slots) */
void *dn_malloc64(size_t n);
void *dn_calloc(size_t n, size_t size);
void *dn_realloc(void *p, size_t n);
void dn_free(void *p);
int dn_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int dn_fprintf(void *stream, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dn_perror(const char *s);
/* Darknet's own generators, renamed inside utils.c by compat/utils_tu.c. */
float dn_rand_normal_real(void);
float dn_rand_uniform_real(float min, float max);

#ifdef __cplusplus
}
#endif
#endif
