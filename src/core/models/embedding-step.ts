/**
 * The sparse training step: forward and backward when the model has Embedding tables. The looked-up
 * rows, not the tables, are inputs of the gradient: their gradient is one row per id, in batch order —
 * an IndexedSlices with repeated ids, exactly what TensorFlow hands the optimizer — and no dense
 * table-sized gradient is formed. The other parameters' gradients go through the step's GradHandOff.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from './build';
import type { HostSparse } from '../optimizers/indexed-slices';
import { graphOutput, runGraph } from './keras/graph';
import type { LayerContext } from './keras/layer-types';
import { stepTotal, type StepLoss, type StepOutputs } from './dense-step';
import type { GradHandOff } from './grad-handoff';

/**
 * Inside a tidy scope: forward and backward of the Σ per-example loss (and regularizer terms). Ids are checked here, before
 * the gradient tape, because an error thrown under the tape leaks its tensors. The dense gradients go
 * to `handOff` after backward (`finish`), not during it; and since forward runs up to the ids before
 * the tape, every parameter must be there from the start (a hand-off with deferred fills is refused).
 */
export function embeddingStep(
  model: Model,
  params: Map<string, tf.Tensor>,
  x: tf.Tensor,
  ctx: LayerContext,
  loss: StepLoss,
  handOff: GradHandOff,
): StepOutputs & { sparse: Map<string, HostSparse> } {
  if (handOff.fills) throw new Error('internal: the embedding step cannot wait for deferred parameters');
  const { graph } = model.keras!;
  const embeddings = graph.nodes.filter((n) => n.embedding);
  const idSources = new Set(embeddings.map((n) => n.inbound[0]!));
  // Only up to the ids: nothing of it is differentiated, so it adds no loss terms nor state updates.
  const pre = runGraph(graph, params, x, { ...ctx, losses: undefined, stateUpdates: undefined }, idSources);
  const ids = new Map<string, tf.Tensor>();
  const rows = new Map<string, tf.Tensor>();
  for (const node of embeddings) {
    const { inputDim, table } = node.embedding!;
    const raw = pre.get(node.inbound[0]!)!;
    const values = raw.dataSync();
    for (let i = 0; i < values.length; i++) {
      const id = values[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= inputDim) {
        throw new RangeError(
          `embedding "${node.name}": input id ${id} at position ${i} is outside [0, ${inputDim}) (input_dim ${inputDim})`,
        );
      }
    }
    const idTensor = tf.cast(raw, 'int32');
    ids.set(node.name, idTensor);
    rows.set(node.name, tf.gather(params.get(table)!, idTensor));
  }
  const densePaths = model.params.filter((p) => !p.sparse).map((p) => p.path);
  const names = [...rows.keys()];
  let out: tf.Tensor | undefined;
  let perExample: tf.Tensor | undefined;
  let extra: tf.Scalar | null = null;
  const { grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => {
    const map = new Map(params);
    densePaths.forEach((p, i) => map.set(p, xs[i]!));
    const looked = new Map(names.map((n, i) => [n, xs[densePaths.length + i]!] as [string, tf.Tensor]));
    const tapeCtx: LayerContext = { ...ctx, embed: (layer) => looked.get(layer)! };
    out = tf.keep(graphOutput(graph, runGraph(graph, map, x, tapeCtx)));
    perExample = tf.keep(loss.perExample(out));
    extra = loss.extra?.() ?? null;
    return stepTotal(perExample, extra, loss);
  })([...densePaths.map((p) => params.get(p)!), ...names.map((n) => rows.get(n)!)]);
  const dense = handOff.finish(densePaths, grads.slice(0, densePaths.length));
  const sparse = new Map<string, HostSparse>();
  embeddings.forEach((node, k) => {
    const g = grads[densePaths.length + k]!;
    const rowSize = g.shape[g.rank - 1]!;
    sparse.set(node.embedding!.table, {
      rows: Int32Array.from(ids.get(node.name)!.dataSync()),
      values: handOff.download(g),
      rowSize,
    });
  });
  return { out: out!, perExample: perExample!, extra, grads: dense, sparse };
}
