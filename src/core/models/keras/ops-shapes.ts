/**
 * Output shapes of the keras.ops calls of ops-nodes.ts, from their arguments (tensor shapes with the
 * batch axis as −1, or constants) and their saved config. numpy's broadcasting rules.
 */
import { fail, isObj, type LayerEntry, type Obj } from './config';

/** The output shape, or several (Split). */
export type OpShape = (args: unknown[], c: Obj, entry: LayerEntry) => number[] | number[][];

const isShape = (v: unknown): v is number[] => Array.isArray(v) && v.every((n) => typeof n === 'number');
const shapeOf = (v: unknown): number[] => (isShape(v) ? v : []);

function broadcast(entry: LayerEntry, ...shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const dims = shapes.map((s) => s[s.length - rank + i] ?? 1);
    const big = dims.filter((d) => d !== 1);
    if (new Set(big).size > 1)
      fail(`keras op "${entry.name}" (${entry.className}): shapes ${shapes.map((s) => `[${s}]`).join(', ')} do not broadcast`);
    out.push(big[0] ?? 1);
  }
  return out;
}

const axisIn = (axis: number, rank: number) => (axis < 0 ? rank + axis : axis);

function reduce(args: unknown[], c: Obj): number[] {
  const x = shapeOf(args[0]);
  if (c.axis === null || c.axis === undefined) return c.keepdims === true ? x.map(() => 1) : [];
  const axes = ([] as number[]).concat(c.axis as number).map((a) => axisIn(a, x.length));
  return c.keepdims === true ? x.map((n, i) => (axes.includes(i) ? 1 : n)) : x.filter((_, i) => !axes.includes(i));
}

const same: OpShape = (args) => shapeOf(args[0]);
const pair: OpShape = (args, _c, e) => broadcast(e, shapeOf(args[0]), shapeOf(args[1]));

function reshape(args: unknown[], c: Obj, e: LayerEntry): number[] {
  const x = shapeOf(args[0]);
  const target = (c.newshape as (number | null)[]).map((n) => (n === null ? -1 : n));
  if (target[0] !== -1 || target.slice(1).some((n) => n < 1))
    fail(
      `keras op "${e.name}" (Reshape): newshape ${JSON.stringify(c.newshape)} must keep the batch axis first (-1) and fix the rest`,
    );
  const size = (s: number[]) => s.slice(1).reduce((a, b) => a * b, 1);
  if (size(x) !== size(target)) fail(`keras op "${e.name}" (Reshape): cannot reshape [${x}] to ${JSON.stringify(c.newshape)}`);
  return target;
}

function getItem(args: unknown[], e: LayerEntry): number[] {
  const x = shapeOf(args[0]);
  const keys = Array.isArray(args[1]) ? args[1] : [args[1]];
  const out: number[] = [];
  x.forEach((n, axis) => {
    const k = keys[axis];
    const full = k === undefined || (isObj(k) && isObj(k.config) && k.config.start == null && k.config.stop == null);
    if (full) return void out.push(n);
    if (axis === 0) fail(`keras op "${e.name}" (GetItem): indexing the batch axis is not supported`);
    if (typeof k === 'number') return;
    const c =
      isObj(k) && k.class_name === '__slice__' && isObj(k.config)
        ? k.config
        : fail(`keras op "${e.name}" (GetItem): key ${JSON.stringify(k)} is not supported (ints and slices)`);
    if (c.step != null && c.step !== 1) fail(`keras op "${e.name}" (GetItem): slice steps are not supported`);
    const norm = (v: unknown, d: number) => (v == null ? d : (v as number) < 0 ? n + (v as number) : Math.min(v as number, n));
    out.push(Math.max(0, norm(c.stop, n) - norm(c.start, 0)));
  });
  return out;
}

function matmul(args: unknown[], e: LayerEntry): number[] {
  const [a, b] = [shapeOf(args[0]), shapeOf(args[1])];
  if (a.length < 2 || b.length < 2 || a[a.length - 1] !== b[b.length - 2])
    fail(`keras op "${e.name}" (Matmul): shapes [${a}] and [${b}] do not multiply`);
  return [...broadcast(e, a.slice(0, -2), b.slice(0, -2)), a[a.length - 2]!, b[b.length - 1]!];
}

function joined(args: unknown[], c: Obj, e: LayerEntry, stack: boolean): number[] {
  const xs = (args[0] as unknown[]).map(shapeOf);
  const first = xs[0]!;
  const axis = axisIn((c.axis as number) ?? 0, first.length + (stack ? 1 : 0));
  if (axis === 0) fail(`keras op "${e.name}" (${e.className}) along the batch axis is not supported`);
  if (stack) return [...first.slice(0, axis), xs.length, ...first.slice(axis)];
  const out = [...first];
  out[axis] = xs.reduce((s, x) => s + x[axis]!, 0);
  return out;
}

const unaryNames = [
  'Negative', 'Absolute', 'Abs', 'Square', 'Sqrt', 'Rsqrt', 'Reciprocal', 'Exp', 'Log', 'Log1p', 'Sin', 'Cos', 'Tanh', 'Erf', 'Sign',
  'Floor', 'Round', 'Sigmoid', 'Relu', 'Relu6', 'Silu', 'Softplus', 'Softsign', 'LogSigmoid', 'HardSigmoid', 'HardSilu', 'Gelu',
  'LeakyRelu', 'Softmax', 'LogSoftmax', 'OnesLike', 'ZerosLike', 'Cast', 'Clip', 'Cumsum', 'Flip',
]; // prettier-ignore
const binaryNames = ['Add', 'Subtract', 'Multiply', 'Divide', 'TrueDivide', 'Power', 'Maximum', 'Minimum', 'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual']; // prettier-ignore

export const OP_SHAPES: Record<string, OpShape> = {
  ...Object.fromEntries(unaryNames.map((n) => [n, same])),
  ...Object.fromEntries(binaryNames.map((n) => [n, pair])),
  Where: (args, _c, e) => broadcast(e, ...args.map(shapeOf)),
  Mean: reduce,
  Sum: reduce,
  Max: reduce,
  Min: reduce,
  Reshape: reshape,
  Transpose: (args, c, e) => {
    const x = shapeOf(args[0]);
    const axes = (c.axes as number[] | null) ?? x.map((_, i) => x.length - 1 - i);
    if (axisIn(axes[0]!, x.length) !== 0) fail(`keras op "${e.name}" (Transpose) must keep the batch axis first`);
    return axes.map((a) => x[axisIn(a, x.length)]!);
  },
  ExpandDims: (args, c) => {
    const x = shapeOf(args[0]);
    const out = [...x];
    out.splice(axisIn(c.axis as number, x.length + 1), 0, 1);
    return out;
  },
  Squeeze: (args, c) => {
    const x = shapeOf(args[0]);
    if (c.axis === null || c.axis === undefined) return x.filter((n, i) => i === 0 || n !== 1);
    const axes = ([] as number[]).concat(c.axis as number).map((a) => axisIn(a, x.length));
    return x.filter((_, i) => !axes.includes(i));
  },
  Concatenate: (args, c, e) => joined(args, c, e, false),
  Stack: (args, c, e) => joined(args, c, e, true),
  Matmul: (args, _c, e) => matmul(args, e),
  Tile: (args, c) => shapeOf(args[0]).map((n, i) => (n === -1 ? -1 : n * ((c.repeats as number[])[i] ?? 1))),
  Repeat: (args, c) => {
    const x = shapeOf(args[0]);
    const a = axisIn(c.axis as number, x.length);
    return x.map((n, i) => (i === a ? n * (c.repeats as number) : n));
  },
  Split: (args, c, e) => {
    const x = shapeOf(args[0]);
    const a = axisIn((c.axis as number) ?? 0, x.length);
    const parts = c.indices_or_sections as number;
    if (typeof parts !== 'number' || a === 0 || x[a]! % parts !== 0)
      fail(`keras op "${e.name}" (Split): only equal sections off the batch axis are supported`);
    return Array.from({ length: parts }, () => x.map((n, i) => (i === a ? n / parts : n)));
  },
  GetItem: (args, _c, e) => getItem(args, e),
};
