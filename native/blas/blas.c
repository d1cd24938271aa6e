/*
 * dtrain's native BLAS addon: OpenBLAS's sgemm (and the im2col/col2im of conv.c) for the wasm
 * backend's matmul and convolution kernels, the recurrent layers' whole-sequence kernels (rnn.c), and the ring collectives' reduction add (vector.c, which
 * needs no OpenBLAS). Plain N-API (ABI-stable: one build loads in Node and in
 * Electron's utility process) with no npm dependency.
 *
 * OpenBLAS is opened with dlopen at run time rather than linked: the addon then builds without
 * OpenBLAS's headers or dev package, and a machine without OpenBLAS still loads it and is told why
 * native BLAS is off (open() throws with dlopen's reason) instead of failing to load the module.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "conv.h"
#include "heads.h" /* the attention's per-head products */
#include "norm.h" /* layer normalization */
#include "rnn.h"
#include "softmax.h" /* the attention's softmax and its gradient */
#include "vector.h"

enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 }; /* CBLAS's enum values */

typedef void (*set_threads_fn)(int);
typedef char *(*string_fn)(void);

sgemm_fn sgemm_ptr = NULL;

/* open(path): dlopens OpenBLAS, pins it to one thread, returns { config, corename }; throws why not. */
static napi_value open_blas(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, "open", 1, argv)) return NULL;
  char path[4096];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok) return throw_type(env, "open: path must be a string");
  // OpenBLAS sizes its thread pool from OPENBLAS_NUM_THREADS when it loads (else one thread per core):
  // with one worker process per core, a pool per process would be cores² idle threads. The variable is
  // set only around dlopen and restored, so child processes do not inherit it.
  const bool had = getenv("OPENBLAS_NUM_THREADS") != NULL;
  if (!had) setenv("OPENBLAS_NUM_THREADS", "1", 1);
  // RTLD_LOCAL: OpenBLAS's symbols must not interpose on another BLAS the process may load later.
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!had) unsetenv("OPENBLAS_NUM_THREADS");
  if (lib == NULL) {
    const char *why = dlerror();
    napi_throw_error(env, NULL, why ? why : "dlopen failed");
    return NULL;
  }
  sgemm_fn sgemm = (sgemm_fn)dlsym(lib, "cblas_sgemm");
  set_threads_fn set_threads = (set_threads_fn)dlsym(lib, "openblas_set_num_threads");
  string_fn config = (string_fn)dlsym(lib, "openblas_get_config");
  string_fn corename = (string_fn)dlsym(lib, "openblas_get_corename");
  if (sgemm == NULL || set_threads == NULL || config == NULL) {
    dlclose(lib);
    napi_throw_error(env, NULL, "not OpenBLAS: cblas_sgemm, openblas_set_num_threads or openblas_get_config missing");
    return NULL;
  }
  const char *cfg = config();
  // The ILP64 build (libopenblas64) takes 64-bit ints; the calls below pass 32-bit ones.
  if (cfg != NULL && strstr(cfg, "USE64BITINT") != NULL) {
    dlclose(lib);
    napi_throw_error(env, NULL, "this OpenBLAS uses 64-bit integers (ILP64); the 32-bit build libopenblas.so.0 is needed");
    return NULL;
  }
  // One worker process per core: OpenBLAS's own threads would compete with the other workers.
  set_threads(1);
  sgemm_ptr = sgemm;
  napi_value out, v;
  napi_create_object(env, &out);
  napi_create_string_utf8(env, cfg ? cfg : "", NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, out, "config", v);
  napi_create_string_utf8(env, corename ? corename() : "", NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, out, "corename", v);
  return out;
}

/* Elements a row-major rows×cols matrix with leading dimension ld spans. */
static uint64_t span(int64_t rows, int64_t cols, int64_t ld) {
  return rows == 0 || cols == 0 ? 0 : (uint64_t)(rows - 1) * (uint64_t)ld + (uint64_t)cols;
}

static bool check_ld(napi_env env, const char *name, int64_t ld, int64_t cols) {
  if (ld < (cols > 1 ? cols : 1)) {
    throw_range(env, "sgemm: %s (%lld) must be at least max(1, %lld)", name, (long long)ld, (long long)cols);
    return false;
  }
  return true;
}

/* sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc): C = alpha·op(A)·op(B) + beta·C, row-major. */
static napi_value sgemm(napi_env env, napi_callback_info info) {
  napi_value argv[13];
  if (!get_args(env, info, "sgemm", 13, argv)) return NULL;
  bool ta, tb;
  int64_t m, n, k, lda, ldb, ldc;
  double alpha, beta;
  float *a, *b, *c;
  size_t la, lb, lc;
  if (!arg_bool(env, argv[0], "sgemm: transA", &ta) || !arg_bool(env, argv[1], "sgemm: transB", &tb) ||
      !arg_int(env, argv[2], "sgemm: M", 0, &m) || !arg_int(env, argv[3], "sgemm: N", 0, &n) ||
      !arg_int(env, argv[4], "sgemm: K", 0, &k) || !arg_number(env, argv[5], "sgemm: alpha", &alpha) ||
      !arg_f32(env, argv[6], "sgemm: A", &a, &la) || !arg_int(env, argv[7], "sgemm: lda", 1, &lda) ||
      !arg_f32(env, argv[8], "sgemm: B", &b, &lb) || !arg_int(env, argv[9], "sgemm: ldb", 1, &ldb) ||
      !arg_number(env, argv[10], "sgemm: beta", &beta) || !arg_f32(env, argv[11], "sgemm: C", &c, &lc) ||
      !arg_int(env, argv[12], "sgemm: ldc", 1, &ldc))
    return NULL;
  // op(A) is M×K: A itself is K×M when transposed. Likewise op(B) is K×N.
  const int64_t a_rows = ta ? k : m, a_cols = ta ? m : k;
  const int64_t b_rows = tb ? n : k, b_cols = tb ? k : n;
  if (!check_ld(env, "lda", lda, a_cols) || !check_ld(env, "ldb", ldb, b_cols) || !check_ld(env, "ldc", ldc, n)) return NULL;
  if (!need_length(env, "sgemm", "A", la, span(a_rows, a_cols, lda)) ||
      !need_length(env, "sgemm", "B", lb, span(b_rows, b_cols, ldb)) ||
      !need_length(env, "sgemm", "C", lc, span(m, n, ldc)))
    return NULL;
  if (sgemm_ptr == NULL) {
    napi_throw_error(env, NULL, "sgemm: OpenBLAS is not open (call open(path) first)");
    return NULL;
  }
  if (m == 0 || n == 0) return NULL;
  sgemm_ptr(ROW_MAJOR, ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS, (int)m, (int)n, (int)k, (float)alpha, a, (int)lda,
            b, (int)ldb, (float)beta, c, (int)ldc);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"open", NULL, open_blas, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sgemm", NULL, sgemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sgemmHeads", NULL, sgemm_heads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"im2col", NULL, im2col, NULL, NULL, NULL, napi_enumerable, NULL},
      {"col2im", NULL, col2im, NULL, NULL, NULL, napi_enumerable, NULL},
      {"layerNorm", NULL, layer_norm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"layerNormGrad", NULL, layer_norm_grad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"softmax", NULL, softmax, NULL, NULL, NULL, napi_enumerable, NULL},
      {"softmaxGrad", NULL, softmax_grad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"addInto", NULL, add_into, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rnnScan", NULL, rnn_forward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rnnScanBackward", NULL, rnn_backward, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
