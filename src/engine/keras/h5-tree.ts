/**
 * An HDF5 file as a plain tree (groups with string attributes, numeric datasets), read from and
 * written to bytes with h5wasm. h5wasm opens files by path in its in-memory (Emscripten) file system,
 * so each call writes or reads one uniquely named file there and always unlinks it.
 */
import h5wasm from 'h5wasm';
import { invalidInput } from '../../shared/errors';

export type H5DType = 'float32' | 'float64' | 'int32' | 'int64';

export interface H5Dataset {
  kind: 'dataset';
  shape: number[];
  dtype: H5DType;
  /** Row-major values; int64 as BigInt64Array. */
  data: Float32Array | Float64Array | Int32Array | BigInt64Array;
}

export interface H5Group {
  kind: 'group';
  attrs: Record<string, string>;
  /** Children in insertion order (what the writer writes; the reader gives HDF5's name order). */
  children: Map<string, H5Node>;
}

export type H5Node = H5Group | H5Dataset;

export const group = (attrs: Record<string, string> = {}): H5Group => ({ kind: 'group', attrs, children: new Map() });

let counter = 0;
const scratchName = () => `/dtrain-${process.pid}-${++counter}.h5`;

interface EmscriptenFS {
  writeFile(path: string, data: Uint8Array): void;
  readFile(path: string): Uint8Array;
  unlink(path: string): void;
  analyzePath(path: string): { exists: boolean };
}

async function memfs(): Promise<EmscriptenFS> {
  const module = (await h5wasm.ready) as unknown as { FS: EmscriptenFS };
  return module.FS;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Reads the whole file. `what` names it in errors ("model.weights.h5 in x.keras"). */
export async function readH5(bytes: Uint8Array, what: string): Promise<H5Group> {
  // HDF5's C library prints its own diagnostics for garbage; refuse non-HDF5 bytes before it sees them.
  if (bytes.length < 8 || HDF5_SIGNATURE.some((b, i) => bytes[i] !== b)) throw invalidInput(`${what} is not an HDF5 file`);
  const FS = await memfs();
  const name = scratchName();
  FS.writeFile(name, bytes);
  let file: InstanceType<typeof h5wasm.File> | null = null;
  try {
    file = new h5wasm.File(name, 'r');
    return readGroup(file, what);
  } catch (e) {
    if (e instanceof Error && e.name === 'ApiError') throw e;
    throw invalidInput(`${what} cannot be read as HDF5 (${e instanceof Error ? e.message : String(e)})`);
  } finally {
    file?.close();
    if (FS.analyzePath(name).exists) FS.unlink(name);
  }
}

type H5Entity = ReturnType<InstanceType<typeof h5wasm.Group>['get']>;

function readGroup(g: InstanceType<typeof h5wasm.Group>, what: string): H5Group {
  const out = group();
  for (const key of Object.keys(g.attrs)) {
    const v = g.get_attribute(key, true);
    if (typeof v === 'string') out.attrs[key] = v;
  }
  for (const key of g.keys()) {
    const child: H5Entity = g.get(key);
    if (child instanceof h5wasm.Group) out.children.set(key, readGroup(child, what));
    else if (child instanceof h5wasm.Dataset)
      out.children.set(key, readDataset(child, `${g.path === '/' ? '' : g.path}/${key}`, what));
  }
  return out;
}

function readDataset(d: InstanceType<typeof h5wasm.Dataset>, path: string, what: string): H5Dataset {
  const m = d.metadata;
  const shape = [...(d.shape ?? [])];
  const dtype: H5DType | null =
    m.type === 1 && m.size === 4
      ? 'float32'
      : m.type === 1 && m.size === 8
        ? 'float64'
        : m.type === 0 && m.signed && m.size === 4
          ? 'int32'
          : m.type === 0 && m.signed && m.size === 8
            ? 'int64'
            : null;
  if (!dtype) throw invalidInput(`${what}: dataset ${path} has a type this trainer does not read (${d.dtype})`);
  const raw = d.value as unknown;
  // A scalar dataset reads as a bare number (or bigint for int64); arrays as typed arrays.
  const values = (typeof raw === 'number' || typeof raw === 'bigint' ? [raw] : raw) as ArrayLike<number> & ArrayLike<bigint>;
  const data =
    dtype === 'float32'
      ? Float32Array.from(values)
      : dtype === 'float64'
        ? Float64Array.from(values)
        : dtype === 'int32'
          ? Int32Array.from(values)
          : BigInt64Array.from(values, (v) => BigInt(v));
  return { kind: 'dataset', shape, dtype, data };
}

const H5_TYPE: Record<H5DType, string> = { float32: '<f', float64: '<d', int32: '<i', int64: '<q' };

/** The bytes of an HDF5 file holding `root`. */
export async function writeH5(root: H5Group): Promise<Uint8Array> {
  const FS = await memfs();
  const name = scratchName();
  try {
    const file = new h5wasm.File(name, 'w');
    try {
      writeGroup(file, root);
    } finally {
      file.close();
    }
    return FS.readFile(name).slice();
  } finally {
    if (FS.analyzePath(name).exists) FS.unlink(name);
  }
}

function writeGroup(target: InstanceType<typeof h5wasm.Group>, g: H5Group): void {
  for (const [k, v] of Object.entries(g.attrs)) target.create_attribute(k, v);
  for (const [key, node] of g.children) {
    if (node.kind === 'group') writeGroup(target.create_group(key), node);
    else target.create_dataset({ name: key, data: node.data, shape: node.shape, dtype: H5_TYPE[node.dtype] });
  }
}
