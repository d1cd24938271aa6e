/* A scaled softmax over each row and its gradient (softmax.c). */
#ifndef DTRAIN_BLAS_SOFTMAX_H
#define DTRAIN_BLAS_SOFTMAX_H
#include "args.h"

napi_value softmax(napi_env env, napi_callback_info info);
napi_value softmax_grad(napi_env env, napi_callback_info info);

#endif
