/**
 * Row sums in float64 over 8 lanes: lane k adds the terms j ≡ k (mod 8) in order, then the lanes add
 * pairwise, ((0+1)+(2+3))+((4+5)+(6+7)). The native loops (native/blas/lanes.h) use the same order,
 * where eight independent additions vectorise instead of waiting on one running sum; the JavaScript
 * kernels follow it so that both give the same bits.
 */
export const LANES = 8;

/** The lanes' total: `acc` holds LANES partial sums. */
export function lanesTotal(acc: Float64Array): number {
  return acc[0]! + acc[1]! + (acc[2]! + acc[3]!) + (acc[4]! + acc[5]! + (acc[6]! + acc[7]!));
}
