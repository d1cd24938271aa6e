/**
 * Counter-based random numbers: the value at (key, counter) is a pure function of both, so any slice of
 * a stream (a parameter shard, a local batch slice) can be produced without generating what precedes it.
 * That is what makes initialisation and dropout masks independent of the device count.
 */

export const GOLDEN = 0x9e3779b9;

/** MurmurHash3's 32-bit finaliser: a bijective avalanche mix. */
export function fmix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Combines integers (seed, stream ids; any safe integer) into one stream key; order matters. */
export function streamKey(...words: number[]): number {
  let h = fmix32(GOLDEN);
  for (const w of words) {
    const hi = Math.floor(w / 0x100000000);
    h = fmix32((h ^ (w >>> 0)) + GOLDEN);
    if (hi !== 0) h = fmix32((h ^ (hi >>> 0)) + GOLDEN);
  }
  return h;
}

/** FNV-1a over UTF-16 code units: turns a parameter path into a stream word. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The key counterUint32 uses for counters whose high 32 bits are `hi` (counters may exceed 2^32:
 * global example offsets × features), so a loop over a run of counters can hoist it.
 */
export function highWordKey(key: number, hi: number): number {
  return hi === 0 ? key : fmix32(key ^ fmix32(hi + GOLDEN));
}

/** SplitMix32-style output for element `counter` of stream `key`: a uint32. */
export function counterUint32(key: number, counter: number): number {
  const k = highWordKey(key, Math.floor(counter / 0x100000000));
  return fmix32(fmix32((k + Math.imul(counter >>> 0, GOLDEN)) | 0) ^ k);
}

/** Uniform in [0, 1) with 24 random bits, exactly representable in float32. */
export function counterUniform(key: number, counter: number): number {
  return (counterUint32(key, counter) >>> 8) * 5.9604644775390625e-8;
}
