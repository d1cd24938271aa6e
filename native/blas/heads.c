/*
 * sgemmHeads(transA, transB, M, N, K, A, lda, aBatch, aHead, B, ldb, bBatch, bHead, C, ldc, cBatch,
 * cHead, batch, heads): for every batch entry i and head h, C_ih = op(A_ih)·op(B_ih), each matrix
 * starting at i·xBatch + h·xHead of its array (row-major, leading dimension ldx): the attention's
 * per-head products in one call (src/core/tfjs/kernels/heads-matmul.ts). One sgemm from JavaScript per
 * (batch, head) cost ~1.3 µs of call overhead each, against ~1.5 µs of arithmetic for the bench
 * Transformer's 64×64×16 products: 768 of them a step.
 */
#include "heads.h"

#include "rnn.h" /* sgemm_ptr */

enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 }; /* CBLAS's enum values */

/* The last element a batch of rows×cols matrices reaches, plus one; false after throwing. */
static bool need_batch(napi_env env, const char *name, size_t length, int64_t rows, int64_t cols, int64_t ld, int64_t ld_min,
                       int64_t batch_step, int64_t head_step, int64_t batch, int64_t heads) {
  if (ld < (ld_min > 1 ? ld_min : 1)) {
    throw_range(env, "sgemmHeads: ld%s (%lld) must be at least max(1, %lld)", name, (long long)ld, (long long)ld_min);
    return false;
  }
  if (rows == 0 || cols == 0 || batch == 0 || heads == 0) return true;
  const uint64_t last = (uint64_t)(batch - 1) * (uint64_t)batch_step + (uint64_t)(heads - 1) * (uint64_t)head_step +
                        (uint64_t)(rows - 1) * (uint64_t)ld + (uint64_t)cols;
  return need_length(env, "sgemmHeads", name, length, last);
}

napi_value sgemm_heads(napi_env env, napi_callback_info info) {
  napi_value argv[19];
  if (!get_args(env, info, "sgemmHeads", 19, argv)) return NULL;
  bool ta, tb;
  int64_t m, n, k, ld[3], batch_step[3], head_step[3], batch, heads;
  float *p[3];
  size_t len[3];
  if (!arg_bool(env, argv[0], "sgemmHeads: transA", &ta) || !arg_bool(env, argv[1], "sgemmHeads: transB", &tb) ||
      !arg_int(env, argv[2], "sgemmHeads: M", 0, &m) || !arg_int(env, argv[3], "sgemmHeads: N", 0, &n) ||
      !arg_int(env, argv[4], "sgemmHeads: K", 1, &k))
    return NULL;
  static const char *const names[3][4] = {{"sgemmHeads: A", "sgemmHeads: lda", "sgemmHeads: aBatch", "sgemmHeads: aHead"},
                                          {"sgemmHeads: B", "sgemmHeads: ldb", "sgemmHeads: bBatch", "sgemmHeads: bHead"},
                                          {"sgemmHeads: C", "sgemmHeads: ldc", "sgemmHeads: cBatch", "sgemmHeads: cHead"}};
  for (int x = 0; x < 3; x++) {
    napi_value *a = argv + 5 + 4 * x;
    if (!arg_f32(env, a[0], names[x][0], &p[x], &len[x]) || !arg_int(env, a[1], names[x][1], 1, &ld[x]) ||
        !arg_int(env, a[2], names[x][2], 0, &batch_step[x]) || !arg_int(env, a[3], names[x][3], 0, &head_step[x]))
      return NULL;
  }
  if (!arg_int(env, argv[17], "sgemmHeads: batch", 0, &batch) || !arg_int(env, argv[18], "sgemmHeads: heads", 0, &heads)) return NULL;
  // op(A) is M×K: A itself is K×M when transposed. Likewise op(B) is K×N.
  const int64_t rows[3] = {ta ? k : m, tb ? n : k, m}, cols[3] = {ta ? m : k, tb ? k : n, n};
  static const char *const short_names[3] = {"A", "B", "C"};
  for (int x = 0; x < 3; x++)
    if (!need_batch(env, short_names[x], len[x], rows[x], cols[x], ld[x], cols[x], batch_step[x], head_step[x], batch, heads))
      return NULL;
  if (sgemm_ptr == NULL) {
    napi_throw_error(env, NULL, "sgemmHeads: OpenBLAS is not open (call open(path) first)");
    return NULL;
  }
  if (m == 0 || n == 0) return NULL;
  for (int64_t i = 0; i < batch; i++)
    for (int64_t h = 0; h < heads; h++) {
      const int64_t o[3] = {i * batch_step[0] + h * head_step[0], i * batch_step[1] + h * head_step[1],
                            i * batch_step[2] + h * head_step[2]};
      sgemm_ptr(ROW_MAJOR, ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS, (int)m, (int)n, (int)k, 1.0f, p[0] + o[0], (int)ld[0],
                p[1] + o[1], (int)ld[1], 0.0f, p[2] + o[2], (int)ld[2]);
    }
  return NULL;
}
