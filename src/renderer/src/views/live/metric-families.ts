/**
 * Which curves share a chart: each training metric with its validation twin (`loss` with `val_loss`,
 * `accuracy` with `val_accuracy`), as Keras names them; a validation metric without a training twin
 * gets a chart of its own.
 */

export interface MetricFamily {
  /** The training name ('loss', 'accuracy'), or the val_ name when there is no training twin. */
  name: string;
  train: string | null;
  val: string | null;
}

const VAL = 'val_';

export function metricFamilies(names: readonly string[]): MetricFamily[] {
  const set = new Set(names);
  const families: MetricFamily[] = [];
  for (const name of names) {
    if (name.startsWith(VAL)) {
      if (!set.has(name.slice(VAL.length))) families.push({ name, train: null, val: name });
    } else families.push({ name, train: name, val: set.has(VAL + name) ? VAL + name : null });
  }
  return families;
}

/** "val_accuracy" → "Accuracy", for chart titles. */
export function familyTitle(name: string): string {
  const words = name.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
