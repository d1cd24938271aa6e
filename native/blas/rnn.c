/*
 * Recurrent layers' scans as two calls: rnnScan runs every step and keeps what backward needs;
 * rnnScanBackward walks the steps in reverse (this file reads their arguments; the scans themselves are
 * rnn-forward.c and rnn-backward.c, the gates' math rnn-math.h). The cells, as Keras 3 computes them (σ the recurrent
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rnn-cell.h"

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

/* out [cols, rows] = m [rows, cols]ᵀ: backward's dh·Uᵀ per step then reads Uᵀ row-major (a plain sgemm
   at M = batch runs ~1.5× as fast as one that transposes its second operand). */
static void transpose(const float *m, int64_t rows, int64_t cols, float *out) {
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++) out[j * rows + i] = m[i * cols + j];
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
