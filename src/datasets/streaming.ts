/**
 * Whether workers will read a data source's rows from disk per batch (run-rows.ts) or hold it loaded,
 * found from its headers without reading any row: the memory check counts a streamed source as a
 * batch (and, for images, the decoded-image cache), a loaded one as all its rows.
 */
import { resolve } from 'node:path';
import { decodeNpyHeader } from '../core/data/index';
import { UserError } from '../core/errors';
import type { DataSource, RunConfig } from '../shared/api';
import { imageCacheBytes } from './image-rows';
import { npzEntries, openFile, readEntryPrefix } from './npz-entries';
import { datasetSourceOf } from './source';
import { namedRefs } from './arrays';

export interface Streaming {
  streamed: boolean;
  /** Held besides the batch while streaming (the image cache's bound). */
  cacheBytes: number;
}

const HEADER_BYTES = 4096;

/** The training source's way (a held-out source of the same kind goes the same way). */
export async function dataStreaming(data: RunConfig['data']): Promise<Streaming> {
  const { validation: _v, ...rest } = data as RunConfig['data'] & Record<string, unknown>;
  const source = datasetSourceOf(rest as DataSource);
  const loaded = { streamed: false, cacheBytes: 0 };
  try {
    if (source.kind === 'images') return { streamed: true, cacheBytes: imageCacheBytes() };
    // Every input array (one x, or one per named input) must be readable by offset.
    if (source.kind === 'npy') {
      for (const r of namedRefs(source.x, '', 'x')) if (!(await byRows(resolve(r.ref), 0))) return loaded;
      return { streamed: true, cacheBytes: 0 };
    }
    if (source.kind === 'npz') {
      const { fh, size } = await openFile(resolve(source.path));
      try {
        const entries = await npzEntries(fh, size);
        for (const r of namedRefs(source.x, 'x', 'x')) {
          const x = entries.get(r.ref);
          if (!x || x.method !== 0 || !rowsContiguous(await readEntryPrefix(fh, x, HEADER_BYTES))) return loaded;
        }
        return { streamed: true, cacheBytes: 0 };
      } finally {
        await fh.close();
      }
    }
  } catch (e) {
    // An unreadable file or header is the data check's to report (parseRun); anything else is the engine's.
    if (!(e instanceof UserError || isFileError(e))) throw e;
    return loaded;
  }
  return loaded;
}

async function byRows(path: string, at: number): Promise<boolean> {
  const { fh } = await openFile(path);
  try {
    const buf = new Uint8Array(HEADER_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEADER_BYTES, at);
    return rowsContiguous(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** A file system error (ENOENT, EACCES, EISDIR…): the file, not the engine. */
const isFileError = (e: unknown): boolean =>
  typeof (e as { code?: unknown } | null)?.code === 'string' && 'syscall' in (e as object);

/** C order (or one axis): row i sits at one offset. */
function rowsContiguous(headerBytes: Uint8Array): boolean {
  const h = decodeNpyHeader(headerBytes);
  return !h.fortranOrder || h.shape.length < 2;
}
