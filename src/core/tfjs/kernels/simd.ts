/**
 * WASM SIMD functions that run directly on tfjs-backend-wasm's heap: assembled here (with the
 * optimizer's tiny encoder) into a module that imports the backend's own WebAssembly.Memory, so a
 * kernel reads its inputs and writes its outputs in place, four floats at a time and without branches.
 * JS loops over heap views were slower than the stock kernels for the element-wise work (mispredicted
 * branches, no vectors); these are not.
 */
import { Body, F32, I32, V128, encodeModule, uleb, type FuncDef, type ValType } from '../../wasm/encoder';
import { wasmSimdSupported } from '../../wasm/heap';

export { F32, I32, V128, type FuncDef, type ValType };

/** Core opcodes beyond the encoder's list. */
export const Core = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  select: 0x1b,
  f32Load: 0x2a,
  f64Load: 0x2b,
  f32Store: 0x38,
  f64Store: 0x39,
  i32Eqz: 0x45,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GtS: 0x4a,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
} as const;

/** SIMD opcodes (after the 0xfd prefix). */
export const Vec = {
  load: 0x00,
  store: 0x0b,
  const: 0x0c,
  shuffle: 0x0d,
  i32x4Splat: 0x11,
  f32x4Splat: 0x13,
  i32x4Eq: 0x37,
  f32x4Ne: 0x42,
  f32x4Gt: 0x44,
  and: 0x4e,
  bitselect: 0x52,
  f64x2PromoteLow: 0x5f,
  f32x4Add: 0xe4,
  f32x4Mul: 0xe6,
  f32x4Pmax: 0xeb,
  f64x2Add: 0xf0,
} as const;

/** Body with the addressing and loop shapes the kernels use. */
export class Asm extends Body {
  v(code: number): this {
    return this.simd(code);
  }
  /** v128.load / v128.store at the address on the stack + a constant byte offset. */
  vload(offset = 0): this {
    return this.simd(Vec.load).op(2, ...uleb(offset));
  }
  vstore(offset = 0): this {
    return this.simd(Vec.store).op(2, ...uleb(offset));
  }
  f64load(offset = 0): this {
    return this.op(Core.f64Load, 3, ...uleb(offset));
  }
  /** A v128 constant of four equal f32 lanes. */
  f32x4(value: number): this {
    const lane = new Uint8Array(new Float32Array([value]).buffer);
    return this.simd(Vec.const).op(...lane, ...lane, ...lane, ...lane);
  }
  add(a: number, b: number): this {
    return this.get(a).get(b).op(Core.i32Add);
  }
  /** `for (; i < end; i += step) body()` over i32 locals (nothing runs when i >= end at the start). */
  forLoop(i: number, end: number, step: number | (() => void), body: () => void): this {
    this.op(Core.block, 0x40).get(i).get(end).op(Core.i32GeU, Core.brIf, 0);
    this.op(Core.loop, 0x40);
    body();
    if (typeof step === 'number') this.get(i).i32(step).op(Core.i32Add).set(i);
    else step();
    this.get(i).get(end).op(Core.i32LtU, Core.brIf, 0);
    return this.op(Core.end, Core.end);
  }
}

export type SimdFuncs = Record<string, (...args: number[]) => void>;

interface HeapOwner {
  wasm?: { asm?: { memory?: unknown } };
}

/** The backend's WebAssembly.Memory, or null (no SIMD, or a tfjs-backend-wasm that hides it). */
export function heapMemory(backend: unknown): WebAssembly.Memory | null {
  const memory = (backend as HeapOwner).wasm?.asm?.memory;
  return memory instanceof WebAssembly.Memory && wasmSimdSupported() ? memory : null;
}

const instances = new WeakMap<WebAssembly.Memory, Map<string, SimdFuncs>>();

/**
 * The functions of module `key` (built by `make`) bound to the backend's heap, or null when that heap
 * is not reachable (callers then take their JS path). Compiled once per memory.
 */
export function simdFuncs(backend: unknown, key: string, make: () => FuncDef[]): SimdFuncs | null {
  const memory = heapMemory(backend);
  if (memory === null) return null;
  let byKey = instances.get(memory);
  if (byKey === undefined) instances.set(memory, (byKey = new Map()));
  let funcs = byKey.get(key);
  if (funcs === undefined) {
    const module = new WebAssembly.Module(encodeModule(make(), true));
    funcs = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdFuncs;
    byKey.set(key, funcs);
  }
  return funcs;
}

/** A tensor's byte address in the heap. */
export function heapAddress(backend: unknown, dataId: object): number {
  return (backend as { getMemoryOffset(id: object): number }).getMemoryOffset(dataId);
}
