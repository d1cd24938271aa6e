/**
 * The worker's side of moving shards to and from the coordinator in bounded pieces: a checkpoint of a
 * large model is gigabytes per worker, and Node's IPC refuses a message of 2 GiB or more. An export
 * stages the shards and hands out pieces of them; an import fills fresh arrays piece by piece and
 * yields the records once every element has arrived.
 */
import type { ShardHeader, ShardPiece, ShardRecord } from '../shared/worker-protocol';

type Values = Float32Array | Float64Array;

/** A shard whose values are read (copied) on demand; `length` values of its dtype. */
export type ShardSource = Omit<ShardRecord, 'data'> & { length: number; read(): Values };

const arrayOf = (dtype: ShardRecord['dtype']): ShardHeader['array'] => (dtype === 'float32' ? 'float32' : 'float64');

/**
 * The shards of one export. The coordinator reads them in order, piece by piece; each shard is copied
 * when its first piece is asked for and dropped after its last, so the worker holds one shard's copy
 * at a time, not a second copy of its whole state.
 */
export class ShardExport {
  private current: { shard: number; data: Values; left: number } | undefined;

  constructor(private readonly sources: ShardSource[]) {}

  headers(): ShardHeader[] {
    return this.sources.map(({ read: _read, ...layout }) => ({ ...layout, array: arrayOf(layout.dtype) }));
  }

  read(pieces: ShardPiece[]): Values[] {
    return pieces.map((p) => {
      const out = this.values(p).slice(p.offset, p.offset + p.count);
      this.current!.left -= p.count;
      if (this.current!.left <= 0) this.current = undefined;
      return out;
    });
  }

  private values(p: ShardPiece): Values {
    const source = this.sources[p.shard];
    if (!source) throw new Error(`shard transfer: no shard ${p.shard} in this export (${this.sources.length} staged)`);
    checkRange(p, source.length);
    if (this.current?.shard !== p.shard) {
      const read = source.read();
      const data = arrayOf(source.dtype) === 'float32' || read instanceof Float64Array ? read : Float64Array.from(read);
      if (data.length !== source.length)
        throw new Error(`shard transfer: ${source.path} read ${data.length} values, not ${source.length}`);
      this.current = { shard: p.shard, data, left: source.length };
    }
    return this.current.data;
  }
}

/** The shards of one import, filled piece by piece. */
export class ShardImport {
  private readonly records: ShardRecord[];
  private readonly missing: number[];

  constructor(
    headers: ShardHeader[],
    readonly iterations: number,
  ) {
    this.records = headers.map(({ array, length, ...layout }) => ({
      ...layout,
      data: array === 'float64' ? new Float64Array(length) : new Float32Array(length),
    }));
    this.missing = headers.map((h) => h.length);
  }

  write(pieces: (ShardPiece & { data: Values })[]): void {
    for (const p of pieces) {
      const target = this.records[p.shard]?.data;
      if (!target) throw new Error(`shard transfer: no shard ${p.shard} in this import (${this.records.length} announced)`);
      checkRange(p, target.length);
      if (p.data.length !== p.count) throw new Error(`shard transfer: a piece of ${p.count} values carried ${p.data.length}`);
      target.set(p.data, p.offset);
      this.missing[p.shard]! -= p.count;
    }
  }

  /** Every record, once each of its elements arrived (pieces never overlap: a count that does not reach 0 is a gap). */
  complete(): ShardRecord[] {
    const short = this.missing.findIndex((n) => n !== 0);
    if (short >= 0)
      throw new Error(`shard transfer: shard ${this.records[short]!.path} is missing ${this.missing[short]} values`);
    return this.records;
  }
}

function checkRange(p: ShardPiece, length: number): void {
  if (!(Number.isInteger(p.offset) && Number.isInteger(p.count) && p.offset >= 0 && p.count >= 0 && p.offset + p.count <= length))
    throw new Error(`shard transfer: piece [${p.offset}, +${p.count}) lies outside a shard of ${length} values`);
}
