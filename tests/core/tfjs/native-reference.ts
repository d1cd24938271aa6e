/**
 * Float64 references for the native-BLAS kernel tests, written from the definitions (not from the
 * kernels): each returns the value and, per element, Σ|terms| to scale the float32 tolerance.
 */
export interface Ref {
  values: Float64Array;
  scale: Float64Array;
}

/** op(A)·op(B) for one batch entry; a is [M,K] (or [K,M] transposed), b is [K,N] (or [N,K]). */
export function matmulRef(a: Float32Array, b: Float32Array, M: number, N: number, K: number, ta: boolean, tb: boolean): Ref {
  const values = new Float64Array(M * N);
  const scale = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      let abs = 0;
      for (let k = 0; k < K; k++) {
        const t = a[ta ? k * M + i : i * K + k]! * b[tb ? j * K + k : k * N + j]!;
        s += t;
        abs += Math.abs(t);
      }
      values[i * N + j] = s;
      scale[i * N + j] = abs;
    }
  }
  return { values, scale };
}

export interface ConvGeom {
  N: number;
  H: number;
  W: number;
  C: number;
  FH: number;
  FW: number;
  CO: number;
  SH: number;
  SW: number;
  top: number;
  left: number;
  OH: number;
  OW: number;
}

/** Calls f(n, oh, ow, i, j, xIndex) for every filter tap that lands inside the image (dilation 1). */
function forEachTap(g: ConvGeom, f: (n: number, oh: number, ow: number, i: number, j: number, xi: number) => void): void {
  for (let n = 0; n < g.N; n++)
    for (let oh = 0; oh < g.OH; oh++)
      for (let ow = 0; ow < g.OW; ow++)
        for (let i = 0; i < g.FH; i++)
          for (let j = 0; j < g.FW; j++) {
            const ih = oh * g.SH + i - g.top;
            const iw = ow * g.SW + j - g.left;
            if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) f(n, oh, ow, i, j, ((n * g.H + ih) * g.W + iw) * g.C);
          }
}

/** y[n,oh,ow,co] = Σ x[n, oh·SH+i−top, ow·SW+j−left, c] · w[i,j,c,co]. */
export function conv2dRef(x: Float32Array, w: Float32Array, g: ConvGeom): Ref {
  const values = new Float64Array(g.N * g.OH * g.OW * g.CO);
  const scale = new Float64Array(values.length);
  forEachTap(g, (n, oh, ow, i, j, xi) => {
    const yo = ((n * g.OH + oh) * g.OW + ow) * g.CO;
    for (let c = 0; c < g.C; c++)
      for (let co = 0; co < g.CO; co++) {
        const t = x[xi + c]! * w[((i * g.FW + j) * g.C + c) * g.CO + co]!;
        values[yo + co]! += t;
        scale[yo + co]! += Math.abs(t);
      }
  });
  return { values, scale };
}

/** dx[n,h,w,c] = Σ over the outputs that read x[n,h,w,c] of dy · w. */
export function conv2dBackpropInputRef(dy: Float32Array, w: Float32Array, g: ConvGeom): Ref {
  const values = new Float64Array(g.N * g.H * g.W * g.C);
  const scale = new Float64Array(values.length);
  forEachTap(g, (n, oh, ow, i, j, xi) => {
    const yo = ((n * g.OH + oh) * g.OW + ow) * g.CO;
    for (let c = 0; c < g.C; c++)
      for (let co = 0; co < g.CO; co++) {
        const t = dy[yo + co]! * w[((i * g.FW + j) * g.C + c) * g.CO + co]!;
        values[xi + c]! += t;
        scale[xi + c]! += Math.abs(t);
      }
  });
  return { values, scale };
}

/** dw[i,j,c,co] = Σ_{n,oh,ow} x[n, oh·SH+i−top, ow·SW+j−left, c] · dy[n,oh,ow,co]. */
export function conv2dBackpropFilterRef(x: Float32Array, dy: Float32Array, g: ConvGeom): Ref {
  const values = new Float64Array(g.FH * g.FW * g.C * g.CO);
  const scale = new Float64Array(values.length);
  forEachTap(g, (n, oh, ow, i, j, xi) => {
    const yo = ((n * g.OH + oh) * g.OW + ow) * g.CO;
    for (let c = 0; c < g.C; c++)
      for (let co = 0; co < g.CO; co++) {
        const t = x[xi + c]! * dy[yo + co]!;
        const k = ((i * g.FW + j) * g.C + c) * g.CO + co;
        values[k]! += t;
        scale[k]! += Math.abs(t);
      }
  });
  return { values, scale };
}

/** Asserts |got − want| ≤ 1e-5·Σ|terms| + 1e-6 everywhere (float32 rounding of a sum of products). */
export function assertClose(got: ArrayLike<number>, want: Ref, what: string): void {
  if (got.length !== want.values.length) throw new Error(`${what}: ${got.length} values, want ${want.values.length}`);
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i]! - want.values[i]!);
    if (!(err <= 1e-5 * want.scale[i]! + 1e-6))
      throw new Error(`${what}[${i}]: got ${got[i]}, want ${want.values[i]} (error ${err})`);
  }
}
