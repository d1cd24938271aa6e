/**
 * Named `.npy`/`.npz` arrays (`"x": {"numeric": KEY, …}`) inspected as inspect-source.ts inspects one x
 * and y: each input by its header, checked against its size and streamed once for its CRC-32 and its
 * integers (which must stay exact as float32), nothing kept; the targets read whole (their labels are
 * checked against the model's outputs). Nothing of the inputs is loaded, as workers stream them.
 */
import { basename, extname, resolve } from 'node:path';
import {
  DatasetError,
  NPY_HEADER_BYTES,
  checkNpyEntry,
  decodeNpy,
  decodeNpyHeader,
  labelsFromParts,
  npyDataBytes,
  type NamedArray,
  type NamedHeader,
  type NpyHeader,
} from '../core/data/index';
import { namedRefs, type NpySource, type NpzSource } from './arrays';
import { npzEntries, openFile, readAt, readEntry, readEntryPrefix, scanEntry } from './npz-entries';
import { exactIntegerScan } from './npy-scan';
import type { DataSourceShape } from './source-shape';

const CHUNK_BYTES = 1 << 20;
const label = (what: 'x' | 'y', r: { name: string; ref: string }) =>
  r.name ? `${what}.${r.name} ('${r.ref}')` : `${what} ('${r.ref}')`;

/** The shape a run's check needs, from the inputs' headers and the targets' values. */
function summary(name: string, xs: NamedHeader[], ys: NamedArray[], task: NpySource['task']): DataSourceShape {
  const { info, labels } = labelsFromParts(name, xs, ys, { task });
  const base = {
    name,
    examples: info.numExamples,
    featureShape: [...info.featureShape],
    task: info.task,
    ...(info.xDtype ? { xDtype: info.xDtype } : {}),
    ...(info.xParts ? { xParts: info.xParts } : {}),
    ...(info.yParts ? { yParts: info.yParts } : {}),
  };
  if (info.task !== 'classification') return { ...base, targetDim: info.targetDim ?? 1 };
  const classCounts = new Array<number>(info.numClasses ?? 0).fill(0);
  for (const k of labels) classCounts[k]!++;
  return { ...base, numClasses: info.numClasses, classCounts };
}

export async function inspectNamedNpz(source: NpzSource): Promise<DataSourceShape> {
  const path = resolve(source.path);
  return inFile(path, async () => {
    const { fh, size } = await openFile(path);
    try {
      const entries = await npzEntries(fh, size);
      const entry = (key: string) => {
        const e = entries.get(key);
        if (!e) throw new DatasetError(`no array '${key}' (it has: ${[...entries.keys()].join(', ') || 'none'})`);
        return e;
      };
      const xs: NamedHeader[] = [];
      for (const r of namedRefs(source.x, 'x', 'x')) {
        const e = entry(r.ref);
        const prefix = await inArray(r.ref, () => readEntryPrefix(fh, e, NPY_HEADER_BYTES));
        const header = await inArray(r.ref, async () => decodeNpyHeader(prefix));
        await inArray(r.ref, async () => checkNpyEntry(e, header));
        const exact = exactIntegerScan(header, label('x', r));
        await inArray(r.ref, () => scanEntry(fh, e, exact ?? (() => undefined)));
        xs.push({ name: r.name, label: label('x', r), array: header });
      }
      const ys: NamedArray[] = [];
      for (const r of namedRefs(source.y, 'y', 'y')) {
        const bytes = await inArray(r.ref, () => readEntry(fh, entry(r.ref)));
        ys.push({ name: r.name, label: label('y', r), array: await inArray(r.ref, async () => decodeNpy(bytes)) });
      }
      return summary(basename(path, extname(path)), xs, ys, source.task);
    } finally {
      await fh.close();
    }
  });
}

export async function inspectNamedNpy(source: NpySource): Promise<DataSourceShape> {
  const xs: NamedHeader[] = [];
  for (const r of namedRefs(source.x, '', 'x')) {
    const path = resolve(r.ref);
    const header = await inFile(path, () => readNpy(path, (h) => exactIntegerScan(h, label('x', r))));
    xs.push({ name: r.name, label: label('x', r), array: header });
  }
  const ys: NamedArray[] = [];
  for (const r of namedRefs(source.y, '', 'y')) {
    const path = resolve(r.ref);
    ys.push({ name: r.name, label: label('y', r), array: await inFile(path, () => readNpy(path, null, true)) });
  }
  const first = resolve(namedRefs(source.x, '', 'x')[0]!.ref);
  return summary(basename(first, extname(first)), xs, ys, source.task);
}

/** An .npy's header checked against its size, its values streamed through `scan`; with `whole`, decoded. */
async function readNpy(
  path: string,
  scan: ((h: NpyHeader) => ((chunk: Uint8Array) => void) | null) | null,
  whole: true,
): Promise<ReturnType<typeof decodeNpy>>;
async function readNpy(path: string, scan: ((h: NpyHeader) => ((chunk: Uint8Array) => void) | null) | null): Promise<NpyHeader>;
async function readNpy(
  path: string,
  scan: ((h: NpyHeader) => ((chunk: Uint8Array) => void) | null) | null,
  whole = false,
): Promise<NpyHeader | ReturnType<typeof decodeNpy>> {
  const { fh, size } = await openFile(path);
  try {
    const header = decodeNpyHeader(await readAt(fh, 0, Math.min(size, NPY_HEADER_BYTES)));
    const needs = header.dataStart + npyDataBytes(header);
    if (needs > size)
      throw new DatasetError(
        `truncated .npy file: shape (${header.shape.join(', ')}) of ${header.dtype} needs ${needs - header.dataStart} bytes, the file has ${Math.max(0, size - header.dataStart)}`,
      );
    if (whole) return decodeNpy(await readAt(fh, 0, needs));
    const consume = scan?.(header);
    if (consume) for (let at = 0; at < needs; at += CHUNK_BYTES) consume(await readAt(fh, at, Math.min(CHUNK_BYTES, needs - at)));
    return header;
  } finally {
    await fh.close();
  }
}

async function inArray<T>(key: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DatasetError) throw new DatasetError(`array '${key}': ${err.message}`);
    throw err;
  }
}

async function inFile<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DatasetError) throw new DatasetError(`${path}: ${err.message}`);
    throw err;
  }
}
