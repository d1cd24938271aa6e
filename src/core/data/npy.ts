/**
 * NumPy's `.npy` format (versions 1.0, 2.0 and 3.0): read any numeric or bool array, little or big
 * endian, C or Fortran order; write little-endian C-order arrays that `numpy.load` reads.
 * Pure bytes in, bytes out, so the engine, the workers and the export share one codec.
 */
import { DatasetError } from './types';
import { float16Bits, float16ToNumber } from './float16';
import { excerpt, quote } from '../text/quote';

export type NpyDtype =
  'bool' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float16' | 'float32' | 'float64';

/** Decoded values, always in native (little-endian) C order. float16 is widened to Float32Array. */
export type NpyData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

/** What a .npy writer accepts as values: numbers (converted to the dtype) or 64-bit integer arrays. */
export type NpyValues = ArrayLike<number> | BigInt64Array | BigUint64Array;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

// kind letter + item size → dtype; the byte-order character is handled separately.
const DTYPES: Record<string, NpyDtype> = {
  b1: 'bool',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
};
const ITEM_SIZE: Record<NpyDtype, number> = {
  bool: 1,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  float16: 2,
  float32: 4,
  float64: 8,
};
const DESCR: Record<NpyDtype, string> = Object.fromEntries(
  Object.entries(DTYPES).map(([code, dtype]) => [dtype, `${ITEM_SIZE[dtype] === 1 ? '|' : '<'}${code}`]),
) as Record<NpyDtype, string>;

/** Decodes a .npy file. Errors (object arrays, truncated data, a bad header) are one-line DatasetErrors. */
export function decodeNpy(bytes: Uint8Array): NpyArray {
  const { dtype, littleEndian, fortranOrder, shape, dataStart } = decodeNpyHeader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = shape.reduce((a, b) => a * b, 1);
  const itemSize = ITEM_SIZE[dtype];
  if (bytes.length - dataStart < count * itemSize) {
    throw new DatasetError(
      `truncated .npy file: shape (${shape.join(', ')}) of ${dtype} needs ${count * itemSize} bytes, the file has ${bytes.length - dataStart}`,
    );
  }
  const flat = readValues(view, dataStart, count, dtype, littleEndian);
  return { dtype, shape, data: fortranOrder && shape.length > 1 ? fortranToC(flat, shape) : flat };
}

/** Bytes of the values a header declares (count × item size). */
export function npyDataBytes(h: Pick<NpyHeader, 'dtype' | 'shape'>): number {
  return h.shape.reduce((a, b) => a * b, 1) * ITEM_SIZE[h.dtype];
}

export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  littleEndian: boolean;
  fortranOrder: boolean;
  /** Byte offset of the first value. */
  dataStart: number;
}

/** The header of a .npy file: its first bytes are enough (a few hundred; `bytes` may stop after them). */
export function decodeNpyHeader(bytes: Uint8Array): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new DatasetError('not a .npy file (bad magic bytes)');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (major < 1 || major > 3) throw new DatasetError(`unsupported .npy format version ${major}.${bytes[7]}`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lenBytes + headerLen;
  if (dataStart > bytes.length) throw new DatasetError('truncated .npy file (header runs past the end)');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(8 + lenBytes, dataStart));
  const { descr, fortranOrder, shape } = parseHeader(header);
  return { ...dtypeOf(descr), fortranOrder, shape, dataStart };
}

/**
 * Encodes values as a little-endian, C-order .npy (version 1.0, or 2.0 for a huge header), header
 * padded to 64 bytes as numpy does. Numbers are converted to `dtype` (ints must be integers in range).
 */
export function encodeNpy(values: NpyValues, dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  if (!(dtype in ITEM_SIZE)) throw new DatasetError(`unsupported dtype '${dtype}' (known: ${Object.keys(ITEM_SIZE).join(', ')})`);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new DatasetError(`bad shape [${shape.join(', ')}]`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (values.length !== count) throw new DatasetError(`shape [${shape.join(', ')}] holds ${count} values, got ${values.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const major = header.length + 11 > 0xffff ? 2 : 1;
  const prefix = 8 + (major === 1 ? 2 : 4);
  header += ' '.repeat(63 - ((prefix + header.length) % 64)) + '\n';
  const itemSize = ITEM_SIZE[dtype];
  const out = new Uint8Array(prefix + header.length + count * itemSize);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  writeValues(view, prefix + header.length, values, dtype);
  return out;
}

/** Values of any decoded array as float64 numbers (64-bit integers beyond 2^53 lose precision). */
export function npyToNumbers(array: Pick<NpyArray, 'data'>): Float64Array {
  const out = new Float64Array(array.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(array.data[i]!);
  return out;
}

export function isIntegerDtype(dtype: NpyDtype): boolean {
  return dtype !== 'float16' && dtype !== 'float32' && dtype !== 'float64';
}

function parseHeader(header: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*(['"])(.*?)\1/.exec(header);
  if (/'descr'\s*:\s*\[/.test(header))
    throw new DatasetError('structured (record) arrays are not supported: save plain numeric arrays');
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) throw new DatasetError(`corrupt .npy header: ${quote(header.trim(), 80)}`);
  const dims = shape[1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (dims.some((d) => !/^\d+L?$/.test(d))) throw new DatasetError(`corrupt .npy header: bad shape (${excerpt(shape[1]!, 80)})`);
  return { descr: descr[2]!, fortranOrder: fortran[1] === 'True', shape: dims.map((d) => parseInt(d, 10)) };
}

function dtypeOf(descr: string): { dtype: NpyDtype; littleEndian: boolean } {
  const order = descr[0]!;
  const code = '<>|='.includes(order) ? descr.slice(1) : descr;
  if (code === 'O')
    throw new DatasetError("object arrays (dtype 'O') cannot be read: save a numeric array (e.g. x.astype('float32'))");
  const dtype = DTYPES[code === '?' ? 'b1' : code === 'b' ? 'i1' : code === 'B' ? 'u1' : code];
  if (!dtype)
    throw new DatasetError(`unsupported dtype ${quote(descr, 40)}: use bool, int8..int64, uint8..uint64 or float16/32/64`);
  return { dtype, littleEndian: order !== '>' };
}

function allocate(dtype: NpyDtype, n: number): NpyData {
  switch (dtype) {
    case 'bool':
    case 'uint8':
      return new Uint8Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'uint16':
      return new Uint16Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'uint32':
      return new Uint32Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'uint64':
      return new BigUint64Array(n);
    case 'float16':
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
  }
}

/** Bytes per value of a dtype. */
export function npyItemSize(dtype: NpyDtype): number {
  return ITEM_SIZE[dtype];
}

/** `n` values of `dtype` from `view` at byte `start`, native order (decodeNpy's reading, for a part of a file). */
export function readValues(view: DataView, start: number, n: number, dtype: NpyDtype, le: boolean): NpyData {
  const size = ITEM_SIZE[dtype];
  if (le && dtype !== 'float16' && dtype !== 'bool') {
    // Native byte order: one copy into an aligned buffer instead of a read per value.
    const bytes = (view.buffer as ArrayBuffer).slice(view.byteOffset + start, view.byteOffset + start + n * size);
    return new (allocate(dtype, 0).constructor as new (b: ArrayBuffer) => NpyData)(bytes);
  }
  const out = allocate(dtype, n);
  const get: (o: number) => number | bigint = {
    bool: (o: number) => (view.getUint8(o) !== 0 ? 1 : 0),
    int8: (o: number) => view.getInt8(o),
    uint8: (o: number) => view.getUint8(o),
    int16: (o: number) => view.getInt16(o, le),
    uint16: (o: number) => view.getUint16(o, le),
    int32: (o: number) => view.getInt32(o, le),
    uint32: (o: number) => view.getUint32(o, le),
    int64: (o: number) => view.getBigInt64(o, le),
    uint64: (o: number) => view.getBigUint64(o, le),
    float16: (o: number) => float16ToNumber(view.getUint16(o, le)),
    float32: (o: number) => view.getFloat32(o, le),
    float64: (o: number) => view.getFloat64(o, le),
  }[dtype];
  for (let i = 0; i < n; i++) (out as unknown as (number | bigint)[])[i] = get(start + i * size);
  return out;
}

function writeValues(view: DataView, start: number, values: NpyValues, dtype: NpyDtype): void {
  const size = ITEM_SIZE[dtype];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const o = start + i * size;
    if (dtype === 'float32') view.setFloat32(o, Number(v), true);
    else if (dtype === 'float64') view.setFloat64(o, Number(v), true);
    else if (dtype === 'float16') view.setUint16(o, float16Bits(Number(v)), true);
    else if (dtype === 'bool') view.setUint8(o, v ? 1 : 0);
    else if (dtype === 'int64' || dtype === 'uint64') {
      const b = typeof v === 'bigint' ? v : BigInt(checkInt(v, dtype));
      if (dtype === 'int64') view.setBigInt64(o, b, true);
      else view.setBigUint64(o, b, true);
    } else {
      const n = checkInt(Number(v), dtype);
      const bits = size * 8;
      const [lo, hi] = dtype.startsWith('u') ? [0, 2 ** bits - 1] : [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1];
      if (n < lo || n > hi) throw new DatasetError(`value ${n} at index ${i} does not fit ${dtype}`);
      if (size === 1) view.setUint8(o, n & 0xff);
      else if (size === 2) view.setUint16(o, n & 0xffff, true);
      else view.setUint32(o, n >>> 0, true);
    }
  }
}

function checkInt(v: number, dtype: NpyDtype): number {
  if (!Number.isInteger(v)) throw new DatasetError(`${dtype} needs integers, got ${v}`);
  return v;
}

/** Fortran (column-major) → C (row-major) order. */
function fortranToC(src: NpyData, shape: number[]): NpyData {
  const out = allocate(typeOf(src), src.length) as unknown as (number | bigint)[];
  const s = src as unknown as ArrayLike<number | bigint>;
  const rank = shape.length;
  const fStride = new Array<number>(rank);
  for (let d = 0, acc = 1; d < rank; d++) ((fStride[d] = acc), (acc *= shape[d]!));
  const idx = new Array<number>(rank).fill(0);
  for (let c = 0; c < src.length; c++) {
    let f = 0;
    for (let d = 0; d < rank; d++) f += idx[d]! * fStride[d]!;
    out[c] = s[f]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out as unknown as NpyData;
}

function typeOf(a: NpyData): NpyDtype {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof BigUint64Array) return 'uint64';
  return 'uint8';
}
