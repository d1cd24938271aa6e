// DropoutMask on the wasm heap against the mask's definition evaluated here element by element: keep
// (1/(1−rate) in float32) iff counterUniform(streamKey(seed, layer), (offset + b)·features + j) >= rate.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../../src/core/tfjs';
import { dropoutMaskTensor } from '../../../../src/core/tfjs/dropout-mask';
import { counterUniform, streamKey } from '../../../../src/core/random/counter';
import { seededRandom, testSeed } from '../../../helpers/seed';

function reference(rate: number, seed: number, layer: number, offset: number, batch: number, features: number): Float32Array {
  const key = streamKey(seed, layer);
  const out = new Float32Array(batch * features);
  for (let b = 0; b < batch; b++)
    for (let j = 0; j < features; j++)
      out[b * features + j] = counterUniform(key, (offset + b) * features + j) >= rate ? 1 / (1 - rate) : 0;
  return out;
}

function cases(rand: () => number): [number, number, number, number, number, number][] {
  const list: [number, number, number, number, number, number][] = [
    [0.5, 7, 0, 0, 256, 512], // rate, seed, layer, offset, batch, features
    [0.1, 8, 1, 3, 5, 7],
    [0.9, 9, 2, Math.floor(2 ** 32 / 100) - 2, 5, 100], // counters cross 2^32 mid-batch
    [0.3333333, 10, 0, Math.floor(2 ** 33 / 6) - 1, 3, 6], // past 2^33, runs not in fours
    [0, 11, 3, 17, 2, 3],
    [1 / 16777216, 12, 0, 1, 1, 1],
  ];
  for (let t = 0; t < 8; t++)
    list.push([
      rand() * 0.95,
      Math.floor(rand() * 2 ** 31),
      Math.floor(rand() * 4),
      Math.floor(rand() * 1e9),
      1 + Math.floor(rand() * 9),
      1 + Math.floor(rand() * 200),
    ]);
  return list;
}

describe('DropoutMask on wasm', () => {
  before(async () => {
    const sel = await selectBackend(['wasm']);
    assert.ok(sel.projectKernels.includes('DropoutMask'));
  });

  test('equals the definition bit for bit, with and without the kernel', () => {
    const rand = seededRandom(testSeed('dropout-mask kernel'));
    const all = cases(rand);
    const check = (label: string) => {
      for (const [rate, seed, layer, offset, batch, features] of all) {
        const got = tf.tidy(() => dropoutMaskTensor(rate, seed, layer, offset, batch, features, [batch, features]).dataSync());
        const want = reference(rate, seed, layer, offset, batch, features);
        assert.equal(got.length, want.length);
        for (let i = 0; i < want.length; i++)
          assert.ok(
            Object.is(got[i], want[i]),
            `${label} rate ${rate} seed ${seed} offset ${offset} [${batch}, ${features}] at ${i}: ${got[i]}, reference ${want[i]}`,
          );
      }
    };
    check('kernel');
    const k = getKernel('DropoutMask', 'wasm')!;
    unregisterKernel('DropoutMask', 'wasm');
    try {
      check('uploaded array');
    } finally {
      registerKernel(k);
    }
  });

  test('the keep rule at the threshold itself, in the SIMD part and in the tail', () => {
    const rand = seededRandom(testSeed('dropout-mask threshold'));
    for (let t = 0; t < 20; t++) {
      const [seed, offset, features] = [Math.floor(rand() * 2 ** 31), Math.floor(rand() * 1e6), 5 + Math.floor(rand() * 60)];
      const j = Math.floor(rand() * features);
      const v = counterUniform(streamKey(seed, 0), offset * features + j);
      if (v === 0) continue;
      const at = (rate: number) => tf.tidy(() => dropoutMaskTensor(rate, seed, 0, offset, 1, features, [features]).dataSync()[j]);
      assert.equal(at(v), Math.fround(1 / (1 - v)), `rate ${v} equal to the draw keeps`);
      assert.equal(at(v + 2 ** -25), 0, `rate just above the draw ${v} drops`);
    }
  });
});
