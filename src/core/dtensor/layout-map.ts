/**
 * Keras's `LayoutMap`: an ordered map from variable-path patterns to layouts.
 * Lookup tries the exact key, then each key in insertion order as a regex matched at the *start* of
 * the path (Python `re.match`: anchored at the start, not a full match).
 */
import { ValueError } from '../errors';
import { Layout, type LayoutJSON } from './layout';
import { Mesh, type MeshJSON } from './mesh';

/** The JSON form of a layout map (`LayoutMap.toJSON`). */
export interface LayoutMapJSON {
  readonly mesh: MeshJSON;
  readonly entries: [string, LayoutJSON][];
}

interface Entry {
  readonly layout: Layout;
  /** Sticky (`y`) regex: `test` from lastIndex 0 matches only at position 0, like `re.match`. */
  readonly pattern: RegExp;
}

export class LayoutMap {
  private readonly map = new Map<string, Entry>();

  /** `mesh` is the default mesh: unmatched paths get a replicated layout on it. */
  constructor(readonly mesh: Mesh) {
    if (!(mesh instanceof Mesh)) throw new ValueError('LayoutMap needs a Mesh for its default replicated layouts.');
  }

  static fromJSON(json: unknown): LayoutMap {
    const j = json as Partial<LayoutMapJSON> | null;
    if (typeof j !== 'object' || j === null || !Array.isArray(j.entries)) {
      throw new ValueError(`Invalid LayoutMap JSON: expected {mesh, entries}, got ${JSON.stringify(json)}.`);
    }
    const map = new LayoutMap(Mesh.fromJSON(j.mesh));
    for (const entry of j.entries) {
      if (!Array.isArray(entry) || entry.length !== 2) {
        throw new ValueError(`Invalid LayoutMap JSON entry: expected [key, layout], got ${JSON.stringify(entry)}.`);
      }
      map.set(entry[0], Layout.fromJSON(entry[1], map.mesh));
    }
    return map;
  }

  get size(): number {
    return this.map.size;
  }

  /** Adds `key → layout`; keys are never overwritten (Keras refuses duplicates). */
  set(key: string, layout: Layout): this {
    if (typeof key !== 'string') throw new ValueError(`LayoutMap keys must be strings, got ${typeof key}.`);
    const existing = this.map.get(key);
    if (existing) {
      throw new ValueError(
        `${key} already exist in the LayoutMap with value ${existing.layout}. ` + 'Please make sure to not use duplicated keys.',
      );
    }
    if (!(layout instanceof Layout)) {
      throw new ValueError(`${describe(layout)} should be a Layout type, got ${typeName(layout)}`);
    }
    this.map.set(key, { layout, pattern: compileKey(key) });
    return this;
  }

  /** The layout for `path`: exact key first, else the first key whose regex matches at the start. */
  get(path: string): Layout | undefined {
    return this.lookup(path)?.[1];
  }

  /** The layout for a variable of `rank` at `path`; a replicated layout on the mesh when none matches. */
  layoutFor(path: string, rank: number): Layout {
    const found = this.lookup(path);
    if (!found) return Layout.replicated(this.mesh, rank);
    const [key, layout] = found;
    if (layout.rank !== rank) {
      throw new ValueError(
        `The layout for "${path}" (LayoutMap key "${key}") has rank ${layout.rank}, ` +
          `but the variable has rank ${rank}: ${layout}.`,
      );
    }
    return layout;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  delete(key: string): boolean {
    return this.map.delete(key);
  }

  keys(): string[] {
    return [...this.map.keys()];
  }

  entries(): [string, Layout][] {
    return [...this.map].map(([key, entry]) => [key, entry.layout]);
  }

  toJSON(): LayoutMapJSON {
    return { mesh: this.mesh.toJSON(), entries: this.entries().map(([k, l]) => [k, l.toJSON()]) };
  }

  private lookup(path: string): [string, Layout] | undefined {
    const exact = this.map.get(path);
    if (exact) return [path, exact.layout];
    for (const [key, entry] of this.map) {
      entry.pattern.lastIndex = 0;
      if (entry.pattern.test(path)) return [key, entry.layout];
    }
    return undefined;
  }
}

function compileKey(key: string): RegExp {
  try {
    return new RegExp(key, 'y');
  } catch (error) {
    throw new ValueError(`LayoutMap key ${JSON.stringify(key)} is not a valid regular expression: ${(error as Error).message}`);
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

function describe(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}
