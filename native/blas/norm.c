/*
 * Layer normalization's two kernels for the wasm backend's DtrainLayerNorm / DtrainLayerNormGrad
 * (src/core/tfjs/kernels/layer-norm.ts has the JavaScript loops these equal bit for bit, and the
 * formula). Same operations in the same order: the row sums in float64 in the 8 lanes of lanes.h
 * (an order both follow; no -ffast-math, which would let the compiler pick another); the per-column passes in
 * float32 or float64 as the JavaScript does, which the compiler vectorises at -O3 without changing
 * a result (each column's value alone, exactly rounded). No contraction into fused multiply-adds
 * (machines that have FMA would round differently from JavaScript).
 *
 *   layerNorm(x, gamma, beta, epsilon, y, mean, rstd)
 *   layerNormGrad(dy, x, mean, rstd, gamma, dx, dgamma, dbeta)
 * cols = gamma's length, rows = x's length / cols.
 */
#include <math.h>
#include <stdlib.h>

#include "lanes.h"
#include "norm.h"

#pragma GCC optimize("O3", "fp-contract=off")
#ifdef __clang__
#pragma clang fp contract(off)
#endif

WIDE_VECTORS static void norm_rows(const float *restrict x, const float *restrict gamma, const float *restrict beta, double eps,
                      float *restrict y, float *restrict mean, float *restrict rstd, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols;
    float *yr = y + r * cols;
    double s, v;
#define X(j) xr[j]
    LANE_SUM(s, cols, X);
#undef X
    const double m = s / (double)cols;
#define SQ(j) (((double)xr[j] - m) * ((double)xr[j] - m))
    LANE_SUM(v, cols, SQ);
#undef SQ
    const float inv = (float)(1 / sqrt(v / (double)cols + eps));
    const float mf = (float)m;
    // Keras's float32 order: x·(inv·γ) + (β − mean·(inv·γ)), each product and sum rounded.
    for (size_t j = 0; j < cols; j++) {
      const float k = inv * gamma[j];
      yr[j] = xr[j] * k + (beta[j] - mf * k);
    }
    mean[r] = mf;
    rstd[r] = inv;
  }
}

/* x̂ = (x − mean)·rstd, g = dy·γ: dx = rstd·(g − mean(g) − x̂·mean(g·x̂)); dγ = Σ dy·x̂, dβ = Σ dy (dg, db: float64). */
WIDE_VECTORS static void norm_grad_rows(const float *restrict dy, const float *restrict x, const float *restrict mean,
                           const float *restrict rstd, const float *restrict gamma, float *restrict dx, double *restrict dg,
                           double *restrict db, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; r++) {
    const float *dyr = dy + r * cols, *xr = x + r * cols;
    float *dxr = dx + r * cols;
    const double m = mean[r], inv = rstd[r];
    double sg, sgx;
#define G(j) ((double)dyr[j] * gamma[j])
#define GX(j) (G(j) * (((double)xr[j] - m) * inv))
    LANE_SUM(sg, cols, G);
    LANE_SUM(sgx, cols, GX);
#undef GX
#undef G
    for (size_t j = 0; j < cols; j++) {
      const double d = dyr[j];
      dg[j] += d * ((xr[j] - m) * inv);
      db[j] += d;
    }
    const double mg = sg / (double)cols, mgx = sgx / (double)cols;
    for (size_t j = 0; j < cols; j++) {
      const double xh = (xr[j] - m) * inv;
      dxr[j] = (float)(inv * ((double)dyr[j] * gamma[j] - mg - xh * mgx));
    }
  }
}

/* cols = gamma's length; x holds whole rows of it; `others` (beta, gamma-like arrays) have cols each. */
static bool row_shape(napi_env env, const char *fn, size_t x_len, size_t cols, size_t *rows) {
  if (cols == 0 || x_len % cols != 0) {
    throw_range(env, "%s: x has %zu elements, not whole rows of gamma's %zu", fn, x_len, cols);
    return false;
  }
  *rows = x_len / cols;
  return true;
}

napi_value layer_norm(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!get_args(env, info, "layerNorm", 7, argv)) return NULL;
  float *x, *gamma, *beta, *y, *mean, *rstd;
  size_t lx, lg, lb, ly, lm, lr, rows;
  double eps;
  if (!arg_f32(env, argv[0], "layerNorm: x", &x, &lx) || !arg_f32(env, argv[1], "layerNorm: gamma", &gamma, &lg) ||
      !arg_f32(env, argv[2], "layerNorm: beta", &beta, &lb) || !arg_number(env, argv[3], "layerNorm: epsilon", &eps) ||
      !arg_f32(env, argv[4], "layerNorm: y", &y, &ly) || !arg_f32(env, argv[5], "layerNorm: mean", &mean, &lm) ||
      !arg_f32(env, argv[6], "layerNorm: rstd", &rstd, &lr) || !row_shape(env, "layerNorm", lx, lg, &rows) ||
      !need_length(env, "layerNorm", "beta", lb, lg) || !need_length(env, "layerNorm", "y", ly, lx) ||
      !need_length(env, "layerNorm", "mean", lm, rows) || !need_length(env, "layerNorm", "rstd", lr, rows))
    return NULL;
  norm_rows(x, gamma, beta, eps, y, mean, rstd, rows, lg);
  return NULL;
}

napi_value layer_norm_grad(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!get_args(env, info, "layerNormGrad", 8, argv)) return NULL;
  float *dy, *x, *mean, *rstd, *gamma, *dx, *dgamma, *dbeta;
  size_t ldy, lx, lm, lr, lg, ldx, ldg, ldb, rows;
  if (!arg_f32(env, argv[0], "layerNormGrad: dy", &dy, &ldy) || !arg_f32(env, argv[1], "layerNormGrad: x", &x, &lx) ||
      !arg_f32(env, argv[2], "layerNormGrad: mean", &mean, &lm) ||
      !arg_f32(env, argv[3], "layerNormGrad: rstd", &rstd, &lr) ||
      !arg_f32(env, argv[4], "layerNormGrad: gamma", &gamma, &lg) ||
      !arg_f32(env, argv[5], "layerNormGrad: dx", &dx, &ldx) ||
      !arg_f32(env, argv[6], "layerNormGrad: dgamma", &dgamma, &ldg) ||
      !arg_f32(env, argv[7], "layerNormGrad: dbeta", &dbeta, &ldb) || !row_shape(env, "layerNormGrad", lx, lg, &rows) ||
      !need_length(env, "layerNormGrad", "dy", ldy, lx) || !need_length(env, "layerNormGrad", "dx", ldx, lx) ||
      !need_length(env, "layerNormGrad", "mean", lm, rows) || !need_length(env, "layerNormGrad", "rstd", lr, rows) ||
      !need_length(env, "layerNormGrad", "dgamma", ldg, lg) || !need_length(env, "layerNormGrad", "dbeta", ldb, lg))
    return NULL;
  double *acc = calloc(2 * lg, sizeof *acc);
  if (acc == NULL) {
    napi_throw_error(env, NULL, "layerNormGrad: out of memory");
    return NULL;
  }
  norm_grad_rows(dy, x, mean, rstd, gamma, dx, acc, acc + lg, rows, lg);
  for (size_t j = 0; j < lg; j++) {
    dgamma[j] = (float)acc[j];
    dbeta[j] = (float)acc[lg + j];
  }
  free(acc);
  return NULL;
}
