// Shared arithmetic for the ring collectives: chunk splits, pieces, argument checks.
import type { ReduceArray } from './types';

/** Element range [start, end) of one piece of a chunk. */
export interface Range {
  start: number;
  end: number;
}

export function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** Splits `total` into `parts` contiguous sizes differing by at most one (larger ones first). */
export function balancedSizes(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  const extra = total % parts;
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0));
}

/** Prefix sums: offsets[i] is where chunk i starts; offsets[sizes.length] is the total. */
export function offsetsOf(sizes: readonly number[]): number[] {
  const offsets = [0];
  for (const s of sizes) offsets.push(offsets[offsets.length - 1] + s);
  return offsets;
}

/** Splits [start, start + length) into pieces of at most `pieceElems` elements (none if empty). */
export function piecesOf(start: number, length: number, pieceElems: number): Range[] {
  const out: Range[] = [];
  for (let a = 0; a < length; a += pieceElems) out.push({ start: start + a, end: start + Math.min(length, a + pieceElems) });
  return out;
}

/** `out` when the caller gave one (checked: same type, exact length), else a new array like `like`. */
export function resultBuffer(like: ReduceArray, length: number, out: ReduceArray | undefined, what: string): ReduceArray {
  if (!out) return allocLike(like, length);
  if (out.constructor !== like.constructor || out.length !== length) {
    throw new RangeError(
      `${what}: out must be a ${like.constructor.name} of ${length} elements, got a ${out.constructor.name} of ${out.length}`,
    );
  }
  return out;
}

export function allocLike(like: ReduceArray, length: number): ReduceArray {
  return like instanceof Float64Array ? new Float64Array(length) : new Float32Array(length);
}

/**
 * dst += src elementwise (the hot loop of every reduction). One function per type keeps each
 * monomorphic, and unrolling by 8 measured about 2x faster than the plain loop in V8 (Node 20).
 */
export function addInto(dst: ReduceArray, src: ReduceArray): void {
  if (dst instanceof Float32Array) addF32(dst, src as Float32Array);
  else addF64(dst, src as Float64Array);
}

function addF32(d: Float32Array, s: Float32Array): void {
  const n = d.length;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    ((d[i] += s[i]), (d[i + 1] += s[i + 1]), (d[i + 2] += s[i + 2]), (d[i + 3] += s[i + 3]));
    ((d[i + 4] += s[i + 4]), (d[i + 5] += s[i + 5]), (d[i + 6] += s[i + 6]), (d[i + 7] += s[i + 7]));
  }
  for (; i < n; i++) d[i] += s[i];
}

function addF64(d: Float64Array, s: Float64Array): void {
  const n = d.length;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    ((d[i] += s[i]), (d[i + 1] += s[i + 1]), (d[i + 2] += s[i + 2]), (d[i + 3] += s[i + 3]));
    ((d[i + 4] += s[i + 4]), (d[i + 5] += s[i + 5]), (d[i + 6] += s[i + 6]), (d[i + 7] += s[i + 7]));
  }
  for (; i < n; i++) d[i] += s[i];
}

export function checkArray(data: unknown, what: string): asserts data is ReduceArray {
  if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) {
    throw new TypeError(`${what} must be a Float32Array or Float64Array`);
  }
}

/**
 * Checks a group (sorted ascending, unique, known ids, containing `self`) and returns the position of
 * `self` in it.
 */
export function groupPosition(group: readonly number[], all: readonly number[], self: number): number {
  for (let i = 0; i < group.length; i++) {
    if (!Number.isInteger(group[i]) || !all.includes(group[i])) {
      throw new RangeError(`group [${group.join(', ')}]: ${group[i]} is not one of the devices [${all.join(', ')}]`);
    }
    if (i > 0 && group[i] <= group[i - 1]) {
      throw new RangeError(`group [${group.join(', ')}] must be sorted ascending without duplicates`);
    }
  }
  const pos = group.indexOf(self);
  if (pos < 0) throw new RangeError(`device ${self} is not a member of group [${group.join(', ')}]`);
  return pos;
}

/** Checks per-member chunk sizes: one non-negative integer per member, summing to `total` if given. */
export function checkSizes(sizes: readonly number[], members: number, total?: number): void {
  if (sizes.length !== members) {
    throw new RangeError(`chunkSizes has ${sizes.length} entries for a group of ${members}`);
  }
  if (!sizes.every((s) => Number.isInteger(s) && s >= 0)) {
    throw new RangeError(`chunkSizes [${sizes.join(', ')}] must be non-negative integers`);
  }
  const sum = sizes.reduce((a, b) => a + b, 0);
  if (total !== undefined && sum !== total) {
    throw new RangeError(`chunkSizes [${sizes.join(', ')}] sum to ${sum}, expected ${total}`);
  }
}
