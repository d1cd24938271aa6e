/**
 * The run's layouts as Keras 3 on JAX accepts them, for `export --cluster`: one LayoutMap entry per
 * variable under its exact Keras path (Keras 3.15 matches LayoutMap keys with `re.fullmatch` against
 * `variable.path`, so the run's own start-anchored regexes would match nothing there), and an axis
 * left unsharded where its size does not divide over its mesh dim:
 * dtrain splits unevenly (numpy.array_split), JAX's shardings refuse it.
 */
import type { RunShape } from '../config/run-shape';
import { kerasModelOf } from '../keras/run-archive';

export interface ClusterVariable {
  /** The variable's path in Keras (`variable.path`). */
  kerasPath: string;
  /** Per axis: the mesh dim it is sharded over there, or null. */
  specs: (string | null)[];
  /** Axes the run shards but the cluster cannot: why, for a comment in train.py. */
  unsharded: string[];
}

const NESTED_MODELS = new Set(['Sequential', 'Functional', 'Model']);

/** `outer/inner/dense/kernel` → `dense/kernel` when outer and outer/inner are nested models. */
function withoutNestedModels(path: string, prefixes: string[]): string {
  const longest = prefixes.filter((m) => path.startsWith(m)).sort((a, b) => b.length - a.length)[0];
  return longest ? path.slice(longest.length) : path;
}

export function clusterLayouts(run: Pick<RunShape, 'config' | 'mesh' | 'layouts' | 'model'>): ClusterVariable[] {
  const { config, mesh, layouts: map } = run;
  const model = kerasModelOf(config);
  // In a model Keras loaded from an archive (as train.py does), a variable's path is
  // `<layer>/<weight>`: the run's path for a Keras model without its nested models' names (a layer
  // inside a nested Sequential or Functional has no prefix there), and a JSON-spec model's
  // `dense.kernel` with a slash.
  const spec = (config.model as { type?: unknown }).type !== 'keras';
  const nested = (run.model.keras?.graph.nodes ?? []).filter((n) => NESTED_MODELS.has(n.className)).map((n) => `${n.name}/`);
  return model.params.map((p) => {
    const kerasPath = spec ? p.path.replace('.', '/') : withoutNestedModels(p.path, nested);
    const unsharded: string[] = [];
    const specs = map.layoutFor(p.path, p.shape.length).shardingSpecs.map((spec, axis) => {
      if (spec === 'unsharded') return null;
      const parts = mesh.dimSize(spec);
      if (p.shape[axis]! % parts === 0) return spec;
      unsharded.push(`axis ${axis} has ${p.shape[axis]} entries, which do not divide over ${spec}=${parts}`);
      return null;
    });
    return { kerasPath, specs, unsharded };
  });
}
