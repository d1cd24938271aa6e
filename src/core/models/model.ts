/**
 * What buildModel returns, for a JSON spec or a Keras model config: shapes, parameters, loss and
 * metrics, and for a Keras config its graph and loss head (keras/).
 */
import type { KerasGraph } from './keras/graph';
import type { LossHead } from './keras/losses';
import type { OutputLosses } from './keras/output-losses';
import type { LossName, MetricName, ModelSpec } from './spec';
import type { ParamSpec, ResolvedLayer } from './parts';

export interface Model {
  spec: ModelSpec;
  inputShape: number[];
  outputShape: number[];
  layers: ResolvedLayer[];
  params: ParamSpec[];
  /** Non-trainable variables (BatchNormalization's moving statistics), replicated, not optimized. */
  state?: ParamSpec[];
  paramCount: number;
  loss: LossName;
  /** The figures reported besides the loss: `accuracy`, or per output `department_loss`, `department_accuracy`. */
  metrics: string[];
  /** Set for a model built from a Keras model config: its own forward pass and loss. */
  keras?: KerasParts;
}

/** What a Keras-config model adds: the graph's forward pass and the compiled loss (see keras/). */
export interface KerasParts {
  /** Keras's model name and class (Sequential or Functional). */
  name: string;
  className: string;
  /** The input dtype Keras declared (int32 for ids fed to an Embedding). */
  inputDtype: string;
  /** The model config and compile config as given, for exporting back to Keras. */
  modelConfig: Record<string, unknown>;
  compileConfig: Record<string, unknown> | null;
  graph: KerasGraph;
  /** The loss (with several outputs: the first output's; outputLosses has them all). */
  head: LossHead;
  /** A model with several outputs: each one's loss, weight and metrics (keras/output-losses.ts). */
  outputLosses?: OutputLosses;
  /** One output with weighted_metrics: every metric figure by name and the metric it reports (keras/output-losses.ts metricFigures). */
  metricFigures?: { name: string; metric: MetricName }[];
}
