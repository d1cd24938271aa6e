/*
 * addInto(dst, src): dst[i] += src[i] over two Float32Arrays (or two Float64Arrays) of equal length,
 * the reduction add of the ring collectives. In JS the unrolled loop runs at ~0.6 G elements/s; this
 * one is vectorised by the compiler at -O2 and is bound by memory bandwidth instead.
 *
 * Results equal the JS loop's bit for bit: IEEE addition is exactly rounded whatever the instruction,
 * and when both operands are NaN the result carries one of their payloads, which depends on the
 * instruction's operand order, which the compiler picks per call site. So every element, the ragged
 * end included (via a padded copy), goes through one non-inlined block function: one order everywhere,
 * the JS loop's (src's NaN wins); tests/workers/native-add.test.ts compares the payloads bit for bit.
 */
#include <string.h>

#include "vector.h"

enum { BLOCK = 16 }; /* elements per block: a trip count known at compile time is what -O2 vectorises */

/* `blocks` whole blocks. Not inlined: the ragged end runs this same machine code (see above). */
__attribute__((noinline)) static void add_blocks_f32(float *restrict d, const float *restrict s, size_t blocks) {
  for (size_t b = 0; b < blocks; b++, d += BLOCK, s += BLOCK)
    for (int j = 0; j < BLOCK; j++) d[j] += s[j];
}

__attribute__((noinline)) static void add_blocks_f64(double *restrict d, const double *restrict s, size_t blocks) {
  for (size_t b = 0; b < blocks; b++, d += BLOCK, s += BLOCK)
    for (int j = 0; j < BLOCK; j++) d[j] += s[j];
}

static void add_f32(float *d, const float *s, size_t n) {
  const size_t whole = n / BLOCK, rest = n % BLOCK;
  add_blocks_f32(d, s, whole);
  if (rest == 0) return;
  float td[BLOCK] = {0}, ts[BLOCK] = {0};
  memcpy(td, d + whole * BLOCK, rest * sizeof *d);
  memcpy(ts, s + whole * BLOCK, rest * sizeof *s);
  add_blocks_f32(td, ts, 1);
  memcpy(d + whole * BLOCK, td, rest * sizeof *d);
}

static void add_f64(double *d, const double *s, size_t n) {
  const size_t whole = n / BLOCK, rest = n % BLOCK;
  add_blocks_f64(d, s, whole);
  if (rest == 0) return;
  double td[BLOCK] = {0}, ts[BLOCK] = {0};
  memcpy(td, d + whole * BLOCK, rest * sizeof *d);
  memcpy(ts, s + whole * BLOCK, rest * sizeof *s);
  add_blocks_f64(td, ts, 1);
  memcpy(d + whole * BLOCK, td, rest * sizeof *d);
}

/* A Float32Array or Float64Array: its data (byteOffset applied), length in elements, element type. */
static bool arg_float_array(napi_env env, napi_value v, const char *name, void **data, size_t *length, napi_typedarray_type *type) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, v, type, length, data, NULL, NULL) != napi_ok ||
      (*type != napi_float32_array && *type != napi_float64_array)) {
    throw_type(env, "%s must be a Float32Array or Float64Array", name);
    return false;
  }
  if (*data == NULL) *length = 0; /* detached */
  return true;
}

/* addInto(dst, src): dst += src elementwise; same type and length, and not partially overlapping. */
napi_value add_into(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, "addInto", 2, argv)) return NULL;
  void *d, *s;
  size_t nd, ns;
  napi_typedarray_type td, ts;
  if (!arg_float_array(env, argv[0], "addInto: dst", &d, &nd, &td) || !arg_float_array(env, argv[1], "addInto: src", &s, &ns, &ts)) return NULL;
  if (td != ts) return throw_type(env, "addInto: dst and src must have the same element type");
  if (nd != ns) return throw_range(env, "addInto: dst has %zu elements, src has %zu", nd, ns);
  if (nd == 0) return NULL;
  const size_t bytes = nd * (td == napi_float32_array ? sizeof(float) : sizeof(double));
  const char *dc = d, *sc = s;
  /* The blocks read a whole block before writing it: with src partly inside dst that would differ from
   * an element-by-element loop, so it is refused (the same array twice is fine: each element alone). */
  if (dc != sc && dc < sc + bytes && sc < dc + bytes) return throw_range(env, "addInto: dst and src overlap partially");
  if (td == napi_float32_array) add_f32(d, s, nd);
  else add_f64(d, s, nd);
  return NULL;
}
