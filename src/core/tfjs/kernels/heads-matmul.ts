/**
 * The attention's per-head matrix products read and written in place in either layout of a 4-D
 * [batch, ·, ·, ·] tensor (../heads-matmul.ts has the op and its layouts): one sgemm per (batch, head)
 * whose leading dimensions step over the other heads, so the [batch, time, heads, dim] projections
 * need no transpose into [batch, heads, time, dim] and back. Stock wasm's Transpose took ~0.15–0.28 ms
 * for each of the bench Transformer's eight; these strides cost nothing. The (batch, head) loop runs in
 * C (the addon's sgemmHeads; an older addon without it: one sgemm call per matrix from here).
 * Registered only with the native addon (its sgemm takes leading dimensions); elsewhere the op runs
 * transposes and matMul.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeGemm } from './native-gemm';
import type { WasmBackend } from './wasm-ops';

export const HEADS_MATMUL = 'DtrainHeadsMatMul';

/** 'byHead': [batch, heads, rows, cols]; 'byRow': [batch, rows, heads, cols] (a projection's own layout). */
export type HeadsLayout = 'byHead' | 'byRow';

export interface HeadsMatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  layoutA: HeadsLayout;
  layoutB: HeadsLayout;
  layoutOut: HeadsLayout;
}

/** One operand's (batch, head) matrices: rows × cols each, matrix (b, h) at b·batchStep + h·headStep, rows ld apart. */
interface Matrices {
  batch: number;
  heads: number;
  rows: number;
  cols: number;
  batchStep: number;
  headStep: number;
  ld: number;
}

export function matricesOf(shape: number[], layout: HeadsLayout): Matrices {
  const [batch, second, third, cols] = shape as [number, number, number, number];
  if (layout === 'byHead') {
    const [heads, rows] = [second, third];
    return { batch, heads, rows, cols, batchStep: heads * rows * cols, headStep: rows * cols, ld: cols };
  }
  const [rows, heads] = [second, third];
  return { batch, heads, rows, cols, batchStep: rows * heads * cols, headStep: cols, ld: heads * cols };
}

/** The output's shape: [batch, heads, M, N] or [batch, M, heads, N]. */
export function headsOutShape(batch: number, heads: number, M: number, N: number, layout: HeadsLayout): number[] {
  return layout === 'byHead' ? [batch, heads, M, N] : [batch, M, heads, N];
}

export function nativeHeadsMatMulConfig(native: NativeGemm): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const be = backend as WasmBackend;
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const at = attrs as unknown as HeadsMatMulAttrs;
    const A = matricesOf(a.shape, at.layoutA);
    const B = matricesOf(b.shape, at.layoutB);
    const [M, K] = at.transposeA ? [A.cols, A.rows] : [A.rows, A.cols];
    const [K2, N] = at.transposeB ? [B.cols, B.rows] : [B.rows, B.cols];
    if (a.shape.length !== 4 || b.shape.length !== 4 || A.batch !== B.batch || A.heads !== B.heads || K !== K2)
      throw new Error(`${HEADS_MATMUL}: [${a.shape.join(', ')}] and [${b.shape.join(', ')}] do not multiply per head`);
    const outShape = headsOutShape(A.batch, A.heads, M, N, at.layoutOut);
    const out = be.makeOutput(outShape, 'float32');
    const C = matricesOf(outShape, at.layoutOut);
    // Views after makeOutput: an allocation may grow wasm memory and detach older views.
    const [av, bv, cv] = [a, b, out].map((t) => be.typedArrayFromHeap(t) as Float32Array) as [
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    if (M * N * K === 0) {
      cv.fill(0); // a sum over nothing (K = 0), or nothing to write
      return out;
    }
    const [ta, tb] = [at.transposeA, at.transposeB];
    if (native.sgemmHeads) {
      // One call for every (batch, head): the loop in C (native/blas/heads.c).
      native.sgemmHeads(
        ta,
        tb,
        M,
        N,
        K,
        av,
        A.ld,
        A.batchStep,
        A.headStep,
        bv,
        B.ld,
        B.batchStep,
        B.headStep,
        cv,
        C.ld,
        C.batchStep,
        C.headStep,
        A.batch,
        A.heads,
      );
      return out;
    }
    for (let i = 0; i < A.batch; i++)
      for (let h = 0; h < A.heads; h++) {
        const view = (x: Matrices, v: Float32Array) => v.subarray(i * x.batchStep + h * x.headStep);
        native.sgemm(ta, tb, M, N, K, 1, view(A, av), A.ld, view(B, bv), B.ld, 0, view(C, cv), C.ld);
      }
    return out;
  };
  return { kernelName: HEADS_MATMUL, backendName: 'wasm', kernelFunc };
}
