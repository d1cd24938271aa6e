/**
 * Named `.npy`/`.npz` arrays (`"x": {"numeric": KEY, …}`) inspected as inspect-source.ts inspects one x
 * and y: each input by its header, checked against its size and streamed once for its CRC-32 and its
 * integers (which must stay exact as float32), nothing kept; the targets read whole (their labels are
 * checked against the model's outputs). Nothing of the inputs is loaded, as workers stream them.
 */
import { basename, extname, resolve } from 'node:path';
import { decodeNpy, labelsFromParts, type NamedArray, type NamedHeader } from '../core/data/index';
import { namedRefs, type NpySource, type NpzSource } from './arrays';
import { inArray, inFile, npzEntry, npzEntryHeader, readCheckedNpy } from './checked-reads';
import { npzEntries, openFile, readEntry, scanEntry } from './npz-entries';
import { exactIntegerScan } from './npy-scan';
import { shapeFromInfo, type DataSourceShape } from './source-shape';

const label = (what: 'x' | 'y', r: { name: string; ref: string }) =>
  r.name ? `${what}.${r.name} ('${r.ref}')` : `${what} ('${r.ref}')`;

/** The shape a run's check needs, from the inputs' headers and the targets' values. */
function summary(name: string, xs: NamedHeader[], ys: NamedArray[], task: NpySource['task']): DataSourceShape {
  const { info, labels } = labelsFromParts(name, xs, ys, { task });
  return shapeFromInfo(info, labels);
}

export async function inspectNamedNpz(source: NpzSource): Promise<DataSourceShape> {
  const path = resolve(source.path);
  return inFile(path, async () => {
    const { fh, size } = await openFile(path);
    try {
      const entries = await npzEntries(fh, size);
      const entry = (key: string) => npzEntry(entries, key);
      const xs: NamedHeader[] = [];
      for (const r of namedRefs(source.x, 'x', 'x')) {
        const e = entry(r.ref);
        const header = await npzEntryHeader(fh, r.ref, e);
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
    const header = await inFile(path, () => readCheckedNpy(path, (h) => exactIntegerScan(h, label('x', r))));
    xs.push({ name: r.name, label: label('x', r), array: header });
  }
  const ys: NamedArray[] = [];
  for (const r of namedRefs(source.y, '', 'y')) {
    const path = resolve(r.ref);
    ys.push({ name: r.name, label: label('y', r), array: await inFile(path, () => readCheckedNpy(path, null, true)) });
  }
  const first = resolve(namedRefs(source.x, '', 'x')[0]!.ref);
  return summary(basename(first, extname(first)), xs, ys, source.task);
}
