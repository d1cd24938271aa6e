// A tiny WebAssembly binary encoder: just enough to assemble the few fused
// kernels we need in TypeScript, so no wat2wasm tool or committed blob is needed.
// Binary format reference: WebAssembly core spec §5 (binary format) + SIMD proposal.

export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof F64 | typeof V128;

/** Opcodes used by the kernels (single-byte core opcodes). */
export const Op = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  drop: 0x1a,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  i32Load: 0x28,
  f32Load: 0x2a,
  f32Store: 0x38,
  i32GeU: 0x4f,
  i32LtU: 0x49,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Shl: 0x74,
  f32Neg: 0x8c,
  f32Sqrt: 0x91,
  f32Add: 0x92,
  f32Sub: 0x93,
  f32Mul: 0x94,
  f32Div: 0x95,
} as const;

/** SIMD opcodes (emitted after the 0xfd prefix as a LEB128 u32). */
export const Simd = {
  v128Load: 0x00,
  v128Store: 0x0b,
  v128Const: 0x0c,
  f32x4Splat: 0x13,
  f32x4Neg: 0xe1,
  f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
} as const;

export function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function utf8(s: string): number[] {
  return [...new TextEncoder().encode(s)];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

/** Builds one function body as a flat byte list; methods chain. */
export class Body {
  readonly bytes: number[] = [];
  op(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }
  get(i: number): this {
    return this.op(Op.localGet, ...uleb(i));
  }
  set(i: number): this {
    return this.op(Op.localSet, ...uleb(i));
  }
  tee(i: number): this {
    return this.op(Op.localTee, ...uleb(i));
  }
  i32(v: number): this {
    return this.op(Op.i32Const, ...sleb(v));
  }
  simd(code: number): this {
    return this.op(0xfd, ...uleb(code));
  }
  /** A memory access: opcode bytes, then memarg (log2 alignment, offset 0). */
  mem(opcode: number[], alignLog2: number): this {
    return this.op(...opcode, ...uleb(alignLog2), 0);
  }
}

export interface FuncDef {
  name: string;
  params: ValType[];
  results: ValType[];
  /** Extra locals after the params, one entry per local. */
  locals: ValType[];
  body: Body;
}

/** Local declarations compressed into (count, type) runs. */
function localRuns(locals: ValType[]): number[][] {
  const runs: number[][] = [];
  let i = 0;
  while (i < locals.length) {
    let j = i;
    while (j < locals.length && locals[j] === locals[i]) j++;
    runs.push([...uleb(j - i), locals[i]]);
    i = j;
  }
  return runs;
}

/**
 * Encodes a module whose functions are all exported. With `importMemory` the
 * module imports `env.memory` (min 0 pages, no max, so any memory fits).
 */
export function encodeModule(funcs: FuncDef[], importMemory: boolean): Uint8Array<ArrayBuffer> {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...vec(f.results.map((r) => [r]))]);
  const imports = importMemory ? [[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]] : [];
  const funcIdx = funcs.map((_, i) => uleb(i));
  const exports = funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]);
  const codes = funcs.map((f) => {
    const code = [...vec(localRuns(f.locals)), ...f.body.bytes, Op.end];
    return [...uleb(code.length), ...code];
  });
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...(importMemory ? section(2, vec(imports)) : []),
    ...section(3, vec(funcIdx)),
    ...section(7, vec(exports)),
    ...section(10, vec(codes)),
  ];
  return new Uint8Array(bytes);
}

function name(s: string): number[] {
  const b = utf8(s);
  return [...uleb(b.length), ...b];
}
