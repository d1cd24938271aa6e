/**
 * Keras 3's layout of `model.weights.h5`: each saveable object's variables in a `vars` group
 * (datasets `0`, `1`, … in the object's own order, the group's `name` attribute = the object's name),
 * at the object's path: `layers/<key>` for a model's layers (key = snake_case class name, `_1`, `_2`
 * for repeats; nested models add `layers/<key>/layers/<key2>`), `optimizer`, and `vars` for the model.
 */
import { invalidInput } from '../../shared/errors';
import { group, type H5Dataset, type H5Group } from './h5-tree';

/** One saveable's variables: `path` is where its `vars` group sits (e.g. `layers/dense`). */
export interface VarsEntry {
  path: string;
  name: string | null;
  vars: H5Dataset[];
}

function varsOf(g: H5Group, path: string, what: string): VarsEntry | null {
  const vars = g.children.get('vars');
  if (!vars) return null;
  if (vars.kind !== 'group') throw invalidInput(`${what}: ${path}/vars is a dataset, not a group`);
  const keys = [...vars.children.keys()];
  const datasets = keys.map((_, i) => {
    const d = vars.children.get(String(i));
    if (!d || d.kind !== 'dataset') throw invalidInput(`${what}: ${path}/vars has no dataset ${i} (found ${keys.join(', ')})`);
    return d;
  });
  return { path, name: vars.attrs.name ?? null, vars: datasets };
}

/** Every layer's variables, keyed by the path under `layers/` (`dense`, `sequential/layers/dense`). */
export function layerVars(root: H5Group, what: string): Map<string, VarsEntry> {
  const layers = root.children.get('layers');
  if (!layers || layers.kind !== 'group') throw invalidInput(`${what} has no 'layers' group: not the weights of a Keras 3 model`);
  const out = new Map<string, VarsEntry>();
  // Every group below `layers/` may hold a `vars` group: layers, nested models' layers (`…/layers/…`)
  // and sub-layers (an LSTM's `cell`, MultiHeadAttention's `query_dense`).
  const walk = (g: H5Group, prefix: string) => {
    for (const [key, child] of g.children) {
      if (child.kind !== 'group' || key === 'vars') continue;
      const path = prefix ? `${prefix}/${key}` : key;
      const entry = varsOf(child, `layers/${path}`, what);
      if (entry) out.set(path, { ...entry, path });
      walk(child, path);
    }
  };
  walk(layers, '');
  return out;
}

/** The optimizer's variables (`optimizer/vars`), or null when the model was saved without a built optimizer. */
export function optimizerVars(root: H5Group, what: string): VarsEntry | null {
  const opt = root.children.get('optimizer');
  if (!opt || opt.kind !== 'group') return null;
  const entry = varsOf(opt, 'optimizer', what);
  return entry && entry.vars.length > 0 ? entry : null;
}

/** A saveable's variables at its group path under `layers/` (`dense`, `lstm/cell`, `sequential/layers/dense`). */
export interface LayerVars {
  path: string;
  name: string;
  vars: H5Dataset[];
}

function varsGroup(name: string, vars: H5Dataset[]): H5Group {
  const g = group({ name });
  vars.forEach((v, i) => g.children.set(String(i), v));
  return g;
}

/** `layers/…` with each entry's `vars` group at its path (parent groups made on the way). */
function layersGroup(entries: LayerVars[]): H5Group {
  const root = group();
  for (const e of entries) {
    let g = root;
    for (const segment of e.path.split('/')) {
      let child = g.children.get(segment);
      if (!child) g.children.set(segment, (child = group()));
      if (child.kind !== 'group') throw new Error(`internal: ${e.path} crosses a dataset`);
      g = child;
    }
    g.children.set('vars', varsGroup(e.name, e.vars));
  }
  return root;
}

/** The tree Keras's loader reads: `layers/…`, `optimizer/vars` (when given) and the model's own empty `vars`. */
export function weightsTree(
  modelName: string,
  layers: LayerVars[],
  optimizer: { name: string; vars: H5Dataset[] } | null,
): H5Group {
  const root = group();
  root.children.set('layers', layersGroup(layers));
  if (optimizer) {
    const og = group();
    og.children.set('vars', varsGroup(optimizer.name, optimizer.vars));
    root.children.set('optimizer', og);
  }
  root.children.set('vars', group({ name: modelName }));
  return root;
}
