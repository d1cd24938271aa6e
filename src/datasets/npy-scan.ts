/**
 * Checks of an .npy's values that validation makes without keeping them, streamed in pieces: integer
 * inputs must stay exact as float32 (|v| ≤ 2^24, as datasetFromArrays requires when it loads them),
 * so a run is refused before its row and workers exist, not by every worker after.
 */
import { DatasetError, isIntegerDtype, npyItemSize, type NpyHeader } from '../core/data/index';

/** Largest integer float32 holds exactly (core/data/arrays.ts refuses beyond it when loading). */
const EXACT_INT = 2 ** 24;

/**
 * A consumer of an .npy's bytes from its first byte (header included) that throws at the first integer
 * beyond 2^24, or null when the dtype cannot hold one (floats, bool, 8- and 16-bit integers).
 */
export function exactIntegerScan(header: NpyHeader, what: string): ((chunk: Uint8Array) => void) | null {
  const size = npyItemSize(header.dtype);
  if (!isIntegerDtype(header.dtype) || size < 4) return null;
  const le = header.littleEndian;
  const read = (v: DataView, o: number): number => {
    switch (header.dtype) {
      case 'int32':
        return v.getInt32(o, le);
      case 'uint32':
        return v.getUint32(o, le);
      case 'int64':
        return Number(v.getBigInt64(o, le));
      default:
        return Number(v.getBigUint64(o, le));
    }
  };
  let skip = header.dataStart;
  let carry = new Uint8Array(0);
  let index = 0;
  return (chunk) => {
    if (skip >= chunk.length) {
      skip -= chunk.length;
      return;
    }
    let bytes = chunk.subarray(skip);
    skip = 0;
    if (carry.length > 0) {
      const joined = new Uint8Array(carry.length + bytes.length);
      joined.set(carry);
      joined.set(bytes, carry.length);
      bytes = joined;
    }
    const whole = bytes.length - (bytes.length % size);
    const v = new DataView(bytes.buffer, bytes.byteOffset, whole);
    for (let o = 0; o < whole; o += size, index++) {
      const value = read(v, o);
      if (Math.abs(value) > EXACT_INT)
        throw new DatasetError(
          `${what} holds the integer ${value} at flat index ${index}: integers beyond 2^24 cannot stay exact as float32 inputs`,
        );
    }
    carry = bytes.slice(whole);
  };
}
