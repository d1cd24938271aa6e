import { f32 } from './float32';
import { LearningRateSchedule, readConfig } from './learning-rate-schedule';
import { checkStep, finiteNumber, optionalName } from './validate';

export interface PiecewiseConstantDecayOptions {
  /** Strictly increasing step boundaries; one fewer than `values`. */
  boundaries: readonly number[];
  /** The learning rate on each interval. */
  values: readonly number[];
  name?: string | null;
}

export type PiecewiseConstantDecayConfig = {
  boundaries: number[];
  values: number[];
  name: string | null;
};

const OWNER = 'PiecewiseConstantDecay';
const KEYS = ['boundaries', 'values', 'name'] as const;

function numberList(key: string, list: unknown): number[] {
  if (!Array.isArray(list)) {
    throw new TypeError(`${OWNER}: argument \`${key}\` must be a list of numbers. Received: ${key}=${String(list)}`);
  }
  return list.map((v, i) => finiteNumber(OWNER, `${key}[${i}]`, v));
}

/** Keras's own check and message (ValueError in Keras). */
function checkLengths(boundaries: number[], values: number[]): void {
  if (boundaries.length !== values.length - 1) {
    throw new RangeError(
      'The length of boundaries should be 1 less than the length of ' +
        `values. Received: boundaries=[${boundaries.join(', ')}] of length ` +
        `${boundaries.length}, and values=[${values.join(', ')}] ` +
        `of length ${values.length}.`,
    );
  }
}

/**
 * TS-side additions: Keras fails at call time on an empty boundary list (IndexError) and on
 * non-increasing boundaries (tf.case with overlapping predicates); refuse both up front.
 */
function checkBoundaries(boundaries: number[]): void {
  if (boundaries.length === 0) throw new RangeError(`${OWNER}: \`boundaries\` must hold at least one step.`);
  for (let i = 1; i < boundaries.length; i++) {
    if (!(boundaries[i] > boundaries[i - 1])) {
      throw new RangeError(
        `${OWNER}: \`boundaries\` must be strictly increasing. Received: boundaries=[${boundaries.join(', ')}]`,
      );
    }
  }
}

/**
 * values[0] while step ≤ boundaries[0], values[i] while boundaries[i−1] < step ≤ boundaries[i], and
 * values[last] once step > boundaries[last].
 */
export class PiecewiseConstantDecay extends LearningRateSchedule {
  static readonly className = OWNER;
  readonly boundaries: readonly number[];
  readonly values: readonly number[];
  readonly name: string | null;
  /** Boundaries cast to the step dtype (int64: truncation toward zero), as Keras does. */
  private readonly stepBoundaries: readonly number[];

  constructor(options: PiecewiseConstantDecayOptions) {
    super();
    const boundaries = numberList('boundaries', options.boundaries);
    const values = numberList('values', options.values);
    checkLengths(boundaries, values);
    checkBoundaries(boundaries);
    this.boundaries = Object.freeze(boundaries);
    this.values = Object.freeze(values);
    this.stepBoundaries = Object.freeze(boundaries.map(Math.trunc));
    this.name = optionalName(OWNER, options.name);
  }

  /** Negative steps are allowed here: the comparisons are well defined and Keras's test uses −999. */
  call(step: number): number {
    checkStep(OWNER, step, true);
    const b = this.stepBoundaries;
    let i = 0;
    while (i < b.length && step > b[i]) i++;
    return f32(this.values[i]);
  }

  getConfig(): PiecewiseConstantDecayConfig {
    return { boundaries: [...this.boundaries], values: [...this.values], name: this.name };
  }

  static fromConfig(config: Record<string, unknown>): PiecewiseConstantDecay {
    // `new this`: like a Python classmethod, a subclass rebuilds as itself.
    const c = readConfig(OWNER, config, KEYS, ['boundaries', 'values']);
    return new this({
      boundaries: c.boundaries as number[],
      values: c.values as number[],
      name: c.name as string | null | undefined,
    });
  }
}
