/**
 * What the native kernels need from a BLAS: row-major sgemm plus the im2col/col2im passes that turn
 * each convolution into one sgemm, and the recurrent layers' whole-sequence kernels. Core only sees this interface; the Node side (src/workers) loads
 * the addon that implements it (native/blas) and injects it through registerProjectKernels({ native }),
 * so core stays free of Node built-ins and runs unchanged where no addon exists.
 */
export interface NativeGemm {
  /** C = alpha·op(A)·op(B) + beta·C, row-major; op(A) is M×K, op(B) is K×N. Throws on a length that does not fit. */
  sgemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: Float32Array,
    lda: number,
    B: Float32Array,
    ldb: number,
    beta: number,
    C: Float32Array,
    ldc: number,
  ): void;
  /**
   * For every batch entry i < batch and head h < heads: C_ih = op(A_ih)·op(B_ih), each matrix at
   * i·xBatch + h·xHead of its array with leading dimension ldx (native/blas/heads.c; absent from older
   * addons). K ≥ 1. Throws on a length that does not fit.
   */
  sgemmHeads?(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    A: Float32Array,
    lda: number,
    aBatch: number,
    aHead: number,
    B: Float32Array,
    ldb: number,
    bBatch: number,
    bHead: number,
    C: Float32Array,
    ldc: number,
    cBatch: number,
    cHead: number,
    batch: number,
    heads: number,
  ): void;
  /**
   * NHWC x [N, H, W, C] → cols [N·OH·OW, FH·FW·C] (dilation 1; taps outside the image read 0):
   * cols[n, oh, ow, (i·FW + j)·C + c] = x[n, oh·SH + i − padTop, ow·SW + j − padLeft, c].
   */
  im2col(
    x: Float32Array,
    N: number,
    H: number,
    W: number,
    C: number,
    FH: number,
    FW: number,
    SH: number,
    SW: number,
    padTop: number,
    padLeft: number,
    OH: number,
    OW: number,
    cols: Float32Array,
  ): void;
  /** The adjoint of im2col: x (overwritten) = the sum of every cols value at the pixel im2col read it from. */
  col2im(
    cols: Float32Array,
    N: number,
    H: number,
    W: number,
    C: number,
    FH: number,
    FW: number,
    SH: number,
    SW: number,
    padTop: number,
    padLeft: number,
    OH: number,
    OW: number,
    x: Float32Array,
  ): void;
  /** The recurrent layers' whole-sequence kernels (native/blas/rnn.c); absent from an addon built before them. */
  recurrence?: NativeRecurrence;
  /** Layer normalization's two kernels (native/blas/norm.c); absent from an addon built before them. */
  norm?: NativeLayerNorm;
  /** y = softmax(scale·x) over each row of `cols` (native/blas/softmax.c; kernels/scaled-softmax.ts); absent from older addons. */
  softmax?: (x: Float32Array, cols: number, scale: number, y: Float32Array) => void;
  /** The scaled softmax's gradient (native/blas/softmax.c; kernels/softmax-grad.ts has its loop); absent from older addons. */
  softmaxGrad?: (dy: Float32Array, y: Float32Array, cols: number, scale: number, dx: Float32Array) => void;
}

/** The native loops of kernels/layer-norm.ts (same arguments as layerNormRows / layerNormGradRows, same bits). */
export interface NativeLayerNorm {
  layerNorm(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    epsilon: number,
    y: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
  ): void;
  layerNormGrad(
    dy: Float32Array,
    x: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    gamma: Float32Array,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
  ): void;
}

/**
 * A recurrent layer's scan in two calls (native/blas/rnn.c documents the cells, config and layouts):
 * rnnScan fills H, C (LSTM), `saved` and `out` (the layer's packed result [batch, time + states,
 * units]); rnnScanBackward reads them and dOut and writes dPre, dKernel, dBias, dInit. `pre`, `out`,
 * `dOut` and `dPre` may be views of wasm memory (the tensors' own buffers: no copies).
 */
export interface NativeRecurrence {
  rnnScan(
    config: Int32Array,
    pre: Float32Array,
    kernel: Float32Array,
    bias: Float32Array | null,
    keep: Uint8Array | null,
    H: Float32Array,
    C: Float32Array | null,
    out: Float32Array,
    saved: Float32Array,
  ): void;
  rnnScanBackward(
    config: Int32Array,
    kernel: Float32Array,
    keep: Uint8Array | null,
    H: Float32Array,
    C: Float32Array | null,
    saved: Float32Array,
    dOut: Float32Array,
    dPre: Float32Array,
    dKernel: Float32Array,
    dBias: Float32Array | null,
    dInit: Float32Array,
  ): void;
}

/**
 * Upper bound on im2col elements per batch chunk: 4 MB of float32, so the columns im2col writes are still
 * in cache when sgemm reads them (CNN step at batch 256: ~135 ms with 32 MB chunks, ~115 ms with 4 MB,
 * alternating runs on a shared machine). Mutable so tests can force chunks.
 */
export const nativeLimits = { maxCols: 1024 * 1024 };

/**
 * A reusable column buffer, grown to the largest size asked for. It lives on the JS heap, not in wasm
 * memory: the addon takes any Float32Array, and a buffer in wasm memory would grow the heap (and
 * detach every view). One per registration of the native kernels (kernels/index.ts), not per process.
 */
export class ColumnBuffer {
  private columns = new Float32Array(0);

  /** At least `n` floats (contents unspecified). */
  take(n: number): Float32Array {
    if (this.columns.length < n) this.columns = new Float32Array(n);
    return this.columns;
  }
}

/** Examples per chunk so that one chunk's columns stay under nativeLimits.maxCols (at least 1). */
export function chunkSize(rowsPerExample: number, k: number): number {
  return Math.max(1, Math.floor(nativeLimits.maxCols / Math.max(1, rowsPerExample * k)));
}
