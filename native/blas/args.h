/*
 * Argument checks shared by the addon's functions. Every size a caller passes is checked against the
 * typed array it describes before any pointer is touched: a wrong call throws a JS error instead of
 * reading or writing outside the array.
 */
#ifndef DTRAIN_BLAS_ARGS_H
#define DTRAIN_BLAS_ARGS_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reads argv[i] as an integer in [min, INT32_MAX] (BLAS takes 32-bit ints); false after throwing. */
bool arg_int(napi_env env, napi_value v, const char *name, int64_t min, int64_t *out);
bool arg_bool(napi_env env, napi_value v, const char *name, bool *out);
bool arg_number(napi_env env, napi_value v, const char *name, double *out);
/* A Float32Array: its first element (byteOffset applied) and its length in elements. */
bool arg_f32(napi_env env, napi_value v, const char *name, float **data, size_t *length);
/* Throws unless `length` >= `need`. */
bool need_length(napi_env env, const char *fn, const char *name, size_t length, uint64_t need);
/* a*b into *out, throwing on overflow of 2^53 (beyond that a Float32Array cannot be that long). */
bool mul_size(napi_env env, const char *fn, uint64_t a, uint64_t b, uint64_t *out);
/* Throws a RangeError (or TypeError) with a printf-style message; returns NULL for `return throw_...`. */
napi_value throw_range(napi_env env, const char *fmt, ...);
napi_value throw_type(napi_env env, const char *fmt, ...);
/* Reads exactly `count` arguments or throws. */
bool get_args(napi_env env, napi_callback_info info, const char *fn, size_t count, napi_value *argv);

#endif
