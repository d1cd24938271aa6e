/*
 * im2col / col2im for NHWC convolutions with dilation 1, so that Conv2D, Conv2DBackpropInput and
 * Conv2DBackpropFilter are each one sgemm:
 *   cols[n, oh, ow, (i·FW + j)·C + c] = x[n, oh·SH + i − top, ow·SW + j − left, c]   (0 outside the image)
 * i.e. one row of K = FH·FW·C values per output pixel, in the order of a [FH, FW, C, Cout] filter.
 * col2im is its adjoint: x = Σ of every cols value back at the input pixel it was read from.
 * Written in C because these are plain memory passes that the JS versions ran at a fraction of memcpy speed.
 */
#include <stdio.h>
#include <string.h>

#include "conv.h"

typedef struct {
  int64_t n, h, w, c, fh, fw, sh, sw, top, left, oh, ow;
} geometry;

/*
 * fn(image or cols, N, H, W, C, FH, FW, SH, SW, padTop, padLeft, OH, OW, cols or image): reads and
 * checks all 14 arguments; `x_first` says which end holds the image.
 */
static bool read_call(napi_env env, napi_callback_info info, const char *fn, bool x_first, geometry *g, float **x, float **cols) {
  napi_value argv[14];
  if (!get_args(env, info, fn, 14, argv)) return false;
  static const char *names[12] = {"N", "H", "W", "C", "FH", "FW", "SH", "SW", "padTop", "padLeft", "OH", "OW"};
  int64_t *fields[12] = {&g->n, &g->h, &g->w, &g->c, &g->fh, &g->fw, &g->sh, &g->sw, &g->top, &g->left, &g->oh, &g->ow};
  char name[64];
  for (int i = 0; i < 12; i++) {
    snprintf(name, sizeof name, "%s: %s", fn, names[i]);
    // Strides are at least 1; every other size or padding at least 0.
    if (!arg_int(env, argv[1 + i], name, i == 6 || i == 7 ? 1 : 0, fields[i])) return false;
  }
  size_t lx, lc;
  snprintf(name, sizeof name, "%s: x", fn);
  if (!arg_f32(env, argv[x_first ? 0 : 13], name, x, &lx)) return false;
  snprintf(name, sizeof name, "%s: cols", fn);
  if (!arg_f32(env, argv[x_first ? 13 : 0], name, cols, &lc)) return false;
  uint64_t nx, nc;
  if (!mul_size(env, fn, (uint64_t)g->n * (uint64_t)g->h, (uint64_t)g->w, &nx) || !mul_size(env, fn, nx, (uint64_t)g->c, &nx) ||
      !mul_size(env, fn, (uint64_t)g->n * (uint64_t)g->oh, (uint64_t)g->ow, &nc) ||
      !mul_size(env, fn, nc, (uint64_t)g->fh * (uint64_t)g->fw, &nc) || !mul_size(env, fn, nc, (uint64_t)g->c, &nc))
    return false;
  return need_length(env, fn, "x", lx, nx) && need_length(env, fn, "cols", lc, nc);
}

/*
 * The input columns [jlo, jhi) of filter taps j whose pixel ow·SW + j − left lies inside the image;
 * they are contiguous in x (and in a cols row), so each filter row i is one copy or one add loop.
 */
static void tap_range(const geometry *g, int64_t ow, int64_t *iw0, int64_t *jlo, int64_t *jhi) {
  *iw0 = ow * g->sw - g->left;
  int64_t lo = *iw0 < 0 ? -*iw0 : 0, hi = g->w - *iw0;
  if (lo > g->fw) lo = g->fw;
  if (hi > g->fw) hi = g->fw;
  if (hi < lo) hi = lo;
  *jlo = lo;
  *jhi = hi;
}

/* Small runs (a few channels, e.g. the first layer's one) are most of the work: plain loops, no libc calls. */
static inline void zero(float *dst, int64_t n) {
  for (int64_t e = 0; e < n; e++) dst[e] = 0.0f;
}

static inline void copy(float *restrict dst, const float *restrict src, int64_t n) {
  for (int64_t e = 0; e < n; e++) dst[e] = src[e];
}

/* restrict: cols and x never overlap, which lets -O2 vectorise the add without a runtime alias check. */
static inline void add(float *restrict dst, const float *restrict src, int64_t n) {
  for (int64_t e = 0; e < n; e++) dst[e] += src[e];
}

napi_value im2col(napi_env env, napi_callback_info info) {
  geometry g;
  float *x, *cols;
  if (!read_call(env, info, "im2col", true, &g, &x, &cols)) return NULL;
  const int64_t k = g.fh * g.fw * g.c, rowlen = g.fw * g.c;
  float *row = cols;
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t oh = 0; oh < g.oh; oh++)
      for (int64_t ow = 0; ow < g.ow; ow++, row += k) {
        int64_t iw0, jlo, jhi;
        tap_range(&g, ow, &iw0, &jlo, &jhi);
        for (int64_t i = 0; i < g.fh; i++) {
          float *dst = row + i * rowlen;
          const int64_t ih = oh * g.sh + i - g.top;
          if (ih < 0 || ih >= g.h || jhi == jlo) {
            zero(dst, rowlen);
            continue;
          }
          zero(dst, jlo * g.c);
          copy(dst + jlo * g.c, x + ((n * g.h + ih) * g.w + iw0 + jlo) * g.c, (jhi - jlo) * g.c);
          zero(dst + jhi * g.c, (g.fw - jhi) * g.c);
        }
      }
  return NULL;
}

napi_value col2im(napi_env env, napi_callback_info info) {
  geometry g;
  float *x, *cols;
  if (!read_call(env, info, "col2im", false, &g, &x, &cols)) return NULL;
  const int64_t k = g.fh * g.fw * g.c, rowlen = g.fw * g.c;
  memset(x, 0, (size_t)(g.n * g.h * g.w * g.c) * sizeof(float));
  const float *row = cols;
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t oh = 0; oh < g.oh; oh++)
      for (int64_t ow = 0; ow < g.ow; ow++, row += k) {
        int64_t iw0, jlo, jhi;
        tap_range(&g, ow, &iw0, &jlo, &jhi);
        for (int64_t i = 0; i < g.fh; i++) {
          const int64_t ih = oh * g.sh + i - g.top;
          if (ih < 0 || ih >= g.h) continue;
          const float *src = row + i * rowlen + jlo * g.c;
          float *dst = x + ((n * g.h + ih) * g.w + iw0 + jlo) * g.c;
          add(dst, src, (jhi - jlo) * g.c);
        }
      }
  return NULL;
}
