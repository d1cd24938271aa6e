/* Layer normalization over each row's trailing values, forward and backward (norm.c). */
#ifndef DTRAIN_BLAS_NORM_H
#define DTRAIN_BLAS_NORM_H
#include "args.h"

napi_value layer_norm(napi_env env, napi_callback_info info);
napi_value layer_norm_grad(napi_env env, napi_callback_info info);

#endif
