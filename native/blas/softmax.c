/*
 * softmaxGrad(dy, y, scale, dx): the gradient of y = softmax(scale·x) over each row of y's last
 * `cols` values, dx = scale·(p − Σp·y) with p = dy·y: the attention's softmax and its logits' scale
 * backward in one pass (src/core/tfjs/kernels/softmax-grad.ts has the JavaScript loop this equals bit
 * for bit). float32 products and differences as tfjs's own gradient ops round them; the row sum in
 * float64 in the 8 lanes of lanes.h (the order the JavaScript follows too); the passes vectorise at
 * -O3 without changing a result. No contraction into fused multiply-adds.
 */
#include "lanes.h"
#include "softmax.h"

#pragma GCC optimize("O3", "fp-contract=off")
#ifdef __clang__
#pragma clang fp contract(off)
#endif

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
