/* im2col / col2im for NHWC convolutions (conv.c). */
#ifndef DTRAIN_BLAS_CONV_H
#define DTRAIN_BLAS_CONV_H
#include "args.h"

napi_value im2col(napi_env env, napi_callback_info info);
napi_value col2im(napi_env env, napi_callback_info info);

#endif
