/* The activations the scans fuse, and their slopes, in forms the compiler vectorises (rnn-cell.h's INLINE). */
#ifndef DTRAIN_BLAS_RNN_MATH_H
#define DTRAIN_BLAS_RNN_MATH_H
#include <math.h>

#include "rnn-cell.h"

/*
 * exp for the gates, in a form the compiler vectorises (glibc's expf and tanhf are calls per element;
 * tanhf alone was most of the forward scan): 2^n · p(r) with x = n·ln2 + r, |r| ≤ ln2/2, p the degree-6
 * Taylor polynomial (remainder below 1.3e-7 relative, plus the float32 rounding of its terms: a few ulps).
 */
INLINE float exp_approx(float x) {
  x = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x;
  const float n = (x * 1.44269504f + 12582912.0f) - 12582912.0f; /* round to nearest */
  const float r = (x - n * 0.693145752f) - n * 1.42860677e-6f;  /* ln2 in two parts */
  const float p = 1.0f + r * (1.0f + r * (0.5f + r * (0.166666672f + r * (0.0416666679f + r * (0.00833333377f + r * 0.00138888892f)))));
  union { int32_t i; float f; } scale = {.i = ((int32_t)n + 127) << 23};
  return p * scale.f;
}

/* tanh from exp: sign · (1 − 2/(e^{2|x|} + 1)), absolute error ~1e-7 near 0 (where the two terms cancel). */
INLINE float tanh_approx(float x) {
  const float t = 1.0f - 2.0f / (exp_approx(2.0f * fabsf(x)) + 1.0f);
  return copysignf(t, x);
}

/* y = activation(x) over n floats; the switch is outside the loop so each loop vectorises. */
INLINE void activate(int64_t kind, float *restrict y, const float *restrict x, int64_t n) {
  switch (kind) {
    case TANH:
      for (int64_t j = 0; j < n; j++) y[j] = tanh_approx(x[j]);
      break;
    case SIGMOID:
      for (int64_t j = 0; j < n; j++) y[j] = 1.0f / (1.0f + exp_approx(-x[j]));
      break;
    case RELU:
      for (int64_t j = 0; j < n; j++) y[j] = x[j] > 0.0f ? x[j] : 0.0f;
      break;
    default:
      for (int64_t j = 0; j < n; j++) y[j] = x[j];
  }
}

/* d[j] = d activation / dx at y[j] (from the activation's output) over n floats, the switch outside the
   loop as in activate(), so each case vectorises. */
INLINE void slopes(int64_t kind, float *restrict d, const float *restrict y, int64_t n) {
  switch (kind) {
    case TANH:
      for (int64_t j = 0; j < n; j++) d[j] = 1.0f - y[j] * y[j];
      break;
    case SIGMOID:
      for (int64_t j = 0; j < n; j++) d[j] = y[j] * (1.0f - y[j]);
      break;
    case RELU:
      for (int64_t j = 0; j < n; j++) d[j] = y[j] > 0.0f ? 1.0f : 0.0f;
      break;
    default:
      for (int64_t j = 0; j < n; j++) d[j] = 1.0f;
  }
}
#endif
