/**
 * What a data source holds, for the New-run form's preview, reading only what that needs: an image
 * folder is counted (class subfolders and their files), not decoded; other sources are inspected
 * (inspectDataSource: a CSV streamed and counted, array files by their headers), not loaded.
 */
import { readdir } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { DataSource, DataSourceSummary } from '../shared/api';
import { DatasetError } from '../core/data/index';
import { IMAGE_EXTENSIONS } from './image-decode';
import { inspectDataSource } from './inspect-source';
import { dataSourceIssues, datasetSourceOf } from './source';

export async function describeDataSource(source: DataSource): Promise<DataSourceSummary> {
  // A source that is not one (no kind, a typo in a key) is the caller's input, said as a run's validation says it.
  const issues = dataSourceIssues(source);
  if (issues.length > 0) throw new DatasetError(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  if (source.kind === 'images') return describeImageFolder(source);
  const { examples, featureShape, task, classNames, classCounts, targetDim } = await inspectDataSource(datasetSourceOf(source));
  const classes =
    task === 'classification' && classCounts
      ? classCounts.map((count, k) => ({ name: classNames?.[k] ?? String(k), count }))
      : undefined;
  return {
    unit: 'rows',
    examples,
    featureShape,
    task,
    ...(classes ? { classes } : {}),
    ...(targetDim !== undefined ? { targetDim } : {}),
  };
}

async function describeImageFolder(source: Extract<DataSource, { kind: 'images' }>): Promise<DataSourceSummary> {
  const dir = resolve(String(source.path ?? ''));
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    throw new DatasetError(`cannot read image folder ${dir}: ${err.code === 'ENOENT' ? 'no such folder' : err.message}`);
  });
  // Class folders sorted by name: the label order the loader (and Keras) uses.
  const names = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  if (names.length === 0) throw new DatasetError(`image folder ${dir} has no class subfolders`);
  const classes = await Promise.all(
    names.map(async (name) => {
      const files = await readdir(join(dir, name), { recursive: true });
      return { name, count: files.filter((f) => IMAGE_EXTENSIONS.includes(extname(String(f)).toLowerCase())).length };
    }),
  );
  const [height, width] = source.size;
  return {
    unit: 'images',
    examples: classes.reduce((n, c) => n + c.count, 0),
    featureShape: [height, width, source.channels],
    task: 'classification',
    classes,
  };
}
