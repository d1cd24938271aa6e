/**
 * A run's data as validation sees it: the training and held-out parts' shapes, computed from
 * inspectDataSource without loading a row. The part sizes follow loadRunData's split exactly:
 * round(count × fraction) examples of each class (of all examples for regression) are held out.
 */
import { DatasetError } from '../core/data/index';
import type { DataSource, RunConfig, ValidationSource } from '../shared/api';
import { inspectDataSource, type DataSourceShape } from './inspect-source';
import { checkCompatible, heldOutSource } from './run-data';
import { datasetSourceOf } from './source';

export interface RunDataShape {
  train: DataSourceShape;
  validation: DataSourceShape | null;
}

export async function inspectRunData(data: RunConfig['data'], seed: number): Promise<RunDataShape> {
  const { validation: spec, ...source } = data as RunConfig['data'] & Record<string, unknown>;
  const full = await inspectDataSource(datasetSourceOf(source as DataSource));
  if (spec === undefined || spec === null) return { train: full, validation: null };
  if (typeof spec !== 'object')
    throw new DatasetError('data.validation must be {"fraction": f}, {"path": FILE} or a data source');
  if ('fraction' in spec) return splitShapes(full, spec.fraction, spec.seed ?? seed);
  return { train: full, validation: await inspectHeldOut(spec, source as DataSource, full) };
}

function splitShapes(full: DataSourceShape, f: number, seed: number): RunDataShape {
  if (typeof f !== 'number' || !(f >= 0 && f < 1)) throw new DatasetError(`validationFraction must be in [0, 1) (got ${f})`);
  if (!Number.isSafeInteger(seed)) throw new DatasetError(`seed must be a safe integer (got ${seed})`);
  const groups = full.task === 'classification' && full.classCounts ? full.classCounts : [full.examples];
  const held = groups.map((n) => Math.round(n * f));
  const numValidation = held.reduce((a, b) => a + b, 0);
  if (numValidation === full.examples)
    throw new DatasetError(`validationFraction ${f} leaves no training examples (${full.examples} in total)`);
  if (numValidation === 0) throw new DatasetError(`data.validation.fraction ${f} holds out no example of ${full.examples}`);
  const part = (name: string, examples: number, counts?: number[]): DataSourceShape => ({
    ...full,
    name: `${full.name}/${name}`,
    examples,
    ...(full.classCounts && counts ? { classCounts: counts } : {}),
  });
  return {
    train: part(
      'train',
      full.examples - numValidation,
      full.classCounts?.map((n, k) => n - held[k]!),
    ),
    validation: part('validation', numValidation, full.classCounts ? held : undefined),
  };
}

/** loadHeldOut's source, inspected: same classes and task as the training data. */
async function inspectHeldOut(
  spec: ValidationSource,
  trainingSource: DataSource,
  train: DataSourceShape,
): Promise<DataSourceShape> {
  const source = heldOutSource(spec, trainingSource, train);
  const held = await inspectDataSource(datasetSourceOf(source));
  checkCompatible(held, train);
  return held;
}
