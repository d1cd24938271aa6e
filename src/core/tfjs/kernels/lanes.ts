/**
 * Row sums in float64 over 8 lanes: lane k adds the terms j ≡ k (mod 8) in order, then the lanes add
 * pairwise, ((0+1)+(2+3))+((4+5)+(6+7)). The native loops (native/blas/lanes.h) use this order, where
 * eight independent additions vectorise instead of waiting on one running sum; the JavaScript kernels
 * follow it so that both give the same bits. Each sum here keeps its lanes in locals and reads the row
 * in place (an array of partial sums, or the terms copied out first, ran 1.4–2x slower than a plain sum).
 */

const total = (a0: number, a1: number, a2: number, a3: number, a4: number, a5: number, a6: number, a7: number) =>
  a0 + a1 + (a2 + a3) + (a4 + a5 + (a6 + a7));

/** Σ x[o + j] for j < n. */
export function laneSum(x: Float32Array, o: number, n: number): number {
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0; // prettier-ignore
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const i = o + j;
    a0 += x[i]!;
    a1 += x[i + 1]!;
    a2 += x[i + 2]!;
    a3 += x[i + 3]!;
    a4 += x[i + 4]!;
    a5 += x[i + 5]!;
    a6 += x[i + 6]!;
    a7 += x[i + 7]!;
  }
  // The ragged end: term j + k belongs to lane k (j is a multiple of 8 here).
  const i = o + j;
  const rest = n - j;
  if (rest > 0) a0 += x[i]!;
  if (rest > 1) a1 += x[i + 1]!;
  if (rest > 2) a2 += x[i + 2]!;
  if (rest > 3) a3 += x[i + 3]!;
  if (rest > 4) a4 += x[i + 4]!;
  if (rest > 5) a5 += x[i + 5]!;
  if (rest > 6) a6 += x[i + 6]!;
  return total(a0, a1, a2, a3, a4, a5, a6, a7);
}

/** Σ (x[o + j] − m)² for j < n, each difference and square in float64. */
export function laneSumSquaredDeviations(x: Float32Array, o: number, n: number, m: number): number {
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0; // prettier-ignore
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const i = o + j;
    const d0 = x[i]! - m;
    a0 += d0 * d0;
    const d1 = x[i + 1]! - m;
    a1 += d1 * d1;
    const d2 = x[i + 2]! - m;
    a2 += d2 * d2;
    const d3 = x[i + 3]! - m;
    a3 += d3 * d3;
    const d4 = x[i + 4]! - m;
    a4 += d4 * d4;
    const d5 = x[i + 5]! - m;
    a5 += d5 * d5;
    const d6 = x[i + 6]! - m;
    a6 += d6 * d6;
    const d7 = x[i + 7]! - m;
    a7 += d7 * d7;
  }
  const i = o + j;
  const rest = n - j;
  if (rest > 0) a0 += (x[i]! - m) * (x[i]! - m);
  if (rest > 1) a1 += (x[i + 1]! - m) * (x[i + 1]! - m);
  if (rest > 2) a2 += (x[i + 2]! - m) * (x[i + 2]! - m);
  if (rest > 3) a3 += (x[i + 3]! - m) * (x[i + 3]! - m);
  if (rest > 4) a4 += (x[i + 4]! - m) * (x[i + 4]! - m);
  if (rest > 5) a5 += (x[i + 5]! - m) * (x[i + 5]! - m);
  if (rest > 6) a6 += (x[i + 6]! - m) * (x[i + 6]! - m);
  return total(a0, a1, a2, a3, a4, a5, a6, a7);
}

/**
 * The layer-norm gradient's two row sums, Σ g and Σ g·x̂ with g = dy·γ and x̂ = (x − m)·inv (all float64),
 * into out[0] and out[1]; in the same pass the row's share of dγ (dy·x̂) and dβ (dy) is added to dg, db.
 */
export function laneGradSums(
  dy: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  o: number,
  n: number,
  m: number,
  inv: number,
  out: Float64Array,
  dg: Float64Array,
  db: Float64Array,
): void {
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0; // prettier-ignore
  let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0; // prettier-ignore
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const i = o + j;
    const d0 = dy[i + 0]!;
    const xh0 = (x[i + 0]! - m) * inv;
    const g0 = d0 * gamma[j + 0]!;
    a0 += g0;
    b0 += g0 * xh0;
    dg[j + 0] += d0 * xh0;
    db[j + 0] += d0;
    const d1 = dy[i + 1]!;
    const xh1 = (x[i + 1]! - m) * inv;
    const g1 = d1 * gamma[j + 1]!;
    a1 += g1;
    b1 += g1 * xh1;
    dg[j + 1] += d1 * xh1;
    db[j + 1] += d1;
    const d2 = dy[i + 2]!;
    const xh2 = (x[i + 2]! - m) * inv;
    const g2 = d2 * gamma[j + 2]!;
    a2 += g2;
    b2 += g2 * xh2;
    dg[j + 2] += d2 * xh2;
    db[j + 2] += d2;
    const d3 = dy[i + 3]!;
    const xh3 = (x[i + 3]! - m) * inv;
    const g3 = d3 * gamma[j + 3]!;
    a3 += g3;
    b3 += g3 * xh3;
    dg[j + 3] += d3 * xh3;
    db[j + 3] += d3;
    const d4 = dy[i + 4]!;
    const xh4 = (x[i + 4]! - m) * inv;
    const g4 = d4 * gamma[j + 4]!;
    a4 += g4;
    b4 += g4 * xh4;
    dg[j + 4] += d4 * xh4;
    db[j + 4] += d4;
    const d5 = dy[i + 5]!;
    const xh5 = (x[i + 5]! - m) * inv;
    const g5 = d5 * gamma[j + 5]!;
    a5 += g5;
    b5 += g5 * xh5;
    dg[j + 5] += d5 * xh5;
    db[j + 5] += d5;
    const d6 = dy[i + 6]!;
    const xh6 = (x[i + 6]! - m) * inv;
    const g6 = d6 * gamma[j + 6]!;
    a6 += g6;
    b6 += g6 * xh6;
    dg[j + 6] += d6 * xh6;
    db[j + 6] += d6;
    const d7 = dy[i + 7]!;
    const xh7 = (x[i + 7]! - m) * inv;
    const g7 = d7 * gamma[j + 7]!;
    a7 += g7;
    b7 += g7 * xh7;
    dg[j + 7] += d7 * xh7;
    db[j + 7] += d7;
  }
  // The ragged end: term j + k belongs to lane k (j is a multiple of 8 here).
  for (let k = 0; j + k < n; k++) {
    const d = dy[o + j + k]!;
    const xh = (x[o + j + k]! - m) * inv;
    const g = d * gamma[j + k]!;
    const gx = g * xh;
    dg[j + k] += d * xh;
    db[j + k] += d;
    if (k === 0) ((a0 += g), (b0 += gx));
    else if (k === 1) ((a1 += g), (b1 += gx));
    else if (k === 2) ((a2 += g), (b2 += gx));
    else if (k === 3) ((a3 += g), (b3 += gx));
    else if (k === 4) ((a4 += g), (b4 += gx));
    else if (k === 5) ((a5 += g), (b5 += gx));
    else ((a6 += g), (b6 += gx));
  }
  out[0] = total(a0, a1, a2, a3, a4, a5, a6, a7);
  out[1] = total(b0, b1, b2, b3, b4, b5, b6, b7);
}
