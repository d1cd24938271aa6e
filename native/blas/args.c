/* Argument checks shared by the addon's functions (see args.h). */
#include "args.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

static napi_value throw_with(napi_env env, bool range, const char *fmt, va_list ap) {
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  if (range) napi_throw_range_error(env, NULL, msg);
  else napi_throw_type_error(env, NULL, msg);
  return NULL;
}

napi_value throw_range(napi_env env, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  throw_with(env, true, fmt, ap);
  va_end(ap);
  return NULL;
}

napi_value throw_type(napi_env env, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  throw_with(env, false, fmt, ap);
  va_end(ap);
  return NULL;
}

bool get_args(napi_env env, napi_callback_info info, const char *fn, size_t count, napi_value *argv) {
  size_t argc = count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    throw_type(env, "%s: cannot read the arguments", fn);
    return false;
  }
  if (argc != count) {
    throw_type(env, "%s: expected %zu arguments, got %zu", fn, count, argc);
    return false;
  }
  return true;
}

bool arg_number(napi_env env, napi_value v, const char *name, double *out) {
  if (napi_get_value_double(env, v, out) != napi_ok) {
    throw_type(env, "%s must be a number", name);
    return false;
  }
  return true;
}

bool arg_int(napi_env env, napi_value v, const char *name, int64_t min, int64_t *out) {
  double d;
  if (!arg_number(env, v, name, &d)) return false;
  // NaN fails both comparisons' negation below, so it is rejected too.
  if (!(d >= (double)min && d <= (double)INT32_MAX) || d != floor(d)) {
    throw_range(env, "%s must be an integer in [%lld, %d], got %g", name, (long long)min, INT32_MAX, d);
    return false;
  }
  *out = (int64_t)d;
  return true;
}

bool arg_bool(napi_env env, napi_value v, const char *name, bool *out) {
  if (napi_get_value_bool(env, v, out) != napi_ok) {
    throw_type(env, "%s must be a boolean", name);
    return false;
  }
  return true;
}

bool arg_f32(napi_env env, napi_value v, const char *name, float **data, size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  void *ptr = NULL;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, v, &type, length, &ptr, NULL, NULL) != napi_ok || type != napi_float32_array) {
    throw_type(env, "%s must be a Float32Array", name);
    return false;
  }
  // N-API's data pointer already includes the view's byteOffset. A detached buffer reads as length 0.
  *data = (float *)ptr;
  if (*data == NULL) *length = 0;
  return true;
}

bool need_length(napi_env env, const char *fn, const char *name, size_t length, uint64_t need) {
  if ((uint64_t)length < need) {
    throw_range(env, "%s: %s has %zu elements, the sizes given need %llu", fn, name, length, (unsigned long long)need);
    return false;
  }
  return true;
}

bool mul_size(napi_env env, const char *fn, uint64_t a, uint64_t b, uint64_t *out) {
  const uint64_t limit = (uint64_t)1 << 53;
  if (a != 0 && b > limit / a) {
    throw_range(env, "%s: sizes too large", fn);
    return false;
  }
  *out = a * b;
  return true;
}
