/* Shadows <assert.h> for Darknet's sources only (this directory is searched before the system's):
 * Darknet asserts on malformed cfg files (filter-count mismatch, shortcut dims, yolo outputs),
 * and a failed assert must become a JS error, not abort the Node process. Like the system header
 * it may be included many times and honours NDEBUG. */
#include "../../guard/guard.h"
#undef assert
#ifdef NDEBUG
#define assert(e) ((void)0)
#else
#define assert(e) ((e) ? (void)0 : dn_guard_assert(#e, __FILE__, __LINE__))
#endif
