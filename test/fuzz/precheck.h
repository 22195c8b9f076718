/* The crash-relevant subset of lib/cfg/validate.ts, in C, for the fuzz harness only.
 *
 * In the product, TypeScript validates every cfg before Darknet sees it. A fuzzer driving
 * Darknet's parser directly would otherwise rediscover, on every run, the silent crashes that
 * validation exists to stop (route indices, anchors beyond num, …). This filter passes only
 * inputs that those rules accept, so whatever ASan/UBSan report is a crash class the TypeScript
 * validator does NOT cover yet. Keep the two in step: a new rule there belongs here too.
 * Size limits are tighter than the product's so that each input runs in milliseconds. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define PC_MAX_LAYERS 64

static const char *pc_supported[] = {"convolutional", "conv", "maxpool", "max", "avgpool", "avg", "route", "shortcut",
                                     "upsample", "yolo", "region", "reorg", "dropout", "connected", "conn", "softmax", "soft", 0};
static const char *pc_activations[] = {"logistic", "loggy", "relu", "elu", "selu", "relie", "plse", "hardtan", "lhtan",
                                       "linear", "ramp", "leaky", "tanh", "stair", 0};

static int pc_in(const char *s, const char **set) {
  for (; *set; set++) if (!strcmp(s, *set)) return 1;
  return 0;
}

static int pc_int(const char *v, long lo, long hi, long *out) {
  char *end;
  if (!*v) return 0;
  long x = strtol(v, &end, 10);
  if (*end || x < lo || x > hi) return 0;
  if (out) *out = x;
  return 1;
}

static int pc_float(const char *v) {
  char *end;
  if (!*v) return 0;
  double x = strtod(v, &end);
  return !*end && x == x && x < 1e30 && x > -1e30 && !strpbrk(v, "xXnNiI");
}

/* Number of comma-separated ints in v, each in [lo, hi] (-1 if malformed). */
static int pc_list(const char *v, long lo, long hi, long *vals, int cap) {
  int n = 0;
  char buf[512];
  if (strlen(v) >= sizeof buf) return -1;
  strcpy(buf, v);
  char *save;
  for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    long x;
    if (!pc_int(tok, lo, hi, &x)) return -1;
    if (n < cap && vals) vals[n] = x;
    n++;
  }
  if (!n || v[strlen(v) - 1] == ',' || strstr(v, ",,")) return -1;
  return n;
}

/* text: NUL-terminated. Returns 1 when the TypeScript validator's crash-relevant rules pass. */
static int precheck(char *text) {
  int layer = -1, sawnet = 0, nlayers = 0;
  long classes[PC_MAX_LAYERS] = {0}, num = 1, nmask = -1, nanchors = -1;
  int is_head[PC_MAX_LAYERS] = {0};
  int has_inputs = 0; /* route: layers=, shortcut: from= (Darknet dereferences them unchecked) */
  char type[64] = "";
  /* per-section state is checked when the section ends */
#define PC_END_SECTION()                                                                    \
  do {                                                                                     \
    if (layer >= 0 && is_head[layer] && nanchors >= 0 && nanchors != 2 * num) return 0;    \
    if (layer >= 0 && (!strcmp(type, "route") || !strcmp(type, "shortcut")) && !has_inputs) return 0; \
  } while (0)
  long maskvals[64];
  char *lsave;
  for (char *line = strtok_r(text, "\n", &lsave); line; line = strtok_r(NULL, "\n", &lsave)) {
    /* strip whitespace like Darknet */
    char *w = line;
    for (char *r = line; *r; r++) if (!isspace((unsigned char)*r)) *w++ = *r;
    *w = 0;
    if (!*line || *line == '#' || *line == ';') continue;
    if (*line == '[') {
      size_t n = strlen(line);
      if (n < 3 || line[n - 1] != ']' || n - 2 >= sizeof type) return 0;
      PC_END_SECTION();
      memcpy(type, line + 1, n - 2);
      type[n - 2] = 0;
      if (!strcmp(type, "net") || !strcmp(type, "network")) {
        if (sawnet) return 0;
        sawnet = 1;
        continue;
      }
      if (!sawnet || !pc_in(type, pc_supported)) return 0;
      /* reorg needs channels % stride² == 0 (validate.ts; found by this fuzzer as a SIGFPE in
       * reorg_cpu). Checking it needs the shape model this filter does not have: skip reorg. */
      if (!strcmp(type, "reorg")) return 0;
      if (++nlayers > PC_MAX_LAYERS) return 0;
      layer = nlayers - 1;
      num = 1; nmask = -1; nanchors = -1; has_inputs = 0;
      is_head[layer] = !strcmp(type, "yolo") || !strcmp(type, "region");
      classes[layer] = is_head[layer] ? 20 : 0;
      continue;
    }
    char *eq = strchr(line, '=');
    if (!eq || eq == line || !eq[1] || !sawnet) return 0;
    *eq = 0;
    const char *k = line, *v = eq + 1;
    long x;
    if (layer < 0) { /* [net] */
      if (!strcmp(k, "width") || !strcmp(k, "height")) { if (!pc_int(v, 1, 160, 0)) return 0; }
      else if (!strcmp(k, "channels")) { if (!pc_int(v, 3, 3, 0)) return 0; } /* Detector.load: RGB only (found by this fuzzer) */
      else if (!strcmp(k, "batch") || !strcmp(k, "subdivisions") || !strcmp(k, "time_steps")) { if (!pc_int(v, 1, 1, 0)) return 0; }
      else if (!strcmp(k, "inputs") || !strcmp(k, "policy")) return 0;
      continue;
    }
    if (!strcmp(k, "map") || !strcmp(k, "tree") || !strcmp(k, "numload") || !strcmp(k, "binary") || !strcmp(k, "xnor") ||
        !strcmp(k, "flatten") || !strcmp(k, "extra") || !strcmp(k, "dontload") || !strcmp(k, "dontloadscales") ||
        !strcmp(k, "truth")) return 0; /* truth: found by this fuzzer (softmax wrote a freed delta) */
    if (!strcmp(k, "activation")) { if (!pc_in(v, pc_activations)) return 0; }
    else if (!strcmp(k, "filters") || !strcmp(k, "output")) { if (!pc_int(v, 1, 64, 0)) return 0; }
    else if (!strcmp(k, "size")) { if (!pc_int(v, 1, 7, 0)) return 0; }
    else if (!strcmp(k, "stride")) { if (!pc_int(v, strcmp(type, "upsample") ? 1 : -4, 4, &x) || x == 0) return 0; }
    else if (!strcmp(k, "groups")) { if (!pc_int(v, 1, 64, 0)) return 0; }
    else if (!strcmp(k, "pad") || !strcmp(k, "padding") || !strcmp(k, "batch_normalize") || !strcmp(k, "reverse")) { if (!pc_int(v, 0, 8, 0)) return 0; }
    else if (!strcmp(k, "classes")) { if (!pc_int(v, 0, 20, &classes[layer])) return 0; }
    else if (!strcmp(k, "num")) { if (!pc_int(v, 1, 12, &num)) return 0; }
    else if (!strcmp(k, "coords")) { if (!pc_int(v, 4, 4, 0)) return 0; }
    else if (!strcmp(k, "mask")) {
      nmask = pc_list(v, 0, 63, maskvals, 64);
      if (nmask < 0) return 0;
    }
    else if (!strcmp(k, "anchors")) {
      char buf[512]; int n = 0;
      if (strlen(v) >= sizeof buf || strstr(v, ",,") || v[strlen(v) - 1] == ',') return 0;
      strcpy(buf, v);
      char *asave;
      for (char *t = strtok_r(buf, ",", &asave); t; t = strtok_r(NULL, ",", &asave)) { if (!pc_float(t)) return 0; n++; }
      nanchors = n;
    }
    else if (!strcmp(k, "layers") || !strcmp(k, "from")) {
      long idx[16];
      int n = pc_list(v, -64, 63, idx, 16);
      if (n < 1 || n > 16 || (!strcmp(k, "from") && n != 1)) return 0;
      if ((!strcmp(k, "layers") && strcmp(type, "route")) || (!strcmp(k, "from") && strcmp(type, "shortcut"))) return 0;
      has_inputs = 1;
      for (int i = 0; i < n; i++) {
        long abs = idx[i] < 0 ? layer + idx[i] : idx[i];
        if (abs < 0 || abs >= layer) return 0;
      }
    }
    else if (pc_float(v) == 0 && strcmp(k, "type")) return 0; /* every other option Darknet reads is numeric */
    /* mask entries must be < num: re-check whenever either is set */
    if (nmask > 0) for (int i = 0; i < nmask && i < 64; i++) if (maskvals[i] >= num) return 0;
  }
  PC_END_SECTION();
  if (!sawnet || !nlayers) return 0;
  /* make_network_boxes sizes probabilities by the last layer's classes */
  for (int i = 0; i < nlayers; i++) if (is_head[i] && classes[i] > classes[nlayers - 1]) return 0;
  return 1;
}
