/* The recurrent scans forward, one per cell (native/blas/rnn.c documents the cells and layouts). */
/* -O3 for this file: the gate loops are written to vectorise (build-native.mjs builds at -O2). */
#pragma GCC optimize("O3", "no-trapping-math")

#include <string.h>

#include "rnn-math.h"

/* A masked row keeps its states and outputs the previous output (zeros with zeroOutput). */
INLINE void masked_row(const rnn_config *c, float *y, const float *h_prev, float *h_next, int64_t n) {
  memcpy(h_next, h_prev, (size_t)n * sizeof(float));
  if (c->zero_output) memset(y, 0, (size_t)n * sizeof(float));
  else memcpy(y, h_prev, (size_t)n * sizeof(float));
}

SIMD_CLONES void lstm_forward(const rnn_config *c, const float *pre, const float *k, const float *bias, const uint8_t *keep,
                  float *H, float *C, float *Y, float *saved, float *hu, float *zbuf) {
  const int64_t B = c->b, T = c->t, u = c->u, g4 = 4 * u, bu = B * u;
  for (int64_t s = 0; s < T; s++) {
    const int64_t ti = input_step(c, s);
    gemm(false, false, B, g4, u, H + s * bu, u, k, g4, 0.0f, hu, g4);
    for (int64_t b = 0; b < B; b++) {
      const float *p = pre + (b * T + ti) * g4, *r = hu + b * g4, *cp = C + s * bu + b * u;
      float *g = saved + (s * B + b) * 5 * u, *ac = g + g4;
      float *cn = C + (s + 1) * bu + b * u, *hn = H + (s + 1) * bu + b * u, *y = out_row(c, Y, b, s);
      const bool kept = keeps(c, keep, b, s);
      float *z = zbuf;
      for (int64_t j = 0; j < g4; j++) z[j] = p[j] + r[j];
      if (bias)
        for (int64_t j = 0; j < g4; j++) z[j] += bias[j];
      activate(c->rec, g, z, 2 * u); /* i, f */
      activate(c->act, g + 2 * u, z + 2 * u, u);
      activate(c->rec, g + 3 * u, z + 3 * u, u);
      const float *i = g, *f = g + u, *gg = g + 2 * u, *o = g + 3 * u;
      for (int64_t j = 0; j < u; j++) z[j] = f[j] * cp[j] + i[j] * gg[j]; /* c' */
      activate(c->act, ac, z, u);
      if (kept)
        for (int64_t j = 0; j < u; j++) cn[j] = z[j], hn[j] = y[j] = o[j] * ac[j];
      if (!kept) {
        memcpy(cn, cp, (size_t)u * sizeof(float));
        masked_row(c, y, H + s * bu + b * u, hn, u);
      }
    }
  }
}

SIMD_CLONES void gru_forward(const rnn_config *c, const float *pre, const float *k, const float *rb, const uint8_t *keep, float *H,
                 float *Y, float *saved, float *inner, float *rh, float *zbuf) {
  const int64_t B = c->b, T = c->t, u = c->u, g3 = 3 * u, bu = B * u;
  const bool after = c->reset_after != 0;
  for (int64_t s = 0; s < T; s++) {
    const int64_t ti = input_step(c, s);
    const float *hp = H + s * bu;
    gemm(false, false, B, after ? g3 : 2 * u, u, hp, u, k, g3, 0.0f, inner, g3);
    for (int64_t b = 0; b < B; b++) {
      const float *p = pre + (b * T + ti) * g3;
      float *in = inner + b * g3, *sv = saved + (s * B + b) * 4 * u;
      float *z = zbuf;
      for (int64_t j = 0; j < 2 * u; j++) z[j] = p[j] + (after && rb ? in[j] + rb[j] : in[j]);
      activate(c->rec, sv, z, 2 * u); /* z, r */
      for (int64_t j = 0; j < u; j++) {
        if (after) sv[3 * u + j] = rb ? in[2 * u + j] + rb[2 * u + j] : in[2 * u + j];
        else rh[b * u + j] = sv[3 * u + j] = sv[u + j] * hp[b * u + j];
      }
    }
    if (!after) gemm(false, false, B, u, u, rh, u, k + 2 * u, g3, 0.0f, inner, g3); /* (r·h)·U_h */
    for (int64_t b = 0; b < B; b++) {
      const float *p = pre + (b * T + ti) * g3 + 2 * u, *h0 = hp + b * u;
      float *sv = saved + (s * B + b) * 4 * u, *hn = H + (s + 1) * bu + b * u, *y = out_row(c, Y, b, s);
      const bool kept = keeps(c, keep, b, s);
      float *z = zbuf;
      for (int64_t j = 0; j < u; j++) z[j] = p[j] + (after ? sv[u + j] * sv[3 * u + j] : inner[b * g3 + j]);
      activate(c->act, sv + 2 * u, z, u); /* hh */
      if (kept)
        for (int64_t j = 0; j < u; j++) hn[j] = y[j] = sv[j] * h0[j] + (1.0f - sv[j]) * sv[2 * u + j];
      if (!kept) masked_row(c, y, h0, hn, u);
    }
  }
}

SIMD_CLONES void simple_forward(const rnn_config *c, const float *pre, const float *k, const uint8_t *keep, float *H, float *Y,
                    float *saved, float *hu, float *zbuf) {
  const int64_t B = c->b, T = c->t, u = c->u, bu = B * u;
  for (int64_t s = 0; s < T; s++) {
    const int64_t ti = input_step(c, s);
    gemm(false, false, B, u, u, H + s * bu, u, k, u, 0.0f, hu, u);
    for (int64_t b = 0; b < B; b++) {
      const float *p = pre + (b * T + ti) * u, *r = hu + b * u;
      float *a = saved + (s * B + b) * u, *hn = H + (s + 1) * bu + b * u, *y = out_row(c, Y, b, s);
      const bool kept = keeps(c, keep, b, s);
      for (int64_t j = 0; j < u; j++) zbuf[j] = p[j] + r[j];
      activate(c->act, a, zbuf, u);
      if (kept) memcpy(hn, a, (size_t)u * sizeof(float)), memcpy(y, a, (size_t)u * sizeof(float));
      else masked_row(c, y, H + s * bu + b * u, hn, u);
    }
  }
}
