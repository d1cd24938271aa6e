// dropoutMask against its definition, evaluated here element by element: keep (value 1/(1−rate)) iff
// counterUniform(streamKey(seed, layer), (offset + b)·features + j) >= rate, else 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dropoutMask } from '../../../src/core/random/dropout-mask';
import { counterUniform, streamKey } from '../../../src/core/random/counter';
import { seededRandom, testSeed } from '../../helpers/seed';

function reference(rate: number, seed: number, layer: number, offset: number, batch: number, features: number): Float32Array {
  const key = streamKey(seed, layer);
  const out = new Float32Array(batch * features);
  for (let b = 0; b < batch; b++)
    for (let j = 0; j < features; j++)
      out[b * features + j] = counterUniform(key, (offset + b) * features + j) >= rate ? 1 / (1 - rate) : 0;
  return out;
}

test('dropoutMask equals the per-element definition: rates, offsets, counters past 2^32', () => {
  const rand = seededRandom(testSeed('dropout mask'));
  const rates = [0, 1 / 16777216, 0.1, 0.25, 0.5, 0.3333333, 0.9, 0.999999];
  const cases: [number, number, number, number][] = [
    [0, 3, 7, 0], // offset, batch, features, layer
    [5, 4, 33, 1],
    [Math.floor(2 ** 32 / 100) - 2, 5, 100, 2], // the counters cross 2^32 inside the batch
    [Math.floor(2 ** 33 / 64) + 1, 3, 64, 0], // past 2^33
    [0, 1, 1, 4],
  ];
  for (let t = 0; t < 6; t++)
    cases.push([Math.floor(rand() * 1e9), 1 + Math.floor(rand() * 6), 1 + Math.floor(rand() * 300), Math.floor(rand() * 5)]);
  for (const rate of rates) {
    for (const [offset, batch, features, layer] of cases) {
      const seed = Math.floor(rand() * 2 ** 31);
      const got = dropoutMask(rate, seed, layer, offset, batch, features);
      const want = reference(rate, seed, layer, offset, batch, features);
      assert.equal(got.length, want.length);
      for (let i = 0; i < want.length; i++)
        assert.equal(
          got[i],
          want[i],
          `rate ${rate} offset ${offset} [${batch}, ${features}] layer ${layer} seed ${seed}: element ${i}`,
        );
    }
  }
});

test('a batch split anywhere draws the same mask as the whole batch', () => {
  const whole = dropoutMask(0.4, 99, 2, 10, 9, 17);
  const parts = [dropoutMask(0.4, 99, 2, 10, 4, 17), dropoutMask(0.4, 99, 2, 14, 5, 17)];
  assert.deepEqual(Array.from(whole), [...parts[0], ...parts[1]]);
  const kept = whole.filter((v) => v !== 0).length / whole.length;
  assert.ok(kept > 0.4 && kept < 0.8, `kept fraction ${kept} for rate 0.4`);
});

test('the keep rule at the threshold itself: a draw equal to the rate keeps, one just below it drops', () => {
  const rand = seededRandom(testSeed('dropout threshold'));
  for (let t = 0; t < 20; t++) {
    const [seed, offset, features] = [Math.floor(rand() * 2 ** 31), Math.floor(rand() * 1e6), 1 + Math.floor(rand() * 50)];
    const j = Math.floor(rand() * features);
    const v = counterUniform(streamKey(seed, 0), offset * features + j); // a multiple of 2^-24
    if (v === 0) continue;
    assert.equal(dropoutMask(v, seed, 0, offset, 1, features)[j], Math.fround(1 / (1 - v)), `rate ${v} equal to the draw keeps`);
    assert.equal(dropoutMask(v + 2 ** -25, seed, 0, offset, 1, features)[j], 0, `rate just above the draw ${v} drops`);
  }
});
