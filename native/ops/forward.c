/* The raw forward pass on caller-prepared input. */
#include "forward.h"

#include "guard/guard.h"
#include "invariants.h"
#include "pass.h"
#include "runtime/threads.h"

typedef struct {
  struct dn_network *h;
  float *input;
} forward_ctx;

static void do_forward(void *p) {
  forward_ctx *c = p;
  dn_pass_predict(c->h, c->input);
}

float *dn_forward_input(dn_network *h, size_t *len) {
  *len = (size_t)h->net->inputs * h->net->batch;
  return h->net->input;
}

int dn_forward(dn_network *h, const float *input, size_t len, char *err, size_t errlen) {
  forward_ctx c = {h, (float *)input};
  if (dn_check_input(h, len, err, errlen) != 0) return -1;
  dn_set_threads(h->threads);
  return dn_guard_call(do_forward, &c, err, errlen);
}
