/**
 * Reading a case of the shared Keras 3 fixtures (see their README) into what a continuation needs, and
 * comparing a continuation with what Keras reached. Reference values are Keras's, from the fixture.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { Model } from '../../../../src/core/models/index';

type Values = Record<string, number | number[] | unknown[]>;
export interface FixtureCase {
  name: string;
  loss: string;
  optimizer_config: Record<string, unknown>;
  model_json: Record<string, unknown>;
  steps_in_archive: number;
  batches: { x: unknown[]; y: unknown[] }[];
  at_save: { weights: Values; optimizer: Values };
  after_more_steps: { weights: Values; optimizer: Values; losses: number[]; weights_after_finalize?: Values };
}

export const CASES = ['mlp', 'cnn', 'embedding', 'functional-regression'];

export function readCase(dir: string, name: string): FixtureCase {
  return JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as FixtureCase;
}

export const flat = (v: unknown): number[] => (Array.isArray(v) ? (v as unknown[]).flatMap(flat) : [v as number]);

/**
 * Keras's variable path for each of our parameters: Keras 3 prefixes a Sequential's layers with the
 * model name (`sequential/dense/kernel`); a Functional's are bare (`left/kernel`).
 */
export function kerasPaths(model: Model, c: FixtureCase): Map<string, string> {
  const keys = Object.keys(c.at_save.weights);
  return new Map(
    model.params.map((p) => [
      p.path,
      keys.find((k) => k === p.path || k.endsWith(`/${p.path}`)) ?? assert.fail(`no fixture weight for ${p.path}`),
    ]),
  );
}

/** Keras's optimizer variable name for a slot of the weight at Keras path `kpath`. */
export const slotKey = (kpath: string, slot: string) => `adadelta/${kpath.replace(/\//g, '_')}_${slot}`;

/** Keras 3's Adadelta config as the fixture holds it (Keras 3 keys included: the optimizer reads them). */
export function optimizerConfig(c: FixtureCase): Record<string, unknown> {
  return { ...c.optimizer_config };
}

export function batchArrays(b: { x: unknown[]; y: unknown[] }, model: Model): { x: Float32Array; y: Float32Array | Int32Array } {
  const x = Float32Array.from(flat(b.x));
  const ys = flat(b.y);
  return { x, y: model.loss === 'softmax_cross_entropy' ? Int32Array.from(ys) : Float32Array.from(ys) };
}

/** |ours − keras| ≤ rtol · max |keras − at_save| (per tensor), with a float32 floor. */
export function assertNear(label: string, ours: ArrayLike<number>, keras: number[], before: number[], rtol = 1e-4): void {
  assert.equal(ours.length, keras.length, `${label}: ${ours.length} values, Keras has ${keras.length}`);
  let change = 0;
  let scale = 0;
  for (let i = 0; i < keras.length; i++) {
    change = Math.max(change, Math.abs(keras[i]! - before[i]!));
    scale = Math.max(scale, Math.abs(keras[i]!));
  }
  const tol = rtol * change + 2e-7 * scale;
  let worst = 0;
  let at = 0;
  for (let i = 0; i < keras.length; i++) {
    const d = Math.abs(ours[i]! - keras[i]!);
    if (d > worst) [worst, at] = [d, i];
  }
  assert.ok(
    worst <= tol,
    `${label}: element ${at} is ${ours[at]}, Keras ${keras[at]} (off by ${worst.toExponential(3)}, allowed ${tol.toExponential(3)} = ${rtol} × change ${change.toExponential(3)})`,
  );
}
