/**
 * A Keras model against data given per input and per target (`"x": {"title": KEY, …}`, `"y": {…}`):
 * every model input and output is given exactly once, by its name, with the shape the model takes
 * and, for a class-index loss, labels that are classes of that output. One issue per problem, each one
 * line naming the input or output (a name that is not the model's gets a "did you mean").
 */
import type { Model } from '../../core/models/index';
import type { GraphEnd } from '../../core/models/keras/graph';
import type { OutputLoss } from '../../core/models/keras/output-losses';
import { labelsPerExample } from '../../core/models/keras/losses';
import { closestMatch } from '../../core/text/did-you-mean';
import type { DataSourceShape } from '../../datasets/inspect-source';
import type { ArrayPart, TargetPart } from '../../core/data/index';

type Add = (path: string, message: string) => void;

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const list = (ends: { name: string }[]) => ends.map((e) => `"${e.name}"`).join(', ');

/** Names given in the data that the model lacks, and model names the data lacks. */
function checkNames(what: 'x' | 'y', ends: GraphEnd[], parts: ArrayPart[] | undefined, ds: DataSourceShape, add: Add): boolean {
  const kind = what === 'x' ? 'input' : 'output';
  if (!parts) {
    if (ends.length > 1)
      add(
        `data.${what}`,
        `the model has ${ends.length} ${kind}s (${list(ends)}): give data.${what} as {${ends.map((e) => `"${e.name}": <array>`).join(', ')}}`,
      );
    return ends.length === 1;
  }
  let ok = true;
  // A misspelt name is one issue (its did-you-mean), not two: the model's name it meant is not also "missing".
  const meant = new Set<string>();
  for (const p of parts)
    if (!ends.some((e) => e.name === p.name)) {
      const near = closestMatch(
        p.name,
        ends.map((e) => e.name),
      );
      if (near) meant.add(near);
      add(
        `data.${what}.${p.name}`,
        `"${p.name}" is not an ${kind} of the model (${near ? `did you mean "${near}"?` : `its ${kind}s: ${list(ends)}`})`,
      );
      ok = false;
    }
  for (const e of ends)
    if (!parts.some((p) => p.name === e.name)) {
      if (!meant.has(e.name))
        add(`data.${what}`, `the model's ${kind} "${e.name}" is given no array in data.${what} (dataset '${ds.name}')`);
      ok = false;
    }
  return ok;
}

/** The inputs, when the model has several or the data names them; false when the one-input check applies. */
export function checkNamedInputs(model: Model, ds: DataSourceShape, add: Add): boolean {
  const { graph } = model.keras!;
  if (graph.inputs.length === 1 && !ds.xParts) return false;
  if (checkNames('x', graph.inputs, ds.xParts, ds, add) && ds.xParts)
    for (const input of graph.inputs) {
      const part = ds.xParts.find((p) => p.name === input.name)!;
      if (part.shape.join() !== input.shape.join())
        add(
          `data.x.${input.name}`,
          `input "${input.name}" takes rows of shape [${input.shape}], its array in dataset '${ds.name}' has [${part.shape}]`,
        );
    }
  return true;
}

/** The targets, when the model has several outputs or the data names them; false when the one-output check applies. */
export function checkNamedTargets(model: Model, ds: DataSourceShape, add: Add): boolean {
  const { graph, outputLosses, head } = model.keras!;
  if (graph.outputs.length === 1 && !ds.yParts) return false;
  // An output no loss or metric reads needs no targets, and those given are not read (engine/keras/unused-targets.ts).
  const unread = outputLosses?.unread ?? [];
  const given = ds.yParts?.filter((p) => !unread.includes(p.name));
  const ends = graph.outputs.filter((e) => !unread.includes(e.name));
  if (!ds.yParts && graph.outputs.length > 1) {
    add(
      'data.y',
      `the model has ${graph.outputs.length} outputs (${list(graph.outputs)}): give data.y as {${ends.map((e) => `"${e.name}": <array>`).join(', ')}}`,
    );
    return true;
  }
  if (!checkNames('y', ends, given, ds, add) || !given) return true;
  const losses: Pick<OutputLoss, 'end' | 'head'>[] = outputLosses?.outputs ?? [{ end: graph.outputs[0]!, head }];
  for (const o of losses)
    checkTarget(
      o,
      given.find((p) => p.name === o.end.name)!,
      o.head.kind,
      add,
    );
  // An output without a loss whose metrics read its targets: they take the form its metrics take.
  for (const o of outputLosses?.metricOnly ?? [])
    checkTarget(
      o,
      given.find((p) => p.name === o.end.name)!,
      'its metrics',
      add,
    );
  return true;
}

function checkTarget(o: Pick<OutputLoss, 'end' | 'head'>, part: TargetPart, reader: string, add: Add): void {
  const { end, head } = o;
  const path = `data.y.${end.name}`;
  const want = labelsPerExample(head, end.shape);
  if (size(part.shape) !== want) {
    const what = head.kind === 'sparse_categorical_crossentropy' ? 'class indices' : 'targets';
    add(path, `output "${end.name}" (${reader}) takes ${want} ${what} per example, the array has rows of shape [${part.shape}]`);
    return;
  }
  if (head.kind !== 'sparse_categorical_crossentropy') return;
  const classes = end.shape[end.shape.length - 1]!;
  if (!part.integral || part.min < 0 || part.max >= classes)
    add(
      path,
      `output "${end.name}" (${reader}) has ${classes} classes: its labels must be integers in [0, ${classes}), the array holds ${part.integral ? `${part.min}…${part.max}` : 'non-integers'}`,
    );
}
