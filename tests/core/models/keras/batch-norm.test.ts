// BatchNormalization's training output against a float64 reference written here, where the batch's
// mean is large beside its spread. Keras's formula x·inv + (β − μ·inv) cancels two terms of ~|μ|·inv
// and keeps only float32's absolute rounding of them; (x − μ)·inv + β keeps the digits. Deep networks
// put such channels before a ReLU, whose side then hangs on those digits (docs/keras-models.md,
// "Whole architectures").
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../../src/core/tfjs';
import { batchNormTraining } from '../../../../src/core/models/keras/batch-norm';
import { seededRandom, testSeed } from '../../../helpers/seed';

const [BATCH, H, W, C] = [2, 4, 4, 8];
const EPS = 1e-3;

/**
 * Per channel, 256 + k·2⁻¹⁰ with k a random integer in [−64, 64]: exact in float32, and so are the
 * sums of the 32 rows and their mean, so the only float32 error left is the formula's own.
 */
function input(seed: number): Float32Array {
  const rnd = seededRandom(seed);
  const x = new Float32Array(BATCH * H * W * C);
  for (let i = 0; i < x.length; i++) x[i] = 256 + (Math.floor(rnd() * 129) - 64) / 1024;
  return x;
}

/** γ·(x − μ)/√(σ² + ε) + β in float64, σ² the biased variance, per channel. */
function reference(x: Float32Array, gamma: number[], beta: number[]): Float64Array {
  const rows = x.length / C;
  const y = new Float64Array(x.length);
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += x[r * C + c]!;
    const mean = sum / rows;
    let sq = 0;
    for (let r = 0; r < rows; r++) sq += (x[r * C + c]! - mean) ** 2;
    const inv = 1 / Math.sqrt(sq / rows + EPS);
    for (let r = 0; r < rows; r++) y[r * C + c] = gamma[c]! * (x[r * C + c]! - mean) * inv + beta[c]!;
  }
  return y;
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`BatchNormalization's training output, |mean| ≫ spread (${backend})`, () => {
    test('is within float32 rounding of the float64 formula', async () => {
      await selectBackend([backend]);
      const seed = testSeed(`batch-norm ${backend}`);
      const x = input(seed);
      const gamma = Array.from({ length: C }, (_, c) => 0.5 + 0.1 * c);
      const beta = Array.from({ length: C }, (_, c) => 0.01 * (c - 4));
      const want = reference(x, gamma, beta);
      const got = tf.tidy(() => {
        const { y, mean, variance } = batchNormTraining(
          tf.tensor4d(x, [BATCH, H, W, C]),
          EPS,
          tf.tensor1d(gamma),
          tf.tensor1d(beta),
          undefined,
        );
        mean.dispose();
        variance.dispose();
        return y.dataSync() as Float32Array;
      });
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      // The outputs are O(1): a few float32 ulps of them, where x·inv + (β − μ·inv) is off by ~ulp(256·inv) ≈ 3e-4.
      assert.ok(worst <= 2e-6, `largest error ${worst.toExponential(3)} (seed ${seed})`);
    });
  });
}
