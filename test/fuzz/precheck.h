/* The crash-relevant subset of lib/cfg/validate.ts, in C, for the fuzz harness only.
 *
 * In the product, TypeScript validates every cfg before Darknet sees it. A fuzzer driving
 * Darknet's parser directly would otherwise rediscover, on every run, the silent crashes that
 * validation exists to stop (route indices, anchors beyond num, …). This filter passes only
 * inputs that those rules accept, so whatever ASan/UBSan report is a crash class the TypeScript
 * validator does NOT cover yet. Size limits are tighter than the product's so that each input
 * runs in milliseconds.
 *
 * Every refusal says which it is: PC_NO("rule", …) mirrors a rule of the TypeScript validator (it
 * must refuse that input too), PC_NO("limit", …) only keeps the fuzzer small and fast. The fuzz
 * build ignores the tags; test/native/precheck.test.ts compiles this file into a driver that
 * reports them and checks, case by case against validateCfg, that every input accepted here is
 * accepted there (up to the shape rules listed in the test) and every "rule" refusal is a refusal
 * there: a rule added to or dropped from one side only fails that test. */
#ifndef PC_NO
#define PC_NO(kind, why) return 0
#endif
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define PC_MAX_LAYERS 64

static const char *pc_supported[] = {"convolutional", "conv", "maxpool", "max", "avgpool", "avg", "route", "shortcut",
                                     "upsample", "yolo", "region", "reorg", "dropout", "connected", "conn", "softmax", "soft", 0};
static const char *pc_activations[] = {"logistic", "loggy", "relu", "elu", "selu", "relie", "plse", "hardtan", "lhtan",
                                       "linear", "ramp", "leaky", "tanh", "stair", 0};

/* the sections whose activation= the TypeScript validator reads */
static const char *pc_activated[] = {"convolutional", "conv", "shortcut", "connected", "conn", 0};

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
  long classes[PC_MAX_LAYERS] = {0}, num = 1, nmask = -1, nanchors = -1, flipped = 0, groups = 1;
  int is_head[PC_MAX_LAYERS] = {0};
  int has_inputs = 0; /* route: layers=, shortcut: from= (Darknet dereferences them unchecked) */
  int net_size = 0;   /* [net] width, height and channels seen (bits 1, 2, 4) */
  /* the keys of the current section: Darknet (and the validator) read only a key's first value */
  char seen[32][32];
  int nseen = 0;
  char type[64] = "";
  /* per-section state is checked when the section ends */
#define PC_END_SECTION()                                                                    \
  do {                                                                                     \
    if (layer >= 0 && is_head[layer] && nanchors >= 0 && nanchors != 2 * num) PC_NO("rule", "anchors = 2 num"); \
    /* mask entries must be < num, once both are known (num follows mask in YOLOv3's cfgs) */  \
    if (layer >= 0 && nmask > 0) for (int i = 0; i < nmask && i < 64; i++)                 \
      if (maskvals[i] >= num) PC_NO(strcmp(type, "yolo") ? "limit" : "rule", "mask < num");  \
    /* load_convolutional_weights transposes past the weights of a grouped flipped layer */ \
    if (layer >= 0 && flipped && groups > 1 && (!strcmp(type, "convolutional") || !strcmp(type, "conv"))) \
      PC_NO("rule", "flipped without groups");                                             \
    if (layer >= 0 && (!strcmp(type, "route") || !strcmp(type, "shortcut")) && !has_inputs) PC_NO("rule", "route/shortcut inputs"); \
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
      if (n < 3 || line[n - 1] != ']') PC_NO("rule", "section header");
      if (n - 2 >= sizeof type) PC_NO("limit", "section name length");
      PC_END_SECTION();
      memcpy(type, line + 1, n - 2);
      type[n - 2] = 0;
      if (!strcmp(type, "net") || !strcmp(type, "network")) {
        if (sawnet) PC_NO("rule", "one [net]");
        sawnet = 1;
        nseen = 0;
        continue;
      }
      if (!sawnet) PC_NO("rule", "[net] first");
      if (!strcmp(type, "crop") || !strcmp(type, "cost")) PC_NO("limit", "crop and cost not fuzzed");
      if (!pc_in(type, pc_supported)) PC_NO("rule", "supported layer types");
      /* reorg needs channels % stride² == 0 (validate.ts; found by this fuzzer as a SIGFPE in
       * reorg_cpu). Checking it needs the shape model this filter does not have: skip reorg. */
      if (!strcmp(type, "reorg")) PC_NO("limit", "reorg");
      if (++nlayers > PC_MAX_LAYERS) PC_NO("limit", "layers");
      layer = nlayers - 1;
      num = 1; nmask = -1; nanchors = -1; has_inputs = 0; flipped = 0; groups = 1; nseen = 0;
      is_head[layer] = !strcmp(type, "yolo") || !strcmp(type, "region");
      classes[layer] = is_head[layer] ? 20 : 0;
      continue;
    }
    char *eq = strchr(line, '=');
    if (!eq || eq == line || !eq[1] || !sawnet) PC_NO("rule", "key=value in a section");
    *eq = 0;
    const char *k = line, *v = eq + 1;
    if (strlen(k) >= sizeof seen[0]) PC_NO("limit", "key length");
    for (int i = 0; i < nseen; i++) if (!strcmp(seen[i], k)) PC_NO("limit", "repeated key");
    if (nseen == (int)(sizeof seen / sizeof seen[0])) PC_NO("limit", "keys per section");
    strcpy(seen[nseen++], k);
    long x;
    if (layer < 0) { /* [net] */
      if (!strcmp(k, "width") || !strcmp(k, "height")) {
        if (!pc_int(v, 1, 160, 0)) PC_NO("limit", "input size");
        net_size |= k[0] == 'w' ? 1 : 2;
      }
      else if (!strcmp(k, "channels")) { if (!pc_int(v, 3, 3, 0)) PC_NO("rule", "channels=3"); net_size |= 4; } /* Detector.load: RGB only (found by this fuzzer) */
      else if (!strcmp(k, "batch") || !strcmp(k, "subdivisions") || !strcmp(k, "time_steps")) { if (!pc_int(v, 1, 1, 0)) PC_NO("limit", "batch 1"); }
      else if (!strcmp(k, "inputs")) PC_NO("rule", "image inputs");
      else if (!strcmp(k, "policy")) PC_NO("limit", "policy");
      continue;
    }
    if (!strcmp(k, "map") || !strcmp(k, "tree") || !strcmp(k, "numload") || !strcmp(k, "binary") || !strcmp(k, "xnor") ||
        !strcmp(k, "flatten") || !strcmp(k, "extra") || !strcmp(k, "dontload") || !strcmp(k, "dontloadscales") ||
        !strcmp(k, "truth")) PC_NO(strncmp(k, "dontload", 8) ? "rule" : "limit", "unsupported options"); /* truth: found by this fuzzer (softmax wrote a freed delta) */
    if (!strcmp(k, "activation")) { if (!pc_in(v, pc_activations)) PC_NO(pc_in(type, pc_activated) ? "rule" : "limit", "activations"); }
    else if (!strcmp(k, "filters") || !strcmp(k, "output")) { if (!pc_int(v, 1, 64, 0)) PC_NO("limit", "filters/output"); }
    else if (!strcmp(k, "size")) { if (!pc_int(v, 1, 7, 0)) PC_NO("limit", "size"); }
    else if (!strcmp(k, "stride")) { if (!pc_int(v, strcmp(type, "upsample") ? 1 : -4, 4, &x) || x == 0) PC_NO("limit", "stride"); }
    else if (!strcmp(k, "groups")) { if (!pc_int(v, 1, 64, &groups)) PC_NO("limit", "groups"); }
    else if (!strcmp(k, "flipped")) { if (!pc_int(v, 0, 8, &flipped)) PC_NO("limit", "flags"); }
    else if (!strcmp(k, "pad") || !strcmp(k, "padding") || !strcmp(k, "batch_normalize") || !strcmp(k, "reverse")) { if (!pc_int(v, 0, 8, 0)) PC_NO("limit", "flags"); }
    else if (!strcmp(k, "classes")) {
      if (!pc_int(v, 0, 20, &x)) PC_NO("limit", "classes");
      if (is_head[layer]) classes[layer] = x; /* what make_network_boxes reads: a head's */
    }
    else if (!strcmp(k, "num")) { if (!pc_int(v, 1, 12, &num)) PC_NO("limit", "num"); }
    else if (!strcmp(k, "coords")) { if (!pc_int(v, 4, 4, 0)) PC_NO(strcmp(type, "region") ? "limit" : "rule", "coords=4"); }
    else if (!strcmp(k, "mask")) {
      nmask = pc_list(v, 0, 63, maskvals, 64);
      if (nmask < 0) PC_NO("limit", "mask list");
    }
    else if (!strcmp(k, "anchors")) {
      char buf[512]; int n = 0;
      if (strlen(v) >= sizeof buf) PC_NO("limit", "anchors length");
      if (strstr(v, ",,") || v[strlen(v) - 1] == ',') PC_NO(is_head[layer] ? "rule" : "limit", "list entries");
      strcpy(buf, v);
      char *asave;
      for (char *t = strtok_r(buf, ",", &asave); t; t = strtok_r(NULL, ",", &asave)) { if (!pc_float(t)) PC_NO(is_head[layer] ? "rule" : "limit", "anchors are numbers"); n++; }
      nanchors = n;
    }
    else if (!strcmp(k, "layers") || !strcmp(k, "from")) {
      long idx[16];
      int n = pc_list(v, -64, 63, idx, 16);
      if (n < 1 || n > 16 || (!strcmp(k, "from") && n != 1)) PC_NO("limit", "layer index lists");
      if ((!strcmp(k, "layers") && strcmp(type, "route")) || (!strcmp(k, "from") && strcmp(type, "shortcut"))) PC_NO("limit", "layers/from elsewhere");
      has_inputs = 1;
      for (int i = 0; i < n; i++) {
        long abs = idx[i] < 0 ? layer + idx[i] : idx[i];
        if (abs < 0 || abs >= layer) PC_NO("rule", "layer indices point back");
      }
    }
    else if (pc_float(v) == 0 && strcmp(k, "type")) PC_NO("limit", "numeric options"); /* every other option Darknet reads is numeric */
  }
  PC_END_SECTION();
  if (!sawnet || !nlayers) PC_NO("rule", "[net] and layers");
  if (net_size != 7) PC_NO("rule", "[net] width, height and channels");
  /* make_network_boxes sizes probabilities by the last layer's classes */
  for (int i = 0; i < nlayers; i++) if (is_head[i] && classes[i] > classes[nlayers - 1]) PC_NO("rule", "head classes ≤ last");
  return 1;
}
