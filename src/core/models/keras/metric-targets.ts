/**
 * An output without a loss but with metrics (`loss=["mse", None]`, `metrics={"aux": ["mae"]}`): Keras
 * computes those metrics against the output's targets all the same (docs/keras-models.md). The form
 * of those targets (class indices, one-hot, floats) is what the metrics take, as a loss would fix it.
 */
import { fail, isObj } from './config';
import type { GraphEnd } from './graph';
import { lossHeadOf, namedMetrics, type LossHead, type LossKind } from './losses';

/**
 * The target form of an output without a loss, from its metrics (Keras's get_metric): the class of an
 * accuracy, or "accuracy" itself on an output of one value (BinaryAccuracy). Keras picks "accuracy" on
 * a wider output by the targets' shape, which the model does not know: it is named (one line).
 */
export function metricTargetsHead(end: GraphEnd, metrics: unknown[]): LossHead {
  const forms = new Set<LossKind>();
  for (const m of metrics) {
    const cls = (typeof m === 'string' ? m : isObj(m) ? String(m.class_name ?? '') : '').toLowerCase();
    const kind = ACCURACY_TARGETS[cls];
    if (kind) forms.add(kind);
    else if (cls === 'accuracy' || cls === 'acc') {
      if (end.shape[end.shape.length - 1] !== 1)
        fail(
          `metric "${cls}" on an output without a loss: Keras picks sparse or categorical accuracy by the targets' shape; name one (sparse_categorical_accuracy or categorical_accuracy)`,
        );
      forms.add('binary_crossentropy');
    }
  }
  if (forms.size > 1)
    fail(`its metrics take targets of different forms (${[...forms].join(', ')}): an output without a loss takes one`);
  const kind = [...forms][0] ?? 'mean_squared_error'; // mae alone: float targets of the output's shape
  if (kind === 'sparse_categorical_crossentropy' && metrics.some((m) => namedMetrics(m)[0]?.metric === 'mae'))
    fail('its metrics take class indices and float targets at once (sparse_categorical_accuracy with mae)');
  return { ...lossHeadOf({ loss: kind, metrics }), config: null };
}

/** The accuracy classes that fix an output's target form; the loss kind whose targets match it. */
const ACCURACY_TARGETS: Record<string, LossKind> = {
  sparse_categorical_accuracy: 'sparse_categorical_crossentropy',
  sparsecategoricalaccuracy: 'sparse_categorical_crossentropy',
  categorical_accuracy: 'categorical_crossentropy',
  categoricalaccuracy: 'categorical_crossentropy',
  binary_accuracy: 'binary_crossentropy',
  binaryaccuracy: 'binary_crossentropy',
};
