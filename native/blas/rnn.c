/*
 * Recurrent layers' scans as two calls: rnnForward runs every step and keeps what backward needs;
 * rnnBackward walks the steps in reverse. The cells, as Keras 3 computes them (σ the recurrent
 * activation, act the activation, x·W + input bias = `pre`, given for every step):
 *   LSTM       z = (x·W + h·U) + b; i, f, g, o = σ(z_i), σ(z_f), act(z_g), σ(z_o); c' = f·c + i·g; h' = o·act(c')
 *   GRU after  inner = h·U + b_rec; z, r = σ(x_z + inner_z), σ(x_r + inner_r); hh = act(x_h + r·inner_h)
 *   GRU before inner = h·U[:, :2u]; z, r as above; hh = act(x_h + (r·h)·U[:, 2u:])
 *              h' = z·h + (1 − z)·hh
 *   SimpleRNN  h' = act(x·W + b + h·U)
 * A masked step keeps the states and outputs the previous output (zeros with zeroOutput).
 * Per step one sgemm makes h·U (two for GRU without reset_after) and one makes dh·Uᵀ; the kernel's
 * gradient is one sgemm over all steps, dU = Σ_t h_tᵀ·dz_t.
 *
 * config (Int32Array): kind (0 LSTM, 1 GRU, 2 SimpleRNN), batch B, time T, units u, reverse, zeroOutput,
 * activation, recurrent activation (0 tanh, 1 sigmoid, 2 relu, 3 linear), resetAfter, finals (1: the result
 * holds the final states after the outputs; 0: the outputs alone, a return_sequences layer's own output).
 * Layouts: pre/dPre [B, T, G·u] (input order), H/C [(T+1), B, u] (block 0 the initial state, block s+1
 * the state after processing step s), out/dOut [B, T + S, u] (S states, LSTM 2, else 1, or 0 without finals;
 * per row the T outputs in processing order, then the final states: the layer's result, written in place),
 * keep [B, T] (0 = masked).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rnn.h"

/* -O3 for this file: the gate loops are written to vectorise (build-native.mjs builds at -O2). */
#pragma GCC optimize("O3", "no-trapping-math")

/*
 * The scans are also compiled for AVX2 + FMA (x86-64-v3) and picked at load time where the CPU has it
 * (an ifunc): the gate loops run twice as fast as in the SSE2 baseline the addon is built for. Helpers
 * are always inlined so the clone's instruction set reaches them. -DDTRAIN_BLAS_BASELINE builds the
 * baseline alone (the tests check that path too: tests/helpers/native-blas.ts).
 */
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(DTRAIN_BLAS_BASELINE)
#define SIMD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define SIMD_CLONES
#endif
#define INLINE static inline __attribute__((always_inline))

enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };
enum { LSTM = 0, GRU = 1, SIMPLE = 2 };
enum { TANH = 0, SIGMOID = 1, RELU = 2, LINEAR = 3 };

typedef struct {
  int64_t kind, b, t, u, reverse, zero_output, act, rec, reset_after, finals;
} rnn_config;

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

static void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                 int64_t ldb, float beta, float *c, int64_t ldc) {
  sgemm_ptr(ROW_MAJOR, ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS, (int)m, (int)n, (int)k, 1.0f, a, (int)lda, b, (int)ldb,
            beta, c, (int)ldc);
}

static int64_t gates_of(const rnn_config *c) { return c->kind == LSTM ? 4 : c->kind == GRU ? 3 : 1; }
static int64_t states_of(const rnn_config *c) { return c->kind == LSTM ? 2 : 1; }
/* The final states the result holds after the outputs. */
static int64_t finals_of(const rnn_config *c) { return c->finals ? states_of(c) : 0; }
/* Floats kept per (step, row) for backward: LSTM gates + act(c), GRU z, r, hh and inner_h or r·h, SimpleRNN act. */
static int64_t saved_of(const rnn_config *c) { return c->kind == LSTM ? 5 : c->kind == GRU ? 4 : 1; }

/* Row b, step s of the packed [B, T + S, u] result (or its gradient). */
static inline float *out_row(const rnn_config *c, const float *out, int64_t b, int64_t s) {
  return (float *)out + (b * (c->t + finals_of(c)) + s) * c->u;
}

static inline int64_t input_step(const rnn_config *c, int64_t s) { return c->reverse ? c->t - 1 - s : s; }
static inline bool keeps(const rnn_config *c, const uint8_t *keep, int64_t b, int64_t s) {
  return keep == NULL || keep[b * c->t + input_step(c, s)] != 0;
}

/* ---- argument reading ---- */

static bool read_config(napi_env env, napi_value v, const char *fn, rnn_config *c) {
  bool is_typed = false;
  napi_typedarray_type type;
  size_t n = 0;
  void *data = NULL;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, v, &type, &n, &data, NULL, NULL) != napi_ok || type != napi_int32_array || n != 10) {
    throw_type(env, "%s: config must be an Int32Array of 10", fn);
    return false;
  }
  const int32_t *x = data;
  *c = (rnn_config){x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], x[9]};
  if (c->kind < 0 || c->kind > 2 || c->b < 1 || c->t < 1 || c->u < 1 || c->act < 0 || c->act > 3 || c->rec < 0 || c->rec > 3) {
    throw_range(env, "%s: bad config (kind %lld, batch %lld, time %lld, units %lld)", fn, (long long)c->kind, (long long)c->b,
                (long long)c->t, (long long)c->u);
    return false;
  }
  if (sgemm_ptr == NULL) {
    napi_throw_error(env, NULL, "rnn: OpenBLAS is not open (call open(path) first)");
    return false;
  }
  return true;
}

static bool is_null(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && (t == napi_null || t == napi_undefined);
}

/* A Float32Array of at least `need` elements, or NULL when `optional` and null was passed. */
static bool f32_of(napi_env env, napi_value v, const char *fn, const char *name, uint64_t need, bool optional, float **out) {
  *out = NULL;
  if (optional && is_null(env, v)) return true;
  char label[64];
  snprintf(label, sizeof label, "%s: %s", fn, name);
  size_t n;
  return arg_f32(env, v, label, out, &n) && need_length(env, fn, name, n, need);
}

static bool keep_of(napi_env env, napi_value v, const char *fn, uint64_t need, uint8_t **out) {
  *out = NULL;
  if (is_null(env, v)) return true;
  bool is_typed = false;
  napi_typedarray_type type;
  size_t n = 0;
  void *data = NULL;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, v, &type, &n, &data, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    throw_type(env, "%s: keep must be a Uint8Array or null", fn);
    return false;
  }
  *out = data;
  return need_length(env, fn, "keep", n, need);
}

/*
 * Scratch that stays allocated between calls (one per thread): backward's step gradients are megabytes,
 * and a fresh calloc of that size is a fresh mmap each call, every page faulted in and zeroed again.
 * Contents are unspecified; NULL when out of memory.
 */
static float *scratch_of(uint64_t n) {
  static _Thread_local float *buf = NULL;
  static _Thread_local uint64_t size = 0;
  if (n > size) {
    free(buf);
    buf = malloc((size_t)n * sizeof(float));
    size = buf ? n : 0;
  }
  return buf;
}

/* ---- forward ---- */

/* A masked row keeps its states and outputs the previous output (zeros with zeroOutput). */
INLINE void masked_row(const rnn_config *c, float *y, const float *h_prev, float *h_next, int64_t n) {
  memcpy(h_next, h_prev, (size_t)n * sizeof(float));
  if (c->zero_output) memset(y, 0, (size_t)n * sizeof(float));
  else memcpy(y, h_prev, (size_t)n * sizeof(float));
}

SIMD_CLONES static void lstm_forward(const rnn_config *c, const float *pre, const float *k, const float *bias, const uint8_t *keep,
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

SIMD_CLONES static void gru_forward(const rnn_config *c, const float *pre, const float *k, const float *rb, const uint8_t *keep, float *H,
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

SIMD_CLONES static void simple_forward(const rnn_config *c, const float *pre, const float *k, const uint8_t *keep, float *H, float *Y,
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

/* rnnScan(config, pre, kernel, bias|null, keep|null, H, C|null, out, saved) */
napi_value rnn_forward(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (!get_args(env, info, "rnnScan", 9, argv)) return NULL;
  rnn_config c;
  if (!read_config(env, argv[0], "rnnScan", &c)) return NULL;
  const uint64_t B = c.b, T = c.t, u = c.u, G = gates_of(&c) * u, F = finals_of(&c);
  float *pre, *k, *bias, *H, *C, *Y, *saved;
  uint8_t *keep;
  if (!f32_of(env, argv[1], "rnnScan", "pre", B * T * G, false, &pre) ||
      !f32_of(env, argv[2], "rnnScan", "kernel", u * G, false, &k) ||
      !f32_of(env, argv[3], "rnnScan", "bias", G, true, &bias) || !keep_of(env, argv[4], "rnnScan", B * T, &keep) ||
      !f32_of(env, argv[5], "rnnScan", "H", (T + 1) * B * u, false, &H) ||
      !f32_of(env, argv[6], "rnnScan", "C", (T + 1) * B * u, c.kind != LSTM, &C) ||
      !f32_of(env, argv[7], "rnnScan", "out", B * (T + F) * u, false, &Y) ||
      !f32_of(env, argv[8], "rnnScan", "saved", T * B * saved_of(&c) * u, false, &saved))
    return NULL;
  /* scratch: h·U [B·G], GRU's r·h [B·u], one row's pre-activations [G] */
  float *scratch = malloc((size_t)(B * G + B * u + G) * sizeof(float));
  if (scratch == NULL) {
    napi_throw_error(env, NULL, "rnnScan: out of memory");
    return NULL;
  }
  float *zbuf = scratch + B * G + B * u;
  if (c.kind == LSTM) lstm_forward(&c, pre, k, bias, keep, H, C, Y, saved, scratch, zbuf);
  else if (c.kind == GRU) gru_forward(&c, pre, k, bias, keep, H, Y, saved, scratch, scratch + B * G, zbuf);
  else simple_forward(&c, pre, k, keep, H, Y, saved, scratch, zbuf);
  free(scratch);
  for (uint64_t b = 0; b < B; b++) /* the final states after the outputs */
    for (uint64_t k = 0; k < F; k++)
      memcpy(out_row(&c, Y, b, T + k), (k ? C : H) + T * B * u + b * u, u * sizeof(float));
  return NULL;
}

/* ---- backward ---- */

/* Column sums of a [rows, cols] matrix in double: a bias gradient. */
SIMD_CLONES static void column_sums(const float *m, int64_t rows, int64_t cols, int64_t ld, float *out) {
  double *acc = calloc((size_t)cols, sizeof(double));
  if (acc == NULL) return;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < cols; j++) acc[j] += m[r * ld + j];
  for (int64_t j = 0; j < cols; j++) out[j] = (float)acc[j];
  free(acc);
}

/* out [cols, rows] = m [rows, cols]ᵀ: backward's dh·Uᵀ per step then reads Uᵀ row-major (a plain sgemm
   at M = batch runs ~1.5× as fast as one that transposes its second operand). */
static void transpose(const float *m, int64_t rows, int64_t cols, float *out) {
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++) out[j * rows + i] = m[i * cols + j];
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

SIMD_CLONES static void lstm_backward(const rnn_config *c, const float *kt, const uint8_t *keep, const float *H, const float *C,
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

SIMD_CLONES static void gru_backward(const rnn_config *c, const float *kt, const uint8_t *keep, const float *H, const float *saved,
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

SIMD_CLONES static void simple_backward(const rnn_config *c, const float *kt, const uint8_t *keep, const float *H, const float *saved,
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

/* rnnScanBackward(config, kernel, keep|null, H, C|null, saved, dOut, dPre, dKernel, dBias|null, dInit) */
napi_value rnn_backward(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  if (!get_args(env, info, "rnnScanBackward", 11, argv)) return NULL;
  rnn_config c;
  if (!read_config(env, argv[0], "rnnScanBackward", &c)) return NULL;
  const uint64_t B = c.b, T = c.t, u = c.u, G = gates_of(&c) * u, S = states_of(&c);
  float *k, *H, *C, *saved, *dY, *dPre, *dKernel, *dBias, *dInit;
  uint8_t *keep;
  if (!f32_of(env, argv[1], "rnnScanBackward", "kernel", u * G, false, &k) || !keep_of(env, argv[2], "rnnScanBackward", B * T, &keep) ||
      !f32_of(env, argv[3], "rnnScanBackward", "H", (T + 1) * B * u, false, &H) ||
      !f32_of(env, argv[4], "rnnScanBackward", "C", (T + 1) * B * u, c.kind != LSTM, &C) ||
      !f32_of(env, argv[5], "rnnScanBackward", "saved", T * B * saved_of(&c) * u, false, &saved) ||
      !f32_of(env, argv[6], "rnnScanBackward", "dOut", B * (T + finals_of(&c)) * u, false, &dY) ||
      !f32_of(env, argv[7], "rnnScanBackward", "dPre", B * T * G, false, &dPre) ||
      !f32_of(env, argv[8], "rnnScanBackward", "dKernel", u * G, false, &dKernel) ||
      !f32_of(env, argv[9], "rnnScanBackward", "dBias", G, true, &dBias) ||
      !f32_of(env, argv[10], "rnnScanBackward", "dInit", S * B * u, false, &dInit))
    return NULL;
  /* scratch: dh_prev [B·u], GRU's da and d(r·h) [B·u] each, the step gradients [T·B·G], the slopes [5u],
     the kernel transposed [G, u] */
  const uint64_t n = B * u * 3 + T * B * G + 5 * u + G * u;
  float *scratch = scratch_of(n);
  if (scratch == NULL) {
    napi_throw_error(env, NULL, "rnnScanBackward: out of memory");
    return NULL;
  }
  float *dh_prev = scratch, *da = scratch + B * u, *drh = scratch + 2 * B * u, *steps = scratch + 3 * B * u;
  float *kt = steps + T * B * G + 5 * u;
  transpose(k, u, G, kt);
  /* the running dh (and dc) start as the final states' gradients: zeros when the result has none */
  if (!c.finals) memset(dInit, 0, (size_t)(S * B * u) * sizeof(float));
  for (uint64_t b = 0; b < B && c.finals; b++)
    for (uint64_t k = 0; k < S; k++) memcpy(dInit + k * B * u + b * u, out_row(&c, dY, b, T + k), u * sizeof(float));
  if (c.kind == LSTM) lstm_backward(&c, kt, keep, H, C, saved, dY, dPre, dKernel, dBias, dInit, dInit + B * u, dh_prev, steps, steps + T * B * G);
  else if (c.kind == GRU)
    gru_backward(&c, kt, keep, H, saved, dY, dPre, dKernel, dBias, dInit, dh_prev, steps, da, drh, steps + T * B * G);
  else simple_backward(&c, kt, keep, H, saved, dY, dPre, dKernel, dInit, dh_prev, steps, steps + T * B * G);
  return NULL;
}
