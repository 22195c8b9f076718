/* JPEG → RGB with libjpeg-turbo, for the common case only; everything else goes to sharp.
 *
 * Why: sharp (libvips) takes ~16 ms for a 768×576 photo where libjpeg-turbo alone takes ~3 ms,
 * which is half of yolov3-tiny's whole pass. The pixels are the same: libvips decodes JPEG with
 * libjpeg(-turbo) at its defaults (islow IDCT, fancy upsampling) and ignores EXIF orientation,
 * as here (tested byte for byte against sharp).
 *
 * Why dlopen: Debian's libjpeg.a is not position-independent, so it cannot go inside the addon,
 * and a hard dependency on libjpeg.so.62 would make the whole addon fail to load where it is
 * missing. Loaded on first use; absent, wrong version or failing, every image goes to sharp.
 *
 * Only clean YCbCr or greyscale JPEGs without an Adobe colour transform or a colour profile are
 * decoded here: any libjpeg warning or error (truncated, corrupt, CMYK…) answers "not mine", and
 * sharp decodes or reports it exactly as before. libjpeg's fatal errors longjmp back here; its
 * default handler would call exit(). */
#include "jpeg.h"

#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if DN_JPEG
#include <jpeglib.h>

static struct {
  struct jpeg_error_mgr *(*std_error)(struct jpeg_error_mgr *);
  void (*create)(j_decompress_ptr, int, size_t);
  void (*mem_src)(j_decompress_ptr, const unsigned char *, unsigned long);
  void (*save_markers)(j_decompress_ptr, int, unsigned int);
  int (*read_header)(j_decompress_ptr, boolean);
  boolean (*start)(j_decompress_ptr);
  JDIMENSION (*read_scanlines)(j_decompress_ptr, JSAMPARRAY, JDIMENSION);
  JDIMENSION (*skip_scanlines)(j_decompress_ptr, JDIMENSION); /* libjpeg-turbo ≥ 1.5; NULL: no split */
  boolean (*finish)(j_decompress_ptr);
  void (*abort_decompress)(j_decompress_ptr);
  void (*destroy)(j_decompress_ptr);
  int ok;
} lib;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
  void *h = dlopen("libjpeg.so.62", RTLD_NOW | RTLD_LOCAL);
  if (!h) return;
#define SYM(field, name) (*(void **)&lib.field = dlsym(h, name))
  int all = SYM(std_error, "jpeg_std_error") && SYM(create, "jpeg_CreateDecompress") && SYM(mem_src, "jpeg_mem_src") &&
            SYM(save_markers, "jpeg_save_markers") && SYM(read_header, "jpeg_read_header") &&
            SYM(start, "jpeg_start_decompress") && SYM(read_scanlines, "jpeg_read_scanlines") &&
            SYM(finish, "jpeg_finish_decompress") && SYM(destroy, "jpeg_destroy_decompress");
  if (all && !(SYM(skip_scanlines, "jpeg_skip_scanlines") && SYM(abort_decompress, "jpeg_abort_decompress")))
    lib.skip_scanlines = NULL;
#undef SYM
  lib.ok = all; /* the handle stays open for the life of the process, as the library would */
}

typedef struct {
  struct jpeg_error_mgr pub;
  jmp_buf back;
} guard_mgr;

static void on_error(j_common_ptr c) { longjmp(((guard_mgr *)c->err)->back, 1); }
/* a warning (e.g. premature end of data) means the image is not clean: leave it to sharp */
static void on_message(j_common_ptr c, int level) {
  if (level < 0) longjmp(((guard_mgr *)c->err)->back, 1);
}
static void silent(j_common_ptr c) { (void)c; }

/* sharp converts an embedded ICC profile to sRGB, so a JPEG carrying one is left to it — except
 * the one profile most cameras and editors embed, HP's 3,144-byte "sRGB IEC61966-2.1", through
 * which sharp's pixels are the stored ones (tested). Recognised by size and a 64-bit FNV-1a of
 * its bytes, in a single APP2 chunk. */
#define SRGB_ICC_SIZE 3144u
#define SRGB_ICC_FNV 0x56d2cbfca6b54318ull

static int plain_colour(j_decompress_ptr c) {
  int chunks = 0, srgb = 0;
  for (jpeg_saved_marker_ptr m = c->marker_list; m; m = m->next) {
    if (m->marker != JPEG_APP0 + 2 || m->data_length < 14 || memcmp(m->data, "ICC_PROFILE", 12)) continue;
    chunks++;
    if (m->data_length - 14 != SRGB_ICC_SIZE || m->data[12] != 1 || m->data[13] != 1) continue;
    unsigned long long h = 0xcbf29ce484222325ull;
    for (unsigned i = 14; i < m->data_length; i++) h = (h ^ m->data[i]) * 0x100000001b3ull;
    srgb = h == SRGB_ICC_FNV;
  }
  return chunks == 0 || (chunks == 1 && srgb);
}

typedef struct {
  struct jpeg_decompress_struct c;
  guard_mgr err;
  int created;
} session;

/* header only: 1 and the size when the image is one this file decodes */
static int open_session(session *s, const unsigned char *buf, size_t len) {
  s->c.err = lib.std_error(&s->err.pub);
  s->err.pub.error_exit = on_error;
  s->err.pub.emit_message = on_message;
  s->err.pub.output_message = silent;
  lib.create(&s->c, JPEG_LIB_VERSION, sizeof s->c);
  s->created = 1;
  lib.mem_src(&s->c, buf, (unsigned long)len);
  lib.save_markers(&s->c, JPEG_APP0 + 2, 0xffff);
  if (lib.read_header(&s->c, TRUE) != JPEG_HEADER_OK) return 0;
  if (s->c.saw_Adobe_marker || !plain_colour(&s->c)) return 0;
  if (!(s->c.jpeg_color_space == JCS_YCbCr && s->c.num_components == 3) &&
      !(s->c.jpeg_color_space == JCS_GRAYSCALE && s->c.num_components == 1))
    return 0;
  return 1;
}

/* Rows [from, to) of the w × h image into pixels (w·3 bytes a row), in a session of its own. Rows
 * before `from` are skipped: their entropy-coded data is read (so a corrupt stretch still warns,
 * and any warning answers 0), their IDCT and colour conversion are not. A part that ends before
 * the image does is abandoned there. */
static int decode_rows(const unsigned char *buf, size_t len, long w, long h, unsigned char *pixels, long from, long to) {
  session *s = calloc(1, sizeof *s);
  if (!s) return 0;
  volatile int ok = 0; /* written after setjmp and read after a longjmp */
  if (setjmp(s->err.back) == 0) {
    if (open_session(s, buf, len)) {
      s->c.out_color_space = JCS_RGB;
      lib.start(&s->c);
      if (s->c.output_components == 3 && (long)s->c.output_width == w && (long)s->c.output_height == h &&
          (from == 0 || lib.skip_scanlines(&s->c, (JDIMENSION)from) == (JDIMENSION)from)) {
        while ((long)s->c.output_scanline < to) {
          JSAMPROW row = pixels + (size_t)s->c.output_scanline * w * 3;
          if (lib.read_scanlines(&s->c, &row, 1) != 1) break;
        }
        if ((long)s->c.output_scanline == to) {
          if (to == h) lib.finish(&s->c);
          else lib.abort_decompress(&s->c);
          ok = 1;
        }
      }
    }
  }
  if (s->created) lib.destroy(&s->c);
  free(s);
  return ok;
}

/* The header alone: 1, the size, and whether the scan is sequential, for an image decoded here */
static int probe(const unsigned char *buf, size_t len, long max_pixels, long *w, long *h, int *sequential) {
  session *s = calloc(1, sizeof *s);
  if (!s) return 0;
  volatile int ok = 0;
  if (setjmp(s->err.back) == 0) {
    if (open_session(s, buf, len)) {
      *w = s->c.image_width;
      *h = s->c.image_height;
      *sequential = !s->c.progressive_mode && !s->c.arith_code;
      ok = *w >= 1 && *h >= 1 && *w <= 65535 && *h <= 65535 && *w * *h <= max_pixels;
    }
  }
  if (s->created) lib.destroy(&s->c);
  free(s);
  return ok;
}
#endif

int dn_jpeg_available(void) {
#if DN_JPEG
  pthread_once(&once, load);
  return lib.ok;
#else
  return 0;
#endif
}

/* Two parts only from this many rows and pixels: below, the second thread's start and the header
 * read again cost about what it saves. */
#define SPLIT_MIN_ROWS 64
#define SPLIT_MIN_PIXELS 65536L

int dn_jpeg_decode(const unsigned char *buf, size_t len, long max_pixels, unsigned char *into, size_t into_len, int parts,
                   dn_jpeg_image *out) {
  memset(out, 0, sizeof *out);
#if DN_JPEG
  if (!dn_jpeg_available() || len < 4 || buf[0] != 0xFF || buf[1] != 0xD8 || buf[2] != 0xFF) return 0;
  long w = 0, h = 0;
  int sequential = 0;
  if (!probe(buf, len, max_pixels, &w, &h, &sequential)) return 0;
  size_t bytes = (size_t)w * h * 3;
  int owned = !(into && into_len >= bytes);
  unsigned char *pixels = owned ? malloc(bytes) : into;
  if (!pixels) return 0;
  /* Huffman decoding is sequential: a second part must read (not decode) the entropy data of the
   * rows above it to find where its own begin, about half the cost of decoding them (measured on
   * camera photos). The first part therefore takes ~2/3 of the rows, so that both end together:
   * 768×576 in ~2.3 ms instead of ~3.1. A progressive image decodes all its scans before its
   * first row, so each part would repeat most of the work: one part. Rows are cut at multiples of
   * 16 (an iMCU row at most), which skip_scanlines passes over without decoding pixels. */
  long cut = 0;
  if (parts >= 2 && lib.skip_scanlines && sequential && h >= SPLIT_MIN_ROWS && w * h >= SPLIT_MIN_PIXELS) cut = (h * 17 / 25) & ~15L;
  int ok;
  if (cut > 0) {
    int done[2] = {0, 0};
    /* each part is one task whatever the thread count: the same bytes either way */
#pragma omp parallel for num_threads(2) schedule(static, 1)
    for (int p = 0; p < 2; p++) done[p] = p == 0 ? decode_rows(buf, len, w, h, pixels, 0, cut) : decode_rows(buf, len, w, h, pixels, cut, h);
    ok = done[0] && done[1];
  } else {
    ok = decode_rows(buf, len, w, h, pixels, 0, h);
  }
  if (!ok) {
    if (owned) free(pixels);
    return 0;
  }
  out->pixels = pixels;
  out->width = (int)w;
  out->height = (int)h;
  out->owned = owned;
  out->parts = cut > 0 ? 2 : 1;
  return 1;
#else
  (void)buf; (void)len; (void)max_pixels; (void)into; (void)into_len; (void)parts;
  return 0;
#endif
}

const char *dn_jpeg_version(void) {
#if DN_JPEG && defined(LIBJPEG_TURBO_VERSION)
#define DN_STR2(x) #x
#define DN_STR(x) DN_STR2(x)
  return dn_jpeg_available() ? "libjpeg-turbo " DN_STR(LIBJPEG_TURBO_VERSION) " (headers; libjpeg.so.62 at run time)" : NULL;
#else
  return dn_jpeg_available() ? "libjpeg.so.62" : NULL;
#endif
}
