/**
 * The model against its data: it must take the dataset's features and produce its targets, and the
 * global batch must fit in the dataset. Read from the data's shape (inspectRunData), not its rows.
 */
import type { Model } from '../../core/models/index';
import type { DataSourceShape } from '../../datasets/inspect-source';
import { checkNamedInputs, checkNamedTargets } from './named-fit';

type Add = (path: string, message: string) => void;

/** The batch against the dataset, and the model against its features and targets. */
export function checkRunFit(model: Model | undefined, ds: DataSourceShape, globalBatchSize: unknown, add: Add): void {
  if (model) checkFit(model, ds, add);
  if (Number.isInteger(globalBatchSize) && (globalBatchSize as number) > ds.examples) {
    add('globalBatchSize', `a global batch of ${globalBatchSize} is larger than dataset '${ds.name}' (${ds.examples} examples)`);
  }
}

/** The model must take the dataset's features and produce its targets. */
function checkFit(model: Model, ds: DataSourceShape, add: Add): void {
  if (!(model.keras && checkNamedInputs(model, ds, add)) && model.inputShape.join() !== ds.featureShape.join()) {
    add(
      'model.input',
      `the model takes inputs of shape [${model.inputShape}] but dataset '${ds.name}' has features of shape [${ds.featureShape}]`,
    );
  }
  if (model.keras) return void (checkNamedTargets(model, ds, add) || checkKerasFit(model, ds, add));
  const out = model.outputShape.reduce((a, b) => a * b, 1);
  if (ds.task === 'classification' && model.loss === 'softmax_cross_entropy' && out !== ds.numClasses) {
    add('model.layers', `the model outputs ${out} values but dataset '${ds.name}' has ${ds.numClasses} classes`);
  }
  if (ds.task === 'classification' && model.loss === 'mse')
    add('model.loss', `dataset '${ds.name}' is a classification task: use softmax_cross_entropy`);
  if (ds.task === 'regression' && model.loss !== 'mse') add('model.loss', `dataset '${ds.name}' is a regression task: use mse`);
  if (ds.task === 'regression' && out !== (ds.targetDim ?? 1))
    add('model.layers', `the model outputs ${out} values but the targets have ${ds.targetDim ?? 1}`);
}

/** A Keras model's loss decides what labels it takes: class indices (sparse CCE, BCE on 0/1) or float targets. */
function checkKerasFit(model: Model, ds: DataSourceShape, add: Add): void {
  const { kind } = model.keras!.head;
  const out = model.outputShape.reduce((a, b) => a * b, 1);
  const classes = model.outputShape[model.outputShape.length - 1]!;
  if (ds.task === 'classification') {
    if (kind === 'sparse_categorical_crossentropy') {
      if (classes !== ds.numClasses)
        add('model', `the Keras model outputs ${classes} classes but dataset '${ds.name}' has ${ds.numClasses}`);
    } else if (!(kind === 'binary_crossentropy' && out === 1 && ds.numClasses === 2)) {
      add(
        'model',
        `dataset '${ds.name}' has class-index labels: the Keras loss ${kind} needs float targets of shape [${model.outputShape}] (use sparse_categorical_crossentropy)`,
      );
    }
  } else if (kind === 'sparse_categorical_crossentropy') {
    add('model', `dataset '${ds.name}' has float targets: sparse_categorical_crossentropy needs class indices`);
  } else if (out !== (ds.targetDim ?? 1)) {
    add('model', `the Keras model outputs ${out} values per example but the targets have ${ds.targetDim ?? 1}`);
  }
}
