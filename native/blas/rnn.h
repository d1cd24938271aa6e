/* Whole-sequence recurrent kernels (LSTM, GRU, SimpleRNN): forward and backward of a layer's scan in one call each. */
#ifndef DTRAIN_BLAS_RNN_H
#define DTRAIN_BLAS_RNN_H
#include "args.h"

/* The addon's sgemm (blas.c): NULL until open() found OpenBLAS. */
typedef void (*sgemm_fn)(int order, int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                         const float *b, int ldb, float beta, float *c, int ldc);
extern sgemm_fn sgemm_ptr;

napi_value rnn_forward(napi_env env, napi_callback_info info);
napi_value rnn_backward(napi_env env, napi_callback_info info);
#endif
