// Ring collectives over point-to-point links: bandwidth-optimal (each member sends 2(n-1)/n of the data
// for an all-reduce), chunked into pieces so sending, receiving and summing overlap.
import type { AddInto, Collectives, ReduceArray } from './types';
import type { PeerLinks } from './links';
import type { RelayPlan } from './relay';
import { runRelay } from './relay';
import { allGatherPlan, allReducePlan, broadcastPlan, reduceScatterPlan, type PlanShape, type ScratchFn } from './ring-plans';
import { addInto, allocLike, checkArray, checkSizes, groupPosition, offsetsOf, resultBuffer } from './chunking';
import { settled } from '../async/observed';

export interface RingOptions {
  /** Bytes per pipelined piece (default 1 MiB). */
  pieceBytes?: number;
  /** Receives posted ahead of the one being processed (default 4). */
  window?: number;
  /**
   * The reduction add (default: the JS loop). Core stays free of Node: a worker passes the native
   * addon's, about 3x faster on this hot loop; each element is still summed in the same order.
   */
  add?: AddInto;
}

/** The plan of a group of one: nothing to send or receive (still queued, to keep program order). */
const NOTHING: RelayPlan = { initial: [], incoming: [] };

interface Active {
  group: readonly number[];
  abort: (error: Error) => void;
}

/**
 * Collectives for one device over `links`. Operations run one at a time in call order (a second call
 * waits for the first), because every member must put the same messages on each link in the same
 * order. After a transport failure the object is unusable: every later call rejects.
 */
export class RingCollectives implements Collectives {
  readonly deviceId: number;
  readonly deviceIds: readonly number[];
  private readonly pieceBytes: number;
  private readonly window: number;
  private readonly add: AddInto;
  private tail: Promise<unknown> = Promise.resolve();
  private active: Active | undefined;
  private failure: Error | undefined;
  private readonly lost = new Map<number, Error>();
  private readonly unsubscribe: () => void;
  private readonly scratch = new Map<string, ReduceArray>();

  constructor(
    private readonly links: PeerLinks,
    options: RingOptions = {},
  ) {
    this.deviceId = links.deviceId;
    this.deviceIds = [...links.deviceIds].sort((a, b) => a - b);
    this.pieceBytes = Math.max(8, options.pieceBytes ?? 1 << 20);
    this.window = Math.max(1, options.window ?? 4);
    this.add = options.add ?? addInto;
    this.unsubscribe = links.onPeerLost((peer, error) => this.peerLost(peer, error));
  }

  async allReduceSum(data: ReduceArray, group: readonly number[] = this.deviceIds): Promise<void> {
    checkArray(data, 'allReduceSum data');
    const pos = groupPosition(group, this.deviceIds, this.deviceId);
    await this.run(group, () =>
      group.length === 1 ? NOTHING : allReducePlan(data, this.shape(data, pos, group), this.window, this.scratchFor(data)),
    );
  }

  async reduceScatterSum(
    data: ReduceArray,
    chunkSizes: readonly number[],
    group: readonly number[] = this.deviceIds,
    out?: ReduceArray,
  ): Promise<ReduceArray> {
    checkArray(data, 'reduceScatterSum data');
    const pos = groupPosition(group, this.deviceIds, this.deviceId);
    checkSizes(chunkSizes, group.length, data.length);
    const result = resultBuffer(data, chunkSizes[pos]!, out, 'reduceScatterSum');
    await this.run(group, () => {
      if (group.length > 1)
        return reduceScatterPlan(data, chunkSizes, this.shape(data, pos, group), result, this.scratchFor(data));
      result.set(data);
      return NOTHING;
    });
    return result;
  }

  async allGather(
    chunk: ReduceArray,
    chunkSizes: readonly number[],
    group: readonly number[] = this.deviceIds,
    into?: ReduceArray,
  ): Promise<ReduceArray> {
    checkArray(chunk, 'allGather chunk');
    const pos = groupPosition(group, this.deviceIds, this.deviceId);
    checkSizes(chunkSizes, group.length);
    if (chunk.length !== chunkSizes[pos]) {
      throw new RangeError(`allGather: chunk has ${chunk.length} elements, chunkSizes[${pos}] is ${chunkSizes[pos]}`);
    }
    const offs = offsetsOf(chunkSizes);
    const out = resultBuffer(chunk, offs[group.length]!, into, 'allGather');
    await this.run(group, () => {
      out.set(chunk, offs[pos]); // when the operation starts: earlier queued ones may still change `chunk`
      return group.length === 1 ? NOTHING : allGatherPlan(out, chunkSizes, this.shape(chunk, pos, group));
    });
    return out;
  }

  async broadcast(data: ReduceArray, rootDeviceId: number, group: readonly number[] = this.deviceIds): Promise<void> {
    checkArray(data, 'broadcast data');
    const pos = groupPosition(group, this.deviceIds, this.deviceId);
    const rootPos = group.indexOf(rootDeviceId);
    if (rootPos < 0) throw new RangeError(`broadcast root ${rootDeviceId} is not in group [${group.join(', ')}]`);
    await this.run(group, () => (group.length === 1 ? NOTHING : broadcastPlan(data, rootPos, this.shape(data, pos, group))));
  }

  /** Stops listening for peer losses and frees scratch memory (the links belong to the caller). */
  dispose(): void {
    this.unsubscribe();
    this.scratch.clear();
  }

  private shape(data: ReduceArray, r: number, group: readonly number[]): PlanShape {
    return { r, n: group.length, pieceElems: this.pieceElems(data), add: this.add };
  }

  private pieceElems(data: ReduceArray): number {
    return Math.max(1, Math.floor(this.pieceBytes / data.BYTES_PER_ELEMENT));
  }

  /**
   * Scratch buffers kept between operations (which run one at a time): first touches of fresh memory
   * cost page faults, which were slower than the transport itself on the development VM.
   */
  private scratchFor(like: ReduceArray): ScratchFn {
    return (key, length) => {
      const k = `${like.BYTES_PER_ELEMENT}:${key}`;
      let buf = this.scratch.get(k);
      if (!buf || buf.length < length) this.scratch.set(k, (buf = allocLike(like, length)));
      return buf.subarray(0, length);
    };
  }

  /** Queues one operation; runs its plan unless the object failed or a member is already lost. */
  private run(group: readonly number[], makePlan: () => RelayPlan): Promise<void> {
    const op = this.tail.then(() => this.execute(group, makePlan));
    this.tail = settled(op); // the queue goes on after a failed operation; its caller gets the failure from `op`
    return op;
  }

  private async execute(group: readonly number[], makePlan: () => RelayPlan): Promise<void> {
    if (this.failure)
      throw new Error(`device ${this.deviceId}: collectives unusable after an earlier failure: ${this.failure.message}`, {
        cause: this.failure,
      });
    const gone = group.find((d) => this.lost.has(d));
    if (gone !== undefined) throw this.lost.get(gone)!;
    const n = group.length;
    const pos = group.indexOf(this.deviceId);
    let abort: (error: Error) => void = () => {};
    const aborted = new Promise<never>((_, reject) => (abort = reject));
    this.active = { group, abort };
    try {
      await Promise.race([
        runRelay(this.links, group[(pos - 1 + n) % n], group[(pos + 1) % n], makePlan(), this.window),
        aborted,
      ]);
    } catch (e) {
      // Links may still hold receives of the failed operation: later ones would read the wrong bytes.
      this.failure ??= e instanceof Error ? e : new Error(String(e));
      throw e;
    } finally {
      this.active = undefined;
    }
  }

  private peerLost(peer: number, error: Error): void {
    if (!this.lost.has(peer)) this.lost.set(peer, error);
    if (this.active?.group.includes(peer)) this.active.abort(error);
  }
}
