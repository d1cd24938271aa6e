/*
 * Row sums in float64 over 8 lanes: lane k adds the terms j ≡ k (mod 8) in order, then the lanes add
 * pairwise, ((0+1)+(2+3))+((4+5)+(6+7)). One fixed order that the JavaScript loops follow too
 * (src/core/tfjs/kernels/lanes.ts), so both give the same bits; eight independent additions per
 * step vectorise and do not wait on each other as one running sum does.
 */
#ifndef DTRAIN_BLAS_LANES_H
#define DTRAIN_BLAS_LANES_H

enum { LANES = 8 };

/*
 * On x86-64 Linux with GCC, a loop so marked is built twice, for AVX2 and for the baseline (SSE2), and
 * the loader picks per machine: the double-precision passes run 4 wide instead of 2. The same IEEE
 * operations either way (no FMA: contraction is off), so the same bits. -DDTRAIN_BLAS_BASELINE builds
 * the baseline alone, which the tests load to check what a CPU without AVX2 runs.
 */
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__) && !defined(DTRAIN_BLAS_BASELINE)
#define WIDE_VECTORS __attribute__((target_clones("avx2", "default")))
#else
#define WIDE_VECTORS
#endif

static inline double lanes_total(const double *a) {
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

/* Σ TERM(j) for j < n, TERM an expression of j, in the lanes' order. */
#define LANE_SUM(out, n, TERM)                                          \
  do {                                                                  \
    double acc_[LANES] = {0, 0, 0, 0, 0, 0, 0, 0};                      \
    size_t j = 0;                                                       \
    for (; j + LANES <= (n); j += LANES)                                \
      for (size_t k_ = 0; k_ < LANES; k_++) {                           \
        const size_t jj_ = j + k_;                                      \
        acc_[k_] += (double)(TERM(jj_));                                \
      }                                                                 \
    for (; j < (n); j++) acc_[j % LANES] += (double)(TERM(j));          \
    (out) = lanes_total(acc_);                                          \
  } while (0)

#endif
