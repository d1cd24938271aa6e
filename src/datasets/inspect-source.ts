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
  isIntegerDtype,
  makeSynthetic,
  type CsvOptions,
  type Dataset,
  type NpyArray,
  type SyntheticSpec,
  type Task,
} from '../core/data/index';
import { isNamed } from './arrays';
import { shapeFromInfo, type DataSourceShape } from './source-shape';
import { inspectNamedNpy, inspectNamedNpz } from './inspect-parts';
import { resolveBuiltin } from './builtins';
import { imageFolderSummary } from './images';
import { csvPlan, fileError, fullLoaders, withPath, type DatasetSource } from './load';
import { npzEntries, openFile, readEntry, scanEntry } from './npz-entries';
import { exactIntegerScan } from './npy-scan';
import { inArray, inFile, npzEntry, npzEntryHeader, readCheckedNpy, type NpyScan } from './checked-reads';

export type { DataSourceShape } from './source-shape';

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
    case 'npy':
      if (isNamed(source)) return source.kind === 'npz' ? inspectNamedNpz(source) : inspectNamedNpy(source);
      return source.kind === 'npz' ? inspectNpz(source) : inspectNpy(source);
    case 'images':
      return imageFolderSummary(source);
    default:
      // The loader owns the message for an unknown kind.
      return shapeOf(await fullLoaders.loadDataset(source));
  }
}

/** A loaded dataset's shape (generated data, or a CSV whose task only a full read decides). */
export function shapeOf(ds: Dataset): DataSourceShape {
  return shapeFromInfo(ds, ds.y);
}

async function inspectCsv({ path, options }: { path: string; options: CsvOptions }): Promise<DataSourceShape> {
  const summarizer = withPath(path, () => createCsvSummarizer(options));
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
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

/**
 * An .npz by its headers, each checked against its entry's size before anything is inflated; then x
 * and y streamed once to check their CRC-32 (and x's integers, which must stay exact as float32),
 * nothing kept but y's labels when they are classes. A corrupt or lying file is refused here, before a
 * run row or a worker exists.
 */
async function inspectNpz(source: Extract<DatasetSource, { kind: 'npz' }>): Promise<DataSourceShape> {
  if (typeof source.path !== 'string' || source.path === '') throw new DatasetError('npz dataset source needs a path');
  const path = resolve(source.path);
  return inFile(path, async () => {
    const { fh, size } = await openFile(path);
    try {
      const entries = await npzEntries(fh, size);
      const entry = (key: string) => npzEntry(entries, key);
      const [xKey, yKey] = [(source.x as string | undefined) ?? 'x', (source.y as string | undefined) ?? 'y'];
      const [xEntry, yEntry] = [entry(xKey), entry(yKey)];
      const x = await npzEntryHeader(fh, xKey, xEntry);
      const yHeader = await npzEntryHeader(fh, yKey, yEntry);
      arraysSummary(x, { ...yHeader, shape: yHeader.shape }, { task: 'regression' }); // rows agree, before any values are read
      let y: Pick<NpyArray, 'dtype' | 'shape'> = yHeader;
      if (needsLabels(yHeader, source.task)) {
        const bytes = await inArray(yKey, () => readEntry(fh, yEntry));
        y = await inArray(yKey, () => decodeNpy(bytes));
      } else await inArray(yKey, () => scanEntry(fh, yEntry, () => undefined));
      const exact = exactIntegerScan(x, 'x');
      await inArray(xKey, () => scanEntry(fh, xEntry, exact ?? (() => undefined)));
      return { name: basename(path, extname(path)), ...arraysSummary(x, y, { task: source.task }) };
    } finally {
      await fh.close();
    }
  });
}

/**
 * Two .npy files by their headers, each checked against its file's size (a truncated file is refused
 * here); y's labels read when they are classes, x's integers streamed to check they stay exact.
 */
async function inspectNpy(source: Extract<DatasetSource, { kind: 'npy' }>): Promise<DataSourceShape> {
  for (const key of ['x', 'y'] as const) {
    if (typeof source[key] !== 'string' || source[key] === '')
      throw new DatasetError(`npy dataset source needs "${key}": a .npy file`);
  }
  const [xPath, yPath] = [resolve(source.x as string), resolve(source.y as string)];
  const header = (path: string, scan: NpyScan | null) => inFile(path, () => readCheckedNpy(path, scan));
  const x = await header(xPath, (h) => exactIntegerScan(h, 'x'));
  let y: Pick<NpyArray, 'dtype' | 'shape'> = await header(yPath, null);
  await inFile(`${xPath}, ${yPath}`, async () => arraysSummary(x, { ...y }, { task: 'regression' }));
  if (needsLabels(y, source.task)) y = await inFile(yPath, () => readCheckedNpy(yPath, null, true));
  const summary = await inFile(`${xPath}, ${yPath}`, async () => arraysSummary(x, y, { task: source.task }));
  return { name: basename(xPath, extname(xPath)), ...summary };
}

/** Class labels must be read (they are one value per example) to count the classes. */
function needsLabels(y: Pick<NpyArray, 'dtype' | 'shape'>, task: Task | undefined): boolean {
  const perRow = y.shape.slice(1).reduce((a, b) => a * b, 1);
  return (task ?? (isIntegerDtype(y.dtype) && perRow === 1 ? 'classification' : 'regression')) === 'classification';
}
