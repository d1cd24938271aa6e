/**
 * Named `.npy`/`.npz` arrays (`"x": {"numeric": KEY, "body": KEY}`, docs/run-config.md) read by offset
 * as a single x is (streamed-rows.ts): each input's rows are read from its own array, only the rows a
 * batch needs, and placed at the input's place in the packed row (core/data/parts.ts). The targets are
 * read whole (the run's checks and the split need them). An input that cannot be read by offset (a
 * compressed member, Fortran order) makes the source load whole, as before.
 */
import { closeSync, fstatSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import {
  DatasetError,
  decodeNpy,
  decodeNpyHeader,
  featureSize,
  labelsFromParts,
  packedRow,
  rowSource,
  type NamedArray,
  type RowSource,
  type Task,
} from '../core/data/index';
import { namedRefs, type NpySource, type NpzSource } from './arrays';
import { npzEntries, openFile, readEntryPrefix } from './npz-entries';
import {
  HEADER_BYTES,
  checkLength,
  failOpen,
  inFile,
  inFileAsync,
  memberStart,
  openOrFail,
  readAt,
  readFeatureRows,
  readWhole,
  type FeatureFile,
} from './streamed-rows';

interface NamedFile {
  name: string;
  label: string;
  file: FeatureFile;
}

const label = (what: 'x' | 'y', r: { name: string; ref: string }) =>
  r.name ? `${what}.${r.name} ('${r.ref}')` : `${what} ('${r.ref}')`;
const cOrder = (f: FeatureFile) => !(f.header.fortranOrder && f.header.shape.length > 1);

/** Named .npy files streamed, or null when an input is in Fortran order. */
export function streamNamedNpy(source: NpySource): RowSource | null {
  const fds: number[] = [];
  try {
    const inputs: NamedFile[] = namedRefs(source.x, '', 'x').map((r) => {
      const path = resolve(r.ref);
      const fd = openOrFail(path);
      fds.push(fd);
      const header = inFile(path, () => decodeNpyHeader(readAt(fd, 0, HEADER_BYTES)));
      return { name: r.name, label: label('x', r), file: { fd, path, header, dataStart: header.dataStart } };
    });
    if (!inputs.every((i) => cOrder(i.file))) return closeAll(fds);
    for (const i of inputs) checkLength(i.file, fstatSync(i.file.fd).size);
    const targets = namedRefs(source.y, '', 'y').map((r) => {
      const path = resolve(r.ref);
      return { name: r.name, label: label('y', r), array: inFile(path, () => decodeNpy(readWhole(path))) };
    });
    const first = inputs[0]!.file.path;
    return namedRows(
      basename(first, extname(first)),
      inputs,
      targets,
      source.task,
      fds,
      inputs.map((i) => i.file.path).join(', '),
    );
  } catch (e) {
    closeAll(fds);
    throw e;
  }
}

/** An .npz's named arrays streamed, or null when an input member is compressed or in Fortran order. */
export async function streamNamedNpz(source: NpzSource): Promise<RowSource | null> {
  const path = resolve(source.path);
  const { fh, size } = await openFile(path).catch((e: unknown) => failOpen(path, e));
  try {
    const entries = await inFileAsync(path, () => npzEntries(fh, size));
    const pick = (key: string) => {
      const e = entries.get(key);
      if (!e) throw new DatasetError(`${path}: no array '${key}' (it has: ${[...entries.keys()].join(', ') || 'none'})`);
      return e;
    };
    const xs = namedRefs(source.x, 'x', 'x').map((r) => ({ r, entry: pick(r.ref) }));
    if (xs.some((x) => x.entry.method !== 0)) return null;
    const headers = xs.map(({ r, entry }) => {
      const member = inFile(path, () => memberStart(fh.fd, entry.localOffset, entry.key));
      const header = inFile(path, () => decodeNpyHeader(readAt(fh.fd, member, HEADER_BYTES)));
      return { r, entry, member, header };
    });
    if (headers.some((h) => h.header.fortranOrder && h.header.shape.length > 1)) return null;
    const targets: NamedArray[] = [];
    for (const r of namedRefs(source.y, 'y', 'y')) {
      const entry = pick(r.ref);
      targets.push({
        name: r.name,
        label: label('y', r),
        array: await inFileAsync(path, async () => decodeNpy(await readEntryPrefix(fh, entry, Infinity))),
      });
    }
    const fd = openOrFail(path);
    try {
      const inputs = headers.map(({ r, entry, member, header }) => {
        const file = { fd, path, header, dataStart: member + header.dataStart };
        checkLength(file, member + entry.compressedSize);
        return { name: r.name, label: label('x', r), file };
      });
      return namedRows(basename(path, extname(path)), inputs, targets, source.task, [fd], path);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  } finally {
    await fh.close();
  }
}

/** The rows: each input read by offset into its place in the packed row; the targets at hand. */
function namedRows(
  name: string,
  inputs: NamedFile[],
  targets: NamedArray[],
  task: Task | undefined,
  fds: number[],
  where: string,
): RowSource {
  const headers = inputs.map((i) => ({ name: i.name, label: i.label, array: i.file.header }));
  const { info, labels } = inFile(where, () => labelsFromParts(name, headers, targets, { task }));
  const places = packedRow(headers);
  const width = featureSize(info);
  const rows = rowSource(info, labels, (indices, out) => {
    for (const input of inputs) {
      const { offset, width: w } = places.get(input.name)!;
      readFeatureRows(input.file, w, indices, input.file.path, (values, r, count) => {
        for (let j = 0; j < count; j++) out.set(values.subarray(j * w, (j + 1) * w), (r + j) * width + offset);
      });
    }
  });
  let open = true;
  const close = () => {
    if (open) closeAll(fds);
    open = false;
  };
  return { ...rows, close };
}

function closeAll(fds: number[]): null {
  for (const fd of fds) closeSync(fd);
  fds.length = 0;
  return null;
}
