/* Elementwise vector passes for the collectives (vector.c). */
#ifndef DTRAIN_BLAS_VECTOR_H
#define DTRAIN_BLAS_VECTOR_H
#include "args.h"

napi_value add_into(napi_env env, napi_callback_info info);

#endif
