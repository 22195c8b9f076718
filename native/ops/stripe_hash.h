/* A checksum of large arrays at memory speed (stripe_hash.c), for the compiled-weights cache's
 * verification on every load. Not cryptographic: it catches damaged and truncated files, and
 * every change of a single 64-bit word changes it. */
#ifndef DN_OPS_STRIPE_HASH_H
#define DN_OPS_STRIPE_HASH_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The same value on every CPU: AVX-512, AVX2 and plain C compute the one definition in
 * stripe_hash.c. `tail` hashes the last n % 256 bytes and folds the lanes (weights_cache.c's
 * multiply-rotate hash_bytes). */
uint64_t dn_stripe_hash(const void *data, size_t n, uint64_t seed, uint64_t (*tail)(const void *, size_t, uint64_t));

#ifdef __cplusplus
}
#endif
#endif
