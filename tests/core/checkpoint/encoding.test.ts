import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type ManifestTensor,
  concatParts,
  hash64,
  hashText,
  manifestHash,
  shardBytes,
  shardFromBytes,
  splitParts,
} from '../../../src/core/checkpoint';

test('hash64: deterministic 16 hex digits, sensitive to every byte, length and seed', () => {
  const bytes = Uint8Array.from({ length: 1031 }, (_, i) => (i * 31) & 255);
  const h = hash64(bytes);
  assert.match(h, /^[0-9a-f]{16}$/);
  assert.equal(hash64(bytes.slice()), h);
  const seen = new Set([h]);
  for (const i of [0, 1, 3, 4, 511, 1024, 1027, 1028, 1030]) {
    const flipped = bytes.slice();
    flipped[i] ^= 1;
    seen.add(hash64(flipped));
  }
  seen.add(hash64(bytes.subarray(0, 1030)));
  seen.add(hash64(bytes, 1));
  seen.add(hash64(new Uint8Array(0)));
  assert.equal(seen.size, 13, 'every change gives a new hash');
});

test('hash64 of an unaligned view equals the hash of the same bytes aligned', () => {
  const backing = Uint8Array.from({ length: 101 }, (_, i) => i);
  assert.equal(hash64(backing.subarray(1)), hash64(backing.slice(1)));
  assert.equal(hashText('héllo'), hash64(new TextEncoder().encode('héllo')));
});

test('hash64 spreads nearby inputs (no collisions among 20k counters)', () => {
  const seen = new Set<string>();
  const words = new Uint32Array(4);
  for (let i = 0; i < 20_000; i++) {
    words[0] = i;
    seen.add(hash64(new Uint8Array(words.buffer)));
  }
  assert.equal(seen.size, 20_000);
});

test('shard bytes round trip: float32, float64 views; int64 as real int64', () => {
  const f32 = Float32Array.from([1.5, -2, Math.PI]);
  assert.deepEqual(shardFromBytes('float32', shardBytes('float32', f32).slice()), f32);
  const f64 = Float64Array.from([1e300, -0, Number.EPSILON]);
  assert.deepEqual(shardFromBytes('float64', shardBytes('float64', f64).slice()), f64);
  const it = Float64Array.from([0, 7, 2 ** 40 + 3]);
  const bytes = shardBytes('int64', it);
  assert.equal(new DataView(bytes.buffer).getBigInt64(16, true), BigInt(2 ** 40 + 3));
  assert.deepEqual(shardFromBytes('int64', bytes), it);
  // An unaligned blob is copied, not misread.
  const shifted = new Uint8Array(13);
  shifted.set(shardBytes('float32', f32), 1);
  assert.deepEqual(shardFromBytes('float32', shifted.subarray(1)), f32);
  assert.throws(() => shardFromBytes('float64', new Uint8Array(12)), /not a whole number of elements/);
});

test('splitParts keeps whole elements and concatParts restores the blob', () => {
  const bytes = Uint8Array.from({ length: 40 }, (_, i) => i);
  const parts = splitParts(bytes, 10, 4);
  assert.deepEqual(
    parts.map((p) => p.byteLength),
    [8, 8, 8, 8, 8],
  );
  assert.deepEqual(concatParts(parts), bytes);
  assert.equal(splitParts(bytes, 64, 4).length, 1);
});

test('manifest hash ignores input order but covers every field', () => {
  const t = (path: string, hash: string): ManifestTensor => ({
    path,
    dtype: 'float32',
    globalShape: [4],
    layout: { specs: ['batch'], mesh: 'batch=2' },
    shards: [
      { slices: '0:2', bytes: 8, partHashes: [hash] },
      { slices: '2:4', bytes: 8, partHashes: ['b'] },
    ],
  });
  const header = { step: 3, iterations: 3, stateJson: '{"cursor":1}', mesh: 'batch=2' };
  const base = manifestHash(header, [t('params/a', 'x'), t('params/b', 'y')]);
  const swapped = [t('params/b', 'y'), t('params/a', 'x')].map((x) => ({ ...x, shards: [...x.shards].reverse() }));
  assert.equal(manifestHash(header, swapped), base);
  assert.notEqual(manifestHash(header, [t('params/a', 'x'), t('params/b', 'z')]), base);
  assert.notEqual(manifestHash({ ...header, stateJson: '{"cursor":2}' }, [t('params/a', 'x'), t('params/b', 'y')]), base);
  assert.notEqual(manifestHash({ ...header, step: 4 }, [t('params/a', 'x'), t('params/b', 'y')]), base);
  assert.notEqual(manifestHash(header, [t('params/a', 'x')]), base);
});
