/**
 * A small seeded PRNG: xoshiro128** (Blackman & Vigna) seeded through splitmix32.
 * Our own so data order and synthetic data are identical in every process, runtime and version
 * (Math.random is neither seedable nor reproducible).
 */
import { DatasetError } from '../errors';

const TWO_POW_32 = 4294967296;

/** One splitmix32 step: returns a well-mixed 32-bit value of `x` (also used as a hash finalizer). */
export function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** Validates a seed-like integer (any safe integer, negative allowed). */
export function checkSeed(value: number, what = 'seed'): void {
  if (!Number.isSafeInteger(value)) {
    throw new DatasetError(`${what} must be a safe integer (got ${value})`);
  }
}

/**
 * Folds several integers (seed, epoch, stream id…) into one 32-bit seed. Both 32-bit halves of
 * each part count, so seeds that differ above bit 32 still give different streams.
 */
export function hashSeed(...parts: number[]): number {
  let h = 0x243f6a88;
  for (const p of parts) {
    checkSeed(p);
    const hi = Math.floor(p / TWO_POW_32);
    const lo = (p - hi * TWO_POW_32) >>> 0;
    h = splitmix32(h ^ lo);
    h = splitmix32(h ^ (hi >>> 0));
  }
  return h;
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  /** All parts are hashed together: `new Rng(seed, epoch)` is an independent stream per epoch. */
  constructor(...seedParts: number[]) {
    let x = hashSeed(...seedParts);
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      return splitmix32(x);
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    // xoshiro's all-zero state is a fixed point; splitmix makes it practically impossible, but be sure.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator with an explicit xoshiro128 state (for reference test vectors). */
  static fromState(state: [number, number, number, number]): Rng {
    const rng = new Rng(0);
    [rng.s0, rng.s1, rng.s2, rng.s3] = state.map((v) => v | 0);
    return rng;
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.nextFloat();
  }

  /** Unbiased uniform integer in [0, n) for 1 <= n <= 2^32 (rejection sampling, no modulo bias). */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new DatasetError(`nextInt bound must be an integer in [1, 2^32] (got ${n})`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % n;
    }
  }

  /** Standard normal sample (Box–Muller; the second value of each pair is kept for the next call). */
  nextGaussian(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const u1 = (this.nextUint32() + 1) / TWO_POW_32; // (0, 1]: log never sees 0
    const u2 = this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** In-place Fisher–Yates shuffle of `a` (Durstenfeld, from the end). */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    return a;
  }
}
