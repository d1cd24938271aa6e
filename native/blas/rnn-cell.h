/*
 * What the recurrent scans share (native/blas/rnn.c documents the cells, config and layouts): the config,
 * its derived sizes and row addressing, the sgemm call, and the scans rnn.c calls (rnn-forward.c,
 * rnn-backward.c).
 */
#ifndef DTRAIN_BLAS_RNN_CELL_H
#define DTRAIN_BLAS_RNN_CELL_H
#include <stdbool.h>
#include <stdint.h>

#include "rnn.h"

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

static inline void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                 int64_t ldb, float beta, float *c, int64_t ldc) {
  sgemm_ptr(ROW_MAJOR, ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS, (int)m, (int)n, (int)k, 1.0f, a, (int)lda, b, (int)ldb,
            beta, c, (int)ldc);
}

static inline int64_t gates_of(const rnn_config *c) { return c->kind == LSTM ? 4 : c->kind == GRU ? 3 : 1; }
static inline int64_t states_of(const rnn_config *c) { return c->kind == LSTM ? 2 : 1; }
/* The final states the result holds after the outputs. */
static inline int64_t finals_of(const rnn_config *c) { return c->finals ? states_of(c) : 0; }
/* Floats kept per (step, row) for backward: LSTM gates + act(c), GRU z, r, hh and inner_h or r·h, SimpleRNN act. */
static inline int64_t saved_of(const rnn_config *c) { return c->kind == LSTM ? 5 : c->kind == GRU ? 4 : 1; }

/* Row b, step s of the packed [B, T + S, u] result (or its gradient). */
static inline float *out_row(const rnn_config *c, const float *out, int64_t b, int64_t s) {
  return (float *)out + (b * (c->t + finals_of(c)) + s) * c->u;
}

static inline int64_t input_step(const rnn_config *c, int64_t s) { return c->reverse ? c->t - 1 - s : s; }
static inline bool keeps(const rnn_config *c, const uint8_t *keep, int64_t b, int64_t s) {
  return keep == NULL || keep[b * c->t + input_step(c, s)] != 0;
}

/* The scans (rnn-forward.c, rnn-backward.c; each defined with SIMD_CLONES, which makes the name an ifunc:
   declared plainly here, a caller links to that ifunc rather than to clones of its own). Hidden: no
   other library's symbol of the same name can stand in for them. */
#pragma GCC visibility push(hidden)
void lstm_forward(const rnn_config *c, const float *pre, const float *k, const float *bias, const uint8_t *keep,
                  float *H, float *C, float *Y, float *saved, float *hu, float *zbuf);
void gru_forward(const rnn_config *c, const float *pre, const float *k, const float *rb, const uint8_t *keep, float *H,
                 float *Y, float *saved, float *inner, float *rh, float *zbuf);
void simple_forward(const rnn_config *c, const float *pre, const float *k, const uint8_t *keep, float *H, float *Y,
                    float *saved, float *hu, float *zbuf);
void lstm_backward(const rnn_config *c, const float *kt, const uint8_t *keep, const float *H, const float *C,
                   const float *saved, const float *dY, float *dPre, float *dKernel, float *dBias, float *dh, float *dc,
                   float *dh_prev, float *dz, float *slope_buf);
void gru_backward(const rnn_config *c, const float *kt, const uint8_t *keep, const float *H, const float *saved,
                  const float *dY, float *dPre, float *dKernel, float *dBias, float *dh, float *dh_prev, float *d,
                  float *da, float *drh, float *slope_buf);
void simple_backward(const rnn_config *c, const float *kt, const uint8_t *keep, const float *H, const float *saved,
                     const float *dY, float *dPre, float *dKernel, float *dh, float *dh_prev, float *dz,
                     float *slope_buf);
#pragma GCC visibility pop
#endif
