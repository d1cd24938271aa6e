/**
 * `synthetic-shapes`: 8×8 grey images (featureShape [8, 8, 1], NHWC without N) of four stroke
 * shapes at random positions and sizes, with random stroke brightness and gaussian pixel noise.
 * Small enough to train a CNN in seconds, hard enough that a linear model is not perfect.
 */
import { OptionReader } from './options';
import { Rng } from '../random/stream';
import type { Dataset } from './types';

export interface ShapesOptions {
  samplesPerClass?: number; // default 250
  /** Std of the gaussian noise added to every pixel; default 0.15. */
  noise?: number;
  seed?: number;
}

export const SHAPE_CLASSES = ['horizontal-bar', 'vertical-bar', 'cross', 'box'] as const;

const SIZE = 8;

type Painter = (img: Float32Array, rng: Rng, value: number) => void;

/** Integer in [lo, hi]. */
const between = (rng: Rng, lo: number, hi: number): number => lo + rng.nextInt(hi - lo + 1);

const set = (img: Float32Array, r: number, c: number, v: number): void => {
  img[r * SIZE + c] = v;
};

/** A 1-pixel bar of length 4..8 along a row. */
const horizontalBar: Painter = (img, rng, v) => {
  const len = between(rng, 4, SIZE);
  const r = between(rng, 0, SIZE - 1);
  const c0 = between(rng, 0, SIZE - len);
  for (let c = c0; c < c0 + len; c++) set(img, r, c, v);
};

/** The same bar along a column. */
const verticalBar: Painter = (img, rng, v) => {
  const len = between(rng, 4, SIZE);
  const c = between(rng, 0, SIZE - 1);
  const r0 = between(rng, 0, SIZE - len);
  for (let r = r0; r < r0 + len; r++) set(img, r, c, v);
};

/** A plus sign with arms of 2..3 pixels around a centre that keeps it inside the image. */
const cross: Painter = (img, rng, v) => {
  const arm = between(rng, 2, 3);
  const cr = between(rng, arm, SIZE - 1 - arm);
  const cc = between(rng, arm, SIZE - 1 - arm);
  for (let d = -arm; d <= arm; d++) {
    set(img, cr + d, cc, v);
    set(img, cr, cc + d, v);
  }
};

/** The outline of a square with side 3..6. */
const box: Painter = (img, rng, v) => {
  const side = between(rng, 3, 6);
  const r0 = between(rng, 0, SIZE - side);
  const c0 = between(rng, 0, SIZE - side);
  const r1 = r0 + side - 1;
  const c1 = c0 + side - 1;
  for (let d = 0; d < side; d++) {
    set(img, r0, c0 + d, v);
    set(img, r1, c0 + d, v);
    set(img, r0 + d, c0, v);
    set(img, r0 + d, c1, v);
  }
};

const PAINTERS: Painter[] = [horizontalBar, verticalBar, cross, box];

export function makeShapes(options: ShapesOptions = {}): Dataset {
  const o = new OptionReader('synthetic-shapes', { ...options }, ['samplesPerClass', 'noise', 'seed']);
  const perClass = o.int('samplesPerClass', 250, 1);
  const noise = o.num('noise', 0.15, 0);
  const k = PAINTERS.length;
  const n = k * perClass;
  const pixels = SIZE * SIZE;
  o.checkSize(n * pixels);
  const rng = new Rng(o.seed(), 0x5ba9e);
  const x = new Float32Array(n * pixels);
  const y = new Int32Array(n);
  const img = new Float32Array(pixels);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    img.fill(0);
    PAINTERS[c](img, rng, rng.uniform(0.6, 1));
    for (let p = 0; p < pixels; p++) x[i * pixels + p] = img[p] + noise * rng.nextGaussian();
    y[i] = c;
  }
  return {
    name: 'synthetic-shapes',
    numExamples: n,
    featureShape: [SIZE, SIZE, 1],
    x,
    y,
    task: 'classification',
    numClasses: k,
    classNames: [...SHAPE_CLASSES],
    normalization: { kind: 'none' },
  };
}
