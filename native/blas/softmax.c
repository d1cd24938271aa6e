/*
 * softmax(x, cols, scale, y): y = softmax(scale·x) over each row of x's last `cols` values, the
 * attention's probabilities from its logits in one call (src/core/tfjs/kernels/scaled-softmax.ts).
 * scale·x rounded to float32 as tfjs's Mul rounds it, the row maximum subtracted, exp by exp_poly
 * below (stock wasm's Softmax took ~0.7 ms over the bench Transformer's 524k logits, glibc's expf per
 * element ~1.9 ms; vectorised, this ~0.5 ms), the row sum in float64 over the 8 lanes of lanes.h,
 * then each term times the sum's float32 reciprocal. Every clone does the same IEEE operations (no
 * contraction), so the same bits.
 *
 * softmaxGrad(dy, y, scale, dx): the gradient of y = softmax(scale·x) over each row of y's last
 * `cols` values, dx = scale·(p − Σp·y) with p = dy·y: the attention's softmax and its logits' scale
 * backward in one pass (src/core/tfjs/kernels/softmax-grad.ts has the JavaScript loop this equals bit
 * for bit). float32 products and differences as tfjs's own gradient ops round them; the row sum in
 * float64 in the 8 lanes of lanes.h (the order the JavaScript follows too); the passes vectorise at
 * -O3 without changing a result. No contraction into fused multiply-adds.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lanes.h"
#include "softmax.h"

#pragma GCC optimize("O3", "fp-contract=off", "no-trapping-math")
#ifdef __clang__
#pragma clang fp contract(off)
#endif

/*
 * e^x as 2^n · p(r), x = n·ln2 + r with |r| ≤ ln2/2 and p the degree-6 Taylor polynomial (relative
 * error ~1e-7 plus the rounding of its terms, a few ulps), in operations the compiler vectorises.
 * x ≤ 0 here (a logit minus its row's maximum); below −87 it returns e^−87 (~1.6e-38, under a
 * float32 probability's resolution next to the row's largest term, which is 1). NaN stays NaN.
 */
typedef float f32x8 __attribute__((vector_size(32)));
typedef int32_t i32x8 __attribute__((vector_size(32)));

static inline float exp_poly(float x) {
  x = x < -87.0f ? -87.0f : x;
  const float n = (x * 1.44269504f + 12582912.0f) - 12582912.0f; /* round to nearest */
  const float n_or_0 = n == n ? n : 0.0f; /* NaN converts to no integer; p carries the NaN */
  const float r = (x - n * 0.693145752f) - n * 1.42860677e-6f;  /* ln2 in two parts */
  const float p = 1.0f + r * (1.0f + r * (0.5f + r * (0.166666672f + r * (0.0416666679f + r * (0.00833333377f + r * 0.00138888892f)))));
  union {
    int32_t i;
    float f;
  } two_n = {.i = ((int32_t)n_or_0 + 127) << 23};
  return p * two_n.f;
}

WIDE_VECTORS static void softmax_rows(const float *restrict x, float scale, float *restrict y, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols;
    float *yr = y + r * cols;
    /* The row's maximum 8 lanes at a time (GCC's vectors: a blend per 8, which plain loops did not become). */
    f32x8 top = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
    size_t j = 0;
    for (; j + LANES <= cols; j += LANES) {
      f32x8 z;
      memcpy(&z, xr + j, sizeof z);
      z *= scale;
      const i32x8 above = z > top;
      top = (f32x8)(((i32x8)z & above) | ((i32x8)top & ~above));
    }
    float m = top[0];
    for (size_t k = 1; k < LANES; k++) m = top[k] > m ? top[k] : m;
    for (; j < cols; j++) m = scale * xr[j] > m ? scale * xr[j] : m;
    for (size_t j = 0; j < cols; j++) yr[j] = exp_poly(scale * xr[j] - m);
    double s;
#define E(j) (yr[j])
    LANE_SUM(s, cols, E);
#undef E
    const float inverse = (float)(1.0 / s); /* one division a row: a product per term is far cheaper */
    for (size_t j = 0; j < cols; j++) yr[j] = yr[j] * inverse;
  }
}

WIDE_VECTORS static void grad_rows(const float *restrict dy, const float *restrict y, float scale, float *restrict dx, size_t rows,
                      size_t cols) {
  for (size_t r = 0; r < rows; r++) {
    const float *dyr = dy + r * cols, *yr = y + r * cols;
    float *dxr = dx + r * cols;
    double s;
#define P(j) (dyr[j] * yr[j])
    LANE_SUM(s, cols, P);
#undef P
    const float sf = (float)s;
    for (size_t j = 0; j < cols; j++) {
      const float p = dyr[j] * yr[j];
      dxr[j] = scale * (p - sf * yr[j]);
    }
  }
}

napi_value softmax(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, "softmax", 4, argv)) return NULL;
  float *x, *y;
  size_t lx, ly;
  int64_t cols;
  double scale;
  if (!arg_f32(env, argv[0], "softmax: x", &x, &lx) || !arg_int(env, argv[1], "softmax: cols", 1, &cols) ||
      !arg_number(env, argv[2], "softmax: scale", &scale) || !arg_f32(env, argv[3], "softmax: y", &y, &ly))
    return NULL;
  if (lx % (size_t)cols != 0) return throw_range(env, "softmax: x has %zu elements, not whole rows of %lld", lx, (long long)cols);
  if (!need_length(env, "softmax", "y", ly, lx)) return NULL;
  softmax_rows(x, (float)scale, y, lx / (size_t)cols, (size_t)cols);
  return NULL;
}

napi_value softmax_grad(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_args(env, info, "softmaxGrad", 5, argv)) return NULL;
  float *dy, *y, *dx;
  size_t ldy, ly, ldx;
  int64_t cols;
  double scale;
  if (!arg_f32(env, argv[0], "softmaxGrad: dy", &dy, &ldy) || !arg_f32(env, argv[1], "softmaxGrad: y", &y, &ly) ||
      !arg_int(env, argv[2], "softmaxGrad: cols", 1, &cols) || !arg_number(env, argv[3], "softmaxGrad: scale", &scale) ||
      !arg_f32(env, argv[4], "softmaxGrad: dx", &dx, &ldx))
    return NULL;
  if (ly % (size_t)cols != 0) return throw_range(env, "softmaxGrad: y has %zu elements, not whole rows of %lld", ly, (long long)cols);
  if (!need_length(env, "softmaxGrad", "dy", ldy, ly) || !need_length(env, "softmaxGrad", "dx", ldx, ly)) return NULL;
  grad_rows(dy, y, (float)scale, dx, ly / (size_t)cols, (size_t)cols);
  return NULL;
}
