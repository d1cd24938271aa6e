/* The recurrent scans backward, one per cell (native/blas/rnn.c documents the cells and layouts). */
/* -O3 for this file: the gate loops are written to vectorise (build-native.mjs builds at -O2). */
#pragma GCC optimize("O3", "no-trapping-math")

#include <stdlib.h>
#include <string.h>

#include "rnn-math.h"

/* Column sums of a [rows, cols] matrix in double: a bias gradient. */
SIMD_CLONES static void column_sums(const float *m, int64_t rows, int64_t cols, int64_t ld, float *out) {
  double *acc = calloc((size_t)cols, sizeof(double));
  if (acc == NULL) return;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < cols; j++) acc[j] += m[r * ld + j];
  for (int64_t j = 0; j < cols; j++) out[j] = (float)acc[j];
  free(acc);
}

/* A masked row's step gradient and input-term gradient are 0 (both buffers arrive unzeroed). */
INLINE void zero_step(float *step, float *d_pre, int64_t n) {
  memset(step, 0, (size_t)n * sizeof(float));
  memset(d_pre, 0, (size_t)n * sizeof(float));
}

/* The gradient a masked row passes back: its carried state's, plus its output's unless outputs were zeros. */
INLINE void masked_grad(const rnn_config *c, const float *dh, const float *dy, float *dh_prev, int64_t n) {
  for (int64_t j = 0; j < n; j++) dh_prev[j] = c->zero_output ? dh[j] : dh[j] + dy[j];
}

SIMD_CLONES void lstm_backward(const rnn_config *c, const float *kt, const uint8_t *keep, const float *H, const float *C,
                   const float *saved, const float *dY, float *dPre, float *dKernel, float *dBias, float *dh, float *dc,
                   float *dh_prev, float *dz, float *slope_buf) {
  const int64_t B = c->b, T = c->t, u = c->u, g4 = 4 * u, bu = B * u;
  for (int64_t s = T - 1; s >= 0; s--) {
    const int64_t ti = input_step(c, s);
    for (int64_t b = 0; b < B; b++) {
      const int64_t r0 = b * u;
      const float *dy = out_row(c, dY, b, s);
      if (!keeps(c, keep, b, s)) {
        masked_grad(c, dh + r0, dy, dh_prev + r0, u);
        zero_step(dz + (s * B + b) * g4, dPre + (b * T + ti) * g4, g4);
        continue;
      }
      const float *g = saved + (s * B + b) * 5 * u, *ac = g + g4, *cp = C + s * bu + r0;
      const float *i = g, *f = g + u, *gg = g + 2 * u, *o = g + 3 * u;
      float *z = dz + (s * B + b) * g4, *p = dPre + (b * T + ti) * g4;
      /* the activations' slopes first (vectorised), then the chain rule with no calls in the loop */
      float *sa = slope_buf, *si = sa + u, *sf = si + u, *sg = sf + u, *so = sg + u;
      slopes(c->act, sa, ac, u);
      slopes(c->rec, si, i, 2 * u); /* i and f */
      slopes(c->act, sg, gg, u);
      slopes(c->rec, so, o, u);
      float *restrict dcr = dc + r0, *restrict dhp = dh_prev + r0;
      const float *restrict dhr = dh + r0;
      for (int64_t j = 0; j < u; j++) {
        const float dht = dhr[j] + dy[j];
        const float dct = dcr[j] + dht * o[j] * sa[j];
        z[j] = dct * gg[j] * si[j];
        z[u + j] = dct * cp[j] * sf[j];
        z[2 * u + j] = dct * i[j] * sg[j];
        z[3 * u + j] = dht * ac[j] * so[j];
        dcr[j] = dct * f[j];
        dhp[j] = 0.0f;
      }
      memcpy(p, z, (size_t)g4 * sizeof(float));
    }
    gemm(false, false, B, u, g4, dz + s * B * g4, g4, kt, u, 1.0f, dh_prev, u);
    memcpy(dh, dh_prev, (size_t)bu * sizeof(float));
  }
  gemm(true, false, u, g4, T * B, H, u, dz, g4, 0.0f, dKernel, g4);
  if (dBias) column_sums(dz, T * B, g4, g4, dBias);
}

SIMD_CLONES void gru_backward(const rnn_config *c, const float *kt, const uint8_t *keep, const float *H, const float *saved,
                  const float *dY, float *dPre, float *dKernel, float *dBias, float *dh, float *dh_prev, float *d,
                  float *da, float *drh, float *slope_buf) {
  const int64_t B = c->b, T = c->t, u = c->u, g3 = 3 * u, bu = B * u;
  const bool after = c->reset_after != 0;
  for (int64_t s = T - 1; s >= 0; s--) {
    const int64_t ti = input_step(c, s);
    const float *hp = H + s * bu;
    for (int64_t b = 0; b < B; b++) {
      const int64_t r0 = b * u;
      const float *dy = out_row(c, dY, b, s), *sv = saved + (s * B + b) * 4 * u;
      if (!keeps(c, keep, b, s)) {
        masked_grad(c, dh + r0, dy, dh_prev + r0, u);
        zero_step(d + (s * B + b) * g3, dPre + (b * T + ti) * g3, g3);
        memset(da + r0, 0, (size_t)u * sizeof(float));
        continue;
      }
      /* slopes first (vectorised; saved holds z, r, ĥ, …): sz, sh */
      float *sz = slope_buf, *sh = slope_buf + u;
      slopes(c->rec, sz, sv, u);
      slopes(c->act, sh, sv + 2 * u, u);
      for (int64_t j = 0; j < u; j++) {
        const float dht = dh[r0 + j] + dy[j], z = sv[j], hh = sv[2 * u + j];
        dh_prev[r0 + j] = dht * z;
        da[r0 + j] = dht * (1.0f - z) * sh[j];
        d[(s * B + b) * g3 + j] = dht * (hp[r0 + j] - hh) * sz[j];
      }
    }
    if (!after) gemm(false, false, B, u, u, da, u, kt + 2 * u * u, u, 0.0f, drh, u); /* d(r·h) = da·U_hᵀ */
    for (int64_t b = 0; b < B; b++) {
      if (!keeps(c, keep, b, s)) continue;
      const int64_t r0 = b * u;
      const float *sv = saved + (s * B + b) * 4 * u;
      float *dd = d + (s * B + b) * g3, *p = dPre + (b * T + ti) * g3, *sr = slope_buf;
      slopes(c->rec, sr, sv + u, u);
      for (int64_t j = 0; j < u; j++) {
        const float r = sv[u + j];
        float dr;
        if (after) {
          dr = da[r0 + j] * sv[3 * u + j];
          dd[2 * u + j] = da[r0 + j] * r;
        } else {
          dr = drh[r0 + j] * hp[r0 + j];
          dh_prev[r0 + j] += drh[r0 + j] * r;
          dd[2 * u + j] = da[r0 + j];
        }
        dd[u + j] = dr * sr[j];
        p[j] = dd[j], p[u + j] = dd[u + j], p[2 * u + j] = da[r0 + j];
      }
    }
    gemm(false, false, B, u, after ? g3 : 2 * u, d + s * B * g3, g3, kt, u, 1.0f, dh_prev, u);
    memcpy(dh, dh_prev, (size_t)bu * sizeof(float));
  }
  gemm(true, false, u, after ? g3 : 2 * u, T * B, H, u, d, g3, 0.0f, dKernel, g3);
  if (!after) {
    /* dU_h = Σ (r·h)ᵀ·da: r·h is the saved block's last quarter (leading dimension 4u) */
    gemm(true, false, u, u, T * B, saved + 3 * u, 4 * u, d + 2 * u, g3, 0.0f, dKernel + 2 * u, g3);
  }
  if (after && dBias) column_sums(d, T * B, g3, g3, dBias);
}

SIMD_CLONES void simple_backward(const rnn_config *c, const float *kt, const uint8_t *keep, const float *H, const float *saved,
                     const float *dY, float *dPre, float *dKernel, float *dh, float *dh_prev, float *dz,
                     float *slope_buf) {
  const int64_t B = c->b, T = c->t, u = c->u, bu = B * u;
  for (int64_t s = T - 1; s >= 0; s--) {
    const int64_t ti = input_step(c, s);
    for (int64_t b = 0; b < B; b++) {
      const int64_t r0 = b * u;
      const float *dy = out_row(c, dY, b, s), *a = saved + (s * B + b) * u;
      if (!keeps(c, keep, b, s)) {
        masked_grad(c, dh + r0, dy, dh_prev + r0, u);
        zero_step(dz + (s * B + b) * u, dPre + (b * T + ti) * u, u);
        continue;
      }
      float *z = dz + (s * B + b) * u, *p = dPre + (b * T + ti) * u, *sa = slope_buf;
      slopes(c->act, sa, a, u); /* vectorised, then the chain rule with no calls in the loop */
      for (int64_t j = 0; j < u; j++) {
        p[j] = z[j] = (dh[r0 + j] + dy[j]) * sa[j];
        dh_prev[r0 + j] = 0.0f;
      }
    }
    gemm(false, false, B, u, u, dz + s * bu, u, kt, u, 1.0f, dh_prev, u);
    memcpy(dh, dh_prev, (size_t)bu * sizeof(float));
  }
  gemm(true, false, u, u, T * B, H, u, dz, u, 0.0f, dKernel, u);
}
