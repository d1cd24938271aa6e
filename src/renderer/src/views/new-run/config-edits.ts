/**
 * The form as edits to a config, so a copied run stays the same config: the form's reading right
 * after it was filled and its reading now are compared key by key, and only what the user changed is
 * applied to the config it was filled from. Keys the form shows with a default but the config lacked,
 * keys it has no field for (`watchdogSeconds`, a data source's `options`, …) and the exact form of
 * what it did not touch (a schedule's 2.11 dict, a layer's order of keys) all survive. Pure:
 * unit-tested without a DOM.
 */

type Json = unknown;

/** Whole values, compared and replaced as one: the model, the layouts, a learning-rate schedule. */
const ATOMIC = new Set(['model', 'layouts', 'optimizer.learning_rate', 'data.validation', 'earlyStopping']);

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Leaf path → JSON text of its value (objects are walked, except the atomic ones; arrays are leaves). */
export function leaves(value: Json, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (isObject(value) && !ATOMIC.has(prefix)) {
    for (const [k, v] of Object.entries(value)) if (v !== undefined) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out.set(prefix, JSON.stringify(value));
  return out;
}

function setPath(target: Record<string, Json>, path: string, value: Json): void {
  const keys = path.split('.');
  let node = target;
  for (const k of keys.slice(0, -1)) {
    if (!isObject(node[k])) node[k] = {};
    node = node[k] as Record<string, Json>;
  }
  node[keys.at(-1)!] = value;
}

function deletePath(target: Record<string, Json>, path: string): void {
  const keys = path.split('.');
  let node: Json = target;
  for (const k of keys.slice(0, -1)) {
    if (!isObject(node)) return;
    node = node[k];
  }
  if (isObject(node)) delete node[keys.at(-1)!];
}

const get = (value: Json, path: string): Json =>
  path.split('.').reduce<Json>((node, k) => (isObject(node) ? node[k] : undefined), value);

/**
 * `base` with the changes between the form's readings `before` (at fill) and `after` (now). A new data
 * kind replaces the whole data source (the old kind's keys would be unknown to the new one).
 */
export function applyFormEdits<T extends object>(base: T, before: object, after: object): T {
  const out = structuredClone(base) as Record<string, Json>;
  const kindBefore = get(before, 'data.kind');
  const kindAfter = get(after, 'data.kind');
  if (kindAfter !== kindBefore && isObject(get(after, 'data'))) {
    const validation = get(out, 'data.validation');
    out.data = { ...(get(after, 'data') as Record<string, Json>), ...(validation === undefined ? {} : { validation }) };
  }
  const was = leaves(before);
  const now = leaves(after);
  for (const [path, text] of now) if (was.get(path) !== text) setPath(out, path, JSON.parse(text) as Json);
  for (const path of was.keys()) if (!now.has(path)) deletePath(out, path);
  return out as T;
}
