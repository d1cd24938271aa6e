/**
 * Shards between the coordinator and one worker in bounded calls. Node's IPC refuses a message of
 * 2 GiB or more (a 13500-unit MLP's shards and slots are 2.2 GB on one worker), so values travel in
 * pieces of at most `chunkBytes` per call; many small shards share one call, a big one is cut.
 */
import type * as Comlink from 'comlink';
import {
  TRANSFER_CHUNK_BYTES,
  type ShardHeader,
  type ShardPiece,
  type ShardRecord,
  type WorkerApi,
} from '../../shared/worker-protocol';

export { TRANSFER_CHUNK_BYTES };

type Values = Float32Array | Float64Array;
type Call = <T>(fn: (api: Comlink.Remote<WorkerApi>) => Promise<T>) => Promise<T>;

const elementBytes = (h: Pick<ShardHeader, 'array'>) => (h.array === 'float64' ? 8 : 4);

/**
 * The calls that move every element of these shards once, in order, each call carrying at most
 * `chunkBytes` of values (or a single element, when one is larger).
 */
export function planPieces(shards: Pick<ShardHeader, 'array' | 'length'>[], chunkBytes: number): ShardPiece[][] {
  const calls: ShardPiece[][] = [];
  let current: ShardPiece[] = [];
  let room = chunkBytes;
  shards.forEach((h, shard) => {
    const size = elementBytes(h);
    for (let offset = 0; offset < h.length;) {
      let count = Math.min(h.length - offset, Math.floor(room / size));
      if (count === 0 && current.length > 0) {
        calls.push(current);
        [current, room] = [[], chunkBytes];
        continue;
      }
      count = Math.max(count, 1);
      current.push({ shard, offset, count });
      room -= count * size;
      offset += count;
    }
  });
  if (current.length > 0) calls.push(current);
  return calls;
}

/** This worker's primary shards, their values pulled in bounded calls. */
export async function pullShards(call: Call, chunkBytes: number): Promise<ShardRecord[]> {
  const headers = await call((api) => api.exportShards());
  try {
    const records = headers.map(({ array, length, ...layout }) => ({
      ...layout,
      data: array === 'float64' ? new Float64Array(length) : new Float32Array(length),
    }));
    for (const pieces of planPieces(headers, chunkBytes)) {
      const values = await call((api) => api.readShardPieces(pieces));
      pieces.forEach((p, i) => records[p.shard]!.data.set(values[i]!, p.offset));
    }
    return records;
  } finally {
    await call((api) => api.endShardExport()).catch(() => undefined); // a dead worker frees its copy anyway
  }
}

/** Replaces the worker's state with these shards, their values pushed in bounded calls. */
export async function pushShards(call: Call, records: ShardRecord[], iterations: number, chunkBytes: number): Promise<void> {
  const headers: ShardHeader[] = records.map(({ data, ...layout }) => ({
    ...layout,
    array: data instanceof Float64Array ? 'float64' : 'float32',
    length: data.length,
  }));
  await call((api) => api.beginShardImport(headers, iterations));
  for (const pieces of planPieces(headers, chunkBytes)) {
    const withData = pieces.map((p) => ({ ...p, data: slice(records[p.shard]!.data, p) }));
    await call((api) => api.writeShardPieces(withData));
  }
  await call((api) => api.commitShardImport());
}

/** The piece's values as their own array (a view would send its whole buffer through the channel). */
function slice(data: Values, p: ShardPiece): Values {
  return data.slice(p.offset, p.offset + p.count);
}
