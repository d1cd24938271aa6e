/* The attention's per-head products in one call (heads.c). */
#ifndef DTRAIN_BLAS_HEADS_H
#define DTRAIN_BLAS_HEADS_H
#include "args.h"

napi_value sgemm_heads(napi_env env, napi_callback_info info);

#endif
