/**
 * What validation needs to know about a data source (examples, feature shape, task, classes, x's
 * dtype), read without loading it: a CSV is streamed and counted (no values kept), an .npz/.npy gives
 * x's header only (and y, which is one value per example, for the class count), an image folder is
 * listed, not decoded. Generated sources are small and are generated.
 */
import { createReadStream } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import {
  DatasetError,
  arraysSummary,
  createCsvSummarizer,
  decodeNpy,
  decodeNpyHeader,
  isIntegerDtype,
  makeSynthetic,
  type CsvOptions,
  type Dataset,
  type CsvSummary,
  type NpyArray,
  type SyntheticSpec,
  type Task,
} from '../core/data/index';
import { resolveBuiltin } from './builtins';
import { imageFolderSummary } from './images';
import { csvPlan, fileError, fullLoaders, withPath, type DatasetSource } from './load';
import { npzEntries, openFile, readEntryPrefix } from './npz-entries';

export interface DataSourceShape extends CsvSummary {
  /** The dtype of x in an .npz/.npy (integer ids for an Embedding stay integers). */
  xDtype?: string;
}

/** Bytes read for a .npy header: numpy pads headers to 64 bytes; big shapes still fit in 4 KiB. */
const HEADER_BYTES = 4096;
const CHUNK_BYTES = 1 << 20;

export async function inspectDataSource(source: DatasetSource): Promise<DataSourceShape> {
  if (source === null || typeof source !== 'object') throw new DatasetError('dataset source must be an object');
  switch (source.kind) {
    case 'csv':
      return inspectCsv(csvPlan(source));
    case 'builtin': {
      const b = resolveBuiltin(source.name);
      return 'synthetic' in b ? shapeOf(makeSynthetic({ name: b.synthetic })) : inspectCsv({ path: b.file, options: b.csv });
    }
    case 'synthetic': {
      const { kind: _kind, ...spec } = source;
      return shapeOf(makeSynthetic(spec as SyntheticSpec));
    }
    case 'npz':
      return inspectNpz(source);
    case 'npy':
      return inspectNpy(source);
    case 'images':
      return imageFolderSummary(source);
    default:
      // The loader owns the message for an unknown kind.
      return shapeOf(await fullLoaders.loadDataset(source));
  }
}

/** A loaded dataset's shape (generated data, or a CSV whose task only a full read decides). */
export function shapeOf(ds: Dataset): DataSourceShape {
  const base = {
    name: ds.name,
    examples: ds.numExamples,
    featureShape: [...ds.featureShape],
    task: ds.task,
    ...(ds.xDtype ? { xDtype: ds.xDtype } : {}),
  };
  if (ds.task !== 'classification') return { ...base, targetDim: ds.targetDim ?? 1 };
  const classCounts = new Array<number>(ds.numClasses ?? 0).fill(0);
  for (let i = 0; i < ds.y.length; i++) classCounts[ds.y[i]!]!++;
  return { ...base, numClasses: ds.numClasses, ...(ds.classNames ? { classNames: ds.classNames } : {}), classCounts };
}

async function inspectCsv({ path, options }: { path: string; options: CsvOptions }): Promise<DataSourceShape> {
  const summarizer = withPath(path, () => createCsvSummarizer(options));
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: CHUNK_BYTES });
  try {
    for await (const chunk of stream) withPath(path, () => summarizer.push(chunk as string));
  } catch (err) {
    stream.destroy();
    if (err instanceof DatasetError) throw err;
    throw fileError(path, err);
  }
  const summary = withPath(path, () => summarizer.finish());
  // Numeric labels that looked like regression, then a text label: rare enough to read it whole.
  return summary ?? shapeOf(await fullLoaders.loadDataset({ kind: 'csv', path, ...options }));
}

async function inspectNpz(source: Extract<DatasetSource, { kind: 'npz' }>): Promise<DataSourceShape> {
  if (typeof source.path !== 'string' || source.path === '') throw new DatasetError('npz dataset source needs a path');
  const path = resolve(source.path);
  return inFile(path, async () => {
    const { fh, size } = await openOrFail(path);
    try {
      const entries = await npzEntries(fh, size);
      const read = async (key: string, whole: boolean) => {
        const e = entries.get(key);
        if (!e) throw new DatasetError(`no array '${key}' (it has: ${[...entries.keys()].join(', ') || 'none'})`);
        const bytes = await readEntryPrefix(fh, e, whole ? Infinity : HEADER_BYTES);
        return inArray(key, () => (whole ? decodeNpy(bytes) : decodeNpyHeader(bytes)));
      };
      const x = await read(source.x ?? 'x', false);
      let y = await read(source.y ?? 'y', false);
      if (needsLabels(y, source.task)) y = await read(source.y ?? 'y', true);
      return { name: basename(path, extname(path)), ...arraysSummary(x, y, { task: source.task }) };
    } finally {
      await fh.close();
    }
  });
}

async function inspectNpy(source: Extract<DatasetSource, { kind: 'npy' }>): Promise<DataSourceShape> {
  for (const key of ['x', 'y'] as const) {
    if (typeof source[key] !== 'string' || source[key] === '')
      throw new DatasetError(`npy dataset source needs "${key}": a .npy file`);
  }
  const [xPath, yPath] = [resolve(source.x), resolve(source.y)];
  const read = (path: string, whole: boolean) =>
    inFile(path, async () => {
      const { fh, size } = await openOrFail(path);
      try {
        const buf = new Uint8Array(whole ? size : Math.min(size, HEADER_BYTES));
        await fh.read(buf, 0, buf.length, 0);
        return whole ? decodeNpy(buf) : decodeNpyHeader(buf);
      } finally {
        await fh.close();
      }
    });
  const x = await read(xPath, false);
  let y: Pick<NpyArray, 'dtype' | 'shape'> = await read(yPath, false);
  if (needsLabels(y, source.task)) y = await read(yPath, true);
  const summary = await inFile(`${xPath}, ${yPath}`, async () => arraysSummary(x, y, { task: source.task }));
  return { name: basename(xPath, extname(xPath)), ...summary };
}

/** Class labels must be read (they are one value per example) to count the classes. */
function needsLabels(y: Pick<NpyArray, 'dtype' | 'shape'>, task: Task | undefined): boolean {
  const perRow = y.shape.slice(1).reduce((a, b) => a * b, 1);
  return (task ?? (isIntegerDtype(y.dtype) && perRow === 1 ? 'classification' : 'regression')) === 'classification';
}

async function openOrFail(path: string) {
  try {
    const opened = await openFile(path);
    if ((await opened.fh.stat()).isDirectory()) {
      await opened.fh.close();
      throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    }
    return opened;
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new DatasetError(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message);
  }
}

function inArray<T>(key: string, fn: () => T): T {
  try {
    return fn();
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
