/**
 * Seeded synthetic tasks. Each is a pure function of its options (seed included), so every worker
 * process regenerates byte-identical data from the same source description. Example i belongs to
 * class i % numClasses (classes interleaved; batch order is shuffled anyway).
 */
import { OptionReader } from './options';
import { Rng } from '../random/stream';
import { makeShapes, SHAPE_CLASSES, type ShapesOptions } from './shapes';
import { DatasetError, type Dataset } from './types';

export interface SpiralsOptions {
  numClasses?: number; // default 3
  samplesPerClass?: number; // default 100
  /** Std of the angle noise in radians; default 0.2. */
  noise?: number;
  /** Full turns each arm makes from the centre to radius 1; default 1. */
  turns?: number;
  seed?: number;
}

export interface BlobsOptions {
  numClasses?: number; // default 3
  numFeatures?: number; // default 2
  samplesPerClass?: number; // default 100
  clusterStd?: number; // default 1
  /** Centres are uniform in [-centerBox, centerBox]^d; default 10. */
  centerBox?: number;
  seed?: number;
}

export interface LinearRegressionOptions {
  numExamples?: number; // default 1000
  numFeatures?: number; // default 4
  targetDim?: number; // default 1
  /** Std of the gaussian noise added to y; default 0.1. */
  noise?: number;
  seed?: number;
}

export type SyntheticSpec =
  | ({ name: 'spirals' } & SpiralsOptions)
  | ({ name: 'blobs' } & BlobsOptions)
  | ({ name: 'linear-regression' } & LinearRegressionOptions)
  | ({ name: 'synthetic-shapes' } & ShapesOptions);

export type SyntheticName = SyntheticSpec['name'];

export const SYNTHETIC_DESCRIPTIONS: Record<SyntheticName, string> = {
  spirals: 'k interleaved 2-D spiral arms, one class each (options: numClasses, samplesPerClass, noise, turns, seed)',
  blobs: 'gaussian clusters, one per class (options: numClasses, numFeatures, samplesPerClass, clusterStd, centerBox, seed)',
  'linear-regression': 'y = Wx + b + noise with gaussian x, W, b (options: numExamples, numFeatures, targetDim, noise, seed)',
  'synthetic-shapes': `8×8×1 images of ${SHAPE_CLASSES.join('/')} with noise, for the CNN (options: samplesPerClass, noise, seed)`,
};

/** Builds the synthetic dataset a spec describes. */
export function makeSynthetic(spec: SyntheticSpec): Dataset {
  switch (spec.name) {
    case 'spirals':
      return makeSpirals(spec);
    case 'blobs':
      return makeBlobs(spec);
    case 'linear-regression':
      return makeLinearRegression(spec).dataset;
    case 'synthetic-shapes':
      return makeShapes(spec);
    default: {
      const name = (spec as { name?: unknown }).name;
      const known = Object.keys(SYNTHETIC_DESCRIPTIONS).join(', ');
      throw new DatasetError(`unknown synthetic dataset '${String(name)}' (known: ${known})`);
    }
  }
}

/** k-class 2-D spirals: arm j starts at angle 2πj/k and winds `turns` times out to radius 1. */
export function makeSpirals(options: SpiralsOptions = {}): Dataset {
  const o = new OptionReader('spirals', { ...options }, ['numClasses', 'samplesPerClass', 'noise', 'turns', 'seed']);
  const k = o.int('numClasses', 3, 2, 1000);
  const perClass = o.int('samplesPerClass', 100, 1);
  const noise = o.num('noise', 0.2, 0);
  const turns = o.num('turns', 1, 0, true);
  const rng = new Rng(o.seed(), 0x5917);
  const n = k * perClass;
  o.checkSize(n * 2);
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    const r = (Math.floor(i / k) + 1) / perClass; // (0, 1]: no point of any arm at the shared centre
    const t = 2 * Math.PI * (c / k + turns * r) + noise * rng.nextGaussian();
    x[2 * i] = r * Math.cos(t);
    x[2 * i + 1] = r * Math.sin(t);
    y[i] = c;
  }
  const classNames = Array.from({ length: k }, (_, c) => `arm ${c}`);
  return classification('spirals', [2], x, y, classNames, ['x', 'y']);
}

/** Isotropic gaussian clusters with seeded uniform centres (like scikit-learn's make_blobs). */
export function makeBlobs(options: BlobsOptions = {}): Dataset {
  const known = ['numClasses', 'numFeatures', 'samplesPerClass', 'clusterStd', 'centerBox', 'seed'];
  const o = new OptionReader('blobs', { ...options }, known);
  const k = o.int('numClasses', 3, 2, 100000);
  const d = o.int('numFeatures', 2, 1, 100000);
  const perClass = o.int('samplesPerClass', 100, 1);
  const std = o.num('clusterStd', 1, 0);
  const box = o.num('centerBox', 10, 0);
  const rng = new Rng(o.seed(), 0xb10b);
  const n = k * perClass;
  o.checkSize(n * d + k * d);
  const centers = Float64Array.from({ length: k * d }, () => rng.uniform(-box, box));
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    for (let j = 0; j < d; j++) x[i * d + j] = centers[c * d + j] + std * rng.nextGaussian();
    y[i] = c;
  }
  const classNames = Array.from({ length: k }, (_, c) => `blob ${c}`);
  const featureNames = Array.from({ length: d }, (_, j) => `x${j}`);
  return classification('blobs', [d], x, y, classNames, featureNames);
}

/** y = W x + b + noise; also returns the true W (targetDim × numFeatures, row-major) and b. */
export function makeLinearRegression(options: LinearRegressionOptions = {}): {
  dataset: Dataset;
  weights: number[][];
  bias: number[];
} {
  const known = ['numExamples', 'numFeatures', 'targetDim', 'noise', 'seed'];
  const o = new OptionReader('linear-regression', { ...options }, known);
  const n = o.int('numExamples', 1000, 1);
  const d = o.int('numFeatures', 4, 1, 100000);
  const t = o.int('targetDim', 1, 1, 100000);
  const noise = o.num('noise', 0.1, 0);
  o.checkSize(n * (d + t) + d * t);
  const rng = new Rng(o.seed(), 0x11ea7);
  const weights = Array.from({ length: t }, () => Array.from({ length: d }, () => rng.nextGaussian()));
  const bias = Array.from({ length: t }, () => rng.nextGaussian());
  const x = new Float32Array(n * d);
  const y = new Float32Array(n * t);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) x[i * d + j] = row[j] = Math.fround(rng.nextGaussian()); // y from the stored float32 x
    for (let k = 0; k < t; k++) {
      let s = bias[k];
      for (let j = 0; j < d; j++) s += weights[k][j] * row[j];
      y[i * t + k] = s + noise * rng.nextGaussian();
    }
  }
  const dataset: Dataset = {
    name: 'linear-regression',
    numExamples: n,
    featureShape: [d],
    x,
    y,
    task: 'regression',
    targetDim: t,
    featureNames: Array.from({ length: d }, (_, j) => `x${j}`),
    normalization: { kind: 'none' },
  };
  return { dataset, weights, bias };
}

/** Assembles a classification dataset of generated (unnormalized) features. */
function classification(
  name: string,
  featureShape: number[],
  x: Float32Array,
  y: Int32Array,
  classNames: string[],
  featureNames?: string[],
): Dataset {
  return {
    name,
    numExamples: y.length,
    featureShape,
    x,
    y,
    task: 'classification',
    numClasses: classNames.length,
    classNames,
    ...(featureNames ? { featureNames } : {}),
    normalization: { kind: 'none' },
  };
}
