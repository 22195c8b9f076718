/* Winograd F(2×2, 3×3) for 3×3 stride-1 pad-1 convolutions in fast numerics (Lavin & Gray,
 * "Fast Algorithms for Convolutional Neural Networks", 2016). Each 2×2 block of outputs takes
 * 16 products per input channel instead of 36: the 16 positions of a 4×4 transformed tile are
 * 16 independent matrix products U[ξ] (filters × channels) · V[ξ] (channels × tiles), done by
 * the BLAS. The transforms only add, subtract and halve, so outputs stay within ~1e-6 relative of
 * the direct sum (the parity tests bound the detections). Tiles are processed in chunks of
 * tile rows whose transformed input and products fit in Darknet's im2col workspace.
 *
 *   U = G g Gᵀ,  V = Bᵀ d B,  Y = Aᵀ (U ⊙ V) A   with
 *   Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1],
 *   Aᵀ = [1 1 1 0; 0 1 -1 -1]. */
#include "winograd.h"

#include "matmul.h"

/* Budget for one chunk's transformed input plus products, in floats (16 MB): L3-sized. */
#define CHUNK_FLOATS (4u << 20)

static int tile_rows_per_chunk(int c, int m, int tiles_w) {
  size_t per_row = (size_t)16 * (c + m) * tiles_w;
  size_t rows = CHUNK_FLOATS / per_row;
  return rows < 1 ? 1 : (int)rows;
}

size_t dn_winograd_workspace(int c, int m, int h, int w) {
  int tiles_w = (w + 1) / 2, tiles_h = (h + 1) / 2;
  int rows = tile_rows_per_chunk(c, m, tiles_w);
  if (rows > tiles_h) rows = tiles_h;
  return (size_t)16 * (c + m) * rows * tiles_w * sizeof(float);
}

void dn_winograd_weights(const float *w, int m, int c, float *u) {
  size_t mc = (size_t)m * c;
#pragma omp parallel for schedule(static)
  for (int f = 0; f < m; f++)
    for (int ch = 0; ch < c; ch++) {
      const float *g = w + ((size_t)f * c + ch) * 9;
      float t[4][3], r[4][4];
      for (int j = 0; j < 3; j++) {
        t[0][j] = g[j];
        t[1][j] = .5f * (g[j] + g[3 + j] + g[6 + j]);
        t[2][j] = .5f * (g[j] - g[3 + j] + g[6 + j]);
        t[3][j] = g[6 + j];
      }
      for (int i = 0; i < 4; i++) {
        r[i][0] = t[i][0];
        r[i][1] = .5f * (t[i][0] + t[i][1] + t[i][2]);
        r[i][2] = .5f * (t[i][0] - t[i][1] + t[i][2]);
        r[i][3] = t[i][2];
      }
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) u[(size_t)(i * 4 + j) * mc + (size_t)f * c + ch] = r[i][j];
    }
}

/* V[ξ][ch][t] for the tiles of tile rows [ty0, ty1): t counts tiles within the chunk. */
static void input_transform(const float *in, int c, int h, int w, int tiles_w, int ty0, int ty1, float *v) {
  int nt = (ty1 - ty0) * tiles_w;
  size_t xi_stride = (size_t)c * nt;
#pragma omp parallel for schedule(static)
  for (int ch = 0; ch < c; ch++) {
    const float *plane = in + (size_t)ch * h * w;
    for (int ty = ty0; ty < ty1; ty++)
      for (int tx = 0; tx < tiles_w; tx++) {
        float d[4][4];
        int y0 = 2 * ty - 1, x0 = 2 * tx - 1;
        for (int i = 0; i < 4; i++) {
          int y = y0 + i;
          for (int j = 0; j < 4; j++) {
            int x = x0 + j;
            d[i][j] = (y >= 0 && y < h && x >= 0 && x < w) ? plane[(size_t)y * w + x] : 0.f;
          }
        }
        float t[4][4];
        for (int j = 0; j < 4; j++) {
          t[0][j] = d[0][j] - d[2][j];
          t[1][j] = d[1][j] + d[2][j];
          t[2][j] = d[2][j] - d[1][j];
          t[3][j] = d[1][j] - d[3][j];
        }
        size_t at = (size_t)ch * nt + (size_t)(ty - ty0) * tiles_w + tx;
        for (int i = 0; i < 4; i++) {
          v[(i * 4 + 0) * xi_stride + at] = t[i][0] - t[i][2];
          v[(i * 4 + 1) * xi_stride + at] = t[i][1] + t[i][2];
          v[(i * 4 + 2) * xi_stride + at] = t[i][2] - t[i][1];
          v[(i * 4 + 3) * xi_stride + at] = t[i][1] - t[i][3];
        }
      }
  }
}

/* Y = Aᵀ M A for each filter and tile, plus the bias, written into the output planes. */
static void output_transform(const float *prod, const float *bias, int m, int h, int w, int tiles_w, int ty0, int ty1,
                             float *out) {
  int nt = (ty1 - ty0) * tiles_w;
  size_t xi_stride = (size_t)m * nt;
#pragma omp parallel for schedule(static)
  for (int f = 0; f < m; f++) {
    float *plane = out + (size_t)f * h * w;
    for (int ty = ty0; ty < ty1; ty++)
      for (int tx = 0; tx < tiles_w; tx++) {
        size_t at = (size_t)f * nt + (size_t)(ty - ty0) * tiles_w + tx;
        float p[4][4], o[2][4];
        for (int i = 0; i < 4; i++)
          for (int j = 0; j < 4; j++) p[i][j] = prod[(i * 4 + j) * xi_stride + at];
        for (int j = 0; j < 4; j++) {
          o[0][j] = p[0][j] + p[1][j] + p[2][j];
          o[1][j] = p[1][j] - p[2][j] - p[3][j];
        }
        for (int i = 0; i < 2; i++) {
          int y = 2 * ty + i;
          if (y >= h) break;
          float y0v = o[i][0] + o[i][1] + o[i][2] + bias[f];
          float y1v = o[i][1] - o[i][2] - o[i][3] + bias[f];
          int x = 2 * tx;
          plane[(size_t)y * w + x] = y0v;
          if (x + 1 < w) plane[(size_t)y * w + x + 1] = y1v;
        }
      }
  }
}

void dn_winograd_conv(const float *in, const float *u, const float *bias, float *out, int c, int m, int h, int w,
                      float *workspace) {
  int tiles_w = (w + 1) / 2, tiles_h = (h + 1) / 2;
  int rows = tile_rows_per_chunk(c, m, tiles_w);
  for (int ty0 = 0; ty0 < tiles_h; ty0 += rows) {
    int ty1 = ty0 + rows < tiles_h ? ty0 + rows : tiles_h;
    int nt = (ty1 - ty0) * tiles_w;
    float *v = workspace, *prod = workspace + (size_t)16 * c * nt;
    input_transform(in, c, h, w, tiles_w, ty0, ty1, v);
    /* the 16 products at once: tiles of all of them share the threads (matmul.c) */
    dn_matmul_batch(16, m, nt, c, u, (size_t)m * c, c, v, (size_t)c * nt, nt, prod, (size_t)m * nt, nt);
    output_transform(prod, bias, m, h, w, tiles_w, ty0, ty1, out);
  }
}
