/* Compiles Darknet's utils.c in place of the original so that, in this one file, its random
 * generators are defined under the dn_rand_*_real names that the inline wrappers call; every other
 * Darknet file calls the wrappers (see prelude.h, which is force-included before this line). Built from the
 * submodule or the verified Debian copy alike. */
#undef rand_normal
#undef rand_uniform
#define rand_normal dn_rand_normal_real
#define rand_uniform dn_rand_uniform_real
#include "utils.c"
