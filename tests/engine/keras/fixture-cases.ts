/** The shared Keras 3 fixture cases (archive bytes + the numbers Keras recorded), for the Keras tests. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { keras3Fixtures } from '../../helpers/external';

export type Nested = number | Nested[];

export interface FixtureCase {
  name: string;
  loss: string;
  optimizer_config: Record<string, unknown>;
  model_json: Record<string, unknown>;
  steps_in_archive: number;
  batches: { x: Nested; y: Nested }[];
  at_save: { weights: Record<string, Nested>; optimizer: Record<string, Nested> };
  after_more_steps: {
    weights: Record<string, Nested>;
    optimizer: Record<string, Nested>;
    losses: number[];
    weights_after_finalize?: Record<string, Nested>;
  };
  archiveBytes: Uint8Array;
  archivePath: string;
}

export const fixtures = keras3Fixtures();
export const skipReason = 'reason' in fixtures ? fixtures.reason : undefined;

export function fixtureCases(): FixtureCase[] {
  if ('reason' in fixtures) return [];
  return readdirSync(fixtures.dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const c = JSON.parse(readFileSync(join(fixtures.dir, f), 'utf8'));
      const archivePath = join(fixtures.dir, c.archive);
      return { ...c, archivePath, archiveBytes: new Uint8Array(readFileSync(archivePath)) };
    });
}

export const flat = (v: Nested): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);
export const shapeOf = (v: Nested): number[] => (Array.isArray(v) ? [v.length, ...(v.length ? shapeOf(v[0]!) : [])] : []);
