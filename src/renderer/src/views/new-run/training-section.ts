/** Run name, length, batch, seed and checkpoint policy. */
import type { RunConfig } from '../../../../shared/api';
import { RUN_DEFAULTS } from '../../../../shared/defaults';
import { h } from '../../dom';
import { type FieldRegistry, input, section } from './fields';
import type { IssueCollector } from './read';

type TrainingPart = Pick<
  RunConfig,
  'name' | 'steps' | 'globalBatchSize' | 'seed' | 'checkpointEvery' | 'keepCheckpoints' | 'optimizerStatsEvery'
>;

export interface TrainingSection {
  element: HTMLElement;
  read(c: IssueCollector): TrainingPart | null;
  /** `asCopy`: the name gets " (copy)" (Duplicate). */
  fill(config: RunConfig, asCopy?: boolean): void;
  /** The step count as typed (for the learning-rate preview), NaN when not a number. */
  steps(): number;
  stepsInput: HTMLInputElement;
}

export function createTrainingSection(fields: FieldRegistry): TrainingSection {
  const name = input({ placeholder: 'optional, e.g. iris-adadelta-2gpu' });
  const steps = input({ value: 500, inputmode: 'numeric' });
  const batch = input({ value: 64, inputmode: 'numeric' });
  const seed = input({ value: 0, inputmode: 'numeric' });
  const every = input({ value: 100, inputmode: 'numeric' });
  const keep = input({ value: RUN_DEFAULTS.keepCheckpoints, inputmode: 'numeric' });
  const statsEvery = input({ placeholder: 'steps / 200, at least 10', inputmode: 'numeric' });
  const element = section(
    'Run',
    null,
    fields.row('name', 'Name', name),
    h(
      'div',
      { class: 'grid-3' },
      fields.row('steps', 'Steps', steps),
      fields.row('globalBatchSize', 'Global batch size', batch, 'Split evenly over the batch dimension of the mesh.'),
      fields.row('seed', 'Seed', seed, 'Same seed, same run, on any device count.'),
      fields.row('checkpointEvery', 'Checkpoint every N steps', every, '0: only on pause and stop.'),
      fields.row('keepCheckpoints', 'Keep last K checkpoints', keep),
      fields.row('optimizerStatsEvery', 'Optimizer state every N steps', statsEvery, 'Per-layer Adadelta figures; 0: never.'),
    ),
  );
  return {
    element,
    stepsInput: steps,
    steps: () => Number(steps.value),
    fill(config, asCopy = false) {
      name.value = config.name ? `${config.name}${asCopy ? ' (copy)' : ''}` : '';
      steps.value = String(config.steps);
      batch.value = String(config.globalBatchSize);
      seed.value = String(config.seed);
      every.value = String(config.checkpointEvery ?? RUN_DEFAULTS.checkpointEvery);
      keep.value = String(config.keepCheckpoints ?? RUN_DEFAULTS.keepCheckpoints);
      statsEvery.value = config.optimizerStatsEvery === undefined ? '' : String(config.optimizerStatsEvery);
    },
    read(c) {
      const before = c.issues.length;
      const part: TrainingPart = {
        steps: c.number('steps', steps.value, { integer: true, min: 1 }) ?? 0,
        globalBatchSize: c.number('globalBatchSize', batch.value, { integer: true, min: 1 }) ?? 0,
        seed: c.number('seed', seed.value, { integer: true, min: 0 }) ?? 0,
        checkpointEvery: c.number('checkpointEvery', every.value, { integer: true, min: 0 }) ?? 0,
        keepCheckpoints: c.number('keepCheckpoints', keep.value, { integer: true, min: 1 }) ?? 1,
      };
      const statsInterval = c.number('optimizerStatsEvery', statsEvery.value, { integer: true, min: 0, optional: true });
      if (statsInterval !== null) part.optimizerStatsEvery = statsInterval;
      if (name.value.trim()) part.name = name.value.trim();
      return c.issues.length > before ? null : part;
    },
  };
}
