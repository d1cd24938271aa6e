/**
 * In-process collectives: N simulated devices in one thread, for tests and single-process runs.
 *
 * Matching: a member's n-th call on a group meets every other member's n-th call on that group (a
 * "rendezvous"); it completes when all members have arrived, so a member may run ahead and queue its
 * next operation. Sums run once, in ascending device-id order, accumulating in the array's own type
 * (so f32 sums round after every add), and every member gets a copy: results are bit-identical.
 *
 * Errors never hang when detectable:
 * - bad arguments or a mismatch between members (op, dtype, length, chunkSizes, root) reject every
 *   member of that rendezvous; the group stays in step and can be used again;
 * - a malformed group, or two devices calling collectives on shared groups in a different order (the
 *   SPMD contract), marks the devices involved as out of step: their pending and later operations
 *   (and those of every group containing them) reject with the original error.
 * Callers must not touch `data` until its promise settles (as with a real ring).
 */
import type { Collectives, ReduceArray } from './types';
import { resultBuffer } from './chunking';

type Op = 'allReduceSum' | 'reduceScatterSum' | 'allGather' | 'broadcast';

interface Request {
  readonly op: Op;
  readonly data: ReduceArray;
  readonly chunkSizes?: readonly number[];
  readonly root?: number;
}

interface Call extends Request {
  readonly deviceId: number;
  resolve(result: ReduceArray | undefined): void;
  reject(error: Error): void;
}

interface Rendezvous {
  readonly group: readonly number[];
  readonly calls: Call[];
  arrived: number;
  error?: Error;
}

/** What a device announced to one peer, to check both call shared groups in the same order. */
interface PairNote {
  readonly op: Op;
  readonly groupKey: string;
}

/** Creates one `Collectives` per device id (sorted ascending), all connected in this thread. */
export function createLocalCollectives(deviceIds: readonly number[]): Collectives[] {
  const ids = [...deviceIds];
  const sorted = ids.every((id, i) => Number.isInteger(id) && id >= 0 && (i === 0 || id > ids[i - 1]));
  if (ids.length === 0 || !sorted) {
    throw new Error(`createLocalCollectives needs device ids sorted ascending without repeats, got [${ids}].`);
  }
  const hub = new Hub(Object.freeze(ids));
  return ids.map((id) => new LocalCollectives(hub, id));
}

class LocalCollectives implements Collectives {
  readonly deviceIds: readonly number[];

  constructor(
    private readonly hub: Hub,
    readonly deviceId: number,
  ) {
    this.deviceIds = hub.deviceIds;
  }

  async allReduceSum(data: ReduceArray, group?: readonly number[]): Promise<void> {
    await this.hub.submit(this.deviceId, { op: 'allReduceSum', data }, group);
  }

  async reduceScatterSum(data: ReduceArray, chunkSizes: readonly number[], group?: readonly number[], out?: ReduceArray) {
    return intoOut(
      (await this.hub.submit(this.deviceId, { op: 'reduceScatterSum', data, chunkSizes }, group))!,
      out,
      'reduceScatterSum',
    );
  }

  async allGather(chunk: ReduceArray, chunkSizes: readonly number[], group?: readonly number[], out?: ReduceArray) {
    return intoOut(
      (await this.hub.submit(this.deviceId, { op: 'allGather', data: chunk, chunkSizes }, group))!,
      out,
      'allGather',
    );
  }

  async broadcast(data: ReduceArray, rootDeviceId: number, group?: readonly number[]): Promise<void> {
    await this.hub.submit(this.deviceId, { op: 'broadcast', data, root: rootDeviceId }, group);
  }
}

class Hub {
  private readonly rendezvous = new Map<string, Rendezvous>(); // `${groupKey}#${n}`
  private readonly counters = new Map<string, number>(); // `${deviceId}@${groupKey}` → next n
  private readonly pairNotes = new Map<string, PairNote[]>(); // `${from}>${to}` → unmatched notes
  private readonly outOfStep = new Map<number, Error>();

  constructor(readonly deviceIds: readonly number[]) {}

  submit(deviceId: number, request: Request, groupArg?: readonly number[]): Promise<ReduceArray | undefined> {
    return new Promise((resolve, reject) => {
      const call: Call = { ...request, deviceId, resolve, reject };
      const groupError = this.checkGroup(call, groupArg ?? this.deviceIds);
      if (groupError) {
        this.markOutOfStep([deviceId], groupError);
        return reject(groupError);
      }
      const group = [...(groupArg ?? this.deviceIds)]; // our own copy: the caller may reuse its array
      const stale = group.find((id) => this.outOfStep.has(id));
      if (stale !== undefined) {
        return reject(
          failure(
            call,
            group,
            `device ${stale} is out of step after an earlier collective error: ` + this.outOfStep.get(stale)!.message,
          ),
        );
      }
      const groupKey = group.join(',');
      if (!this.notePeers(call, group, groupKey)) return;
      const n = this.counters.get(`${deviceId}@${groupKey}`) ?? 0;
      this.counters.set(`${deviceId}@${groupKey}`, n + 1);
      this.arrive(`${groupKey}#${n}`, group, call);
    });
  }

  private checkGroup(call: Call, group: readonly number[]): Error | undefined {
    if (!Array.isArray(group) || group.length === 0) return failure(call, group, 'the group must be a non-empty array');
    const unknown = group.find((id) => !this.deviceIds.includes(id));
    if (unknown !== undefined) return failure(call, group, `device ${unknown} is not one of [${this.deviceIds}]`);
    if (group.some((id, i) => i > 0 && id <= group[i - 1])) {
      return failure(call, group, 'the group must be sorted ascending without repeats');
    }
    if (!group.includes(call.deviceId)) return failure(call, group, `device ${call.deviceId} is not in the group`);
    return undefined;
  }

  /** Pairs this call with each peer's next call on a shared group; false (and fails) on disorder. */
  private notePeers(call: Call, group: readonly number[], groupKey: string): boolean {
    for (const peer of group) {
      if (peer === call.deviceId) continue;
      const theirs = this.pairNotes.get(`${peer}>${call.deviceId}`);
      const note = theirs?.shift();
      if (!note) {
        const mine = this.pairNotes.get(`${call.deviceId}>${peer}`) ?? [];
        mine.push({ op: call.op, groupKey });
        this.pairNotes.set(`${call.deviceId}>${peer}`, mine);
      } else if (note.groupKey !== groupKey) {
        const error = failure(
          call,
          group,
          `device ${peer} called ${note.op} on group [${note.groupKey}] at this point; devices must call ` +
            'collectives on the groups they share in the same order (SPMD)',
        );
        this.markOutOfStep([call.deviceId, peer], error);
        call.reject(error);
        return false;
      }
    }
    return true;
  }

  private arrive(key: string, group: readonly number[], call: Call): void {
    let rdv = this.rendezvous.get(key);
    if (!rdv) this.rendezvous.set(key, (rdv = { group, calls: [], arrived: 0 }));
    rdv.arrived += 1;
    const problem = rdv.error ? undefined : (checkArguments(call, group) ?? mismatch(rdv.calls[0], call, group));
    if (problem) fail(rdv, problem);
    if (rdv.error) call.reject(rdv.error);
    else rdv.calls.push(call);
    if (rdv.arrived < group.length) return;
    this.rendezvous.delete(key);
    if (!rdv.error) complete(rdv);
  }

  /** Rejects everything pending that involves `devices`, and every later call on their groups. */
  private markOutOfStep(devices: readonly number[], error: Error): void {
    for (const id of devices) if (!this.outOfStep.has(id)) this.outOfStep.set(id, error);
    for (const [key, rdv] of this.rendezvous) {
      if (!rdv.group.some((id) => devices.includes(id))) continue;
      fail(rdv, error);
      this.rendezvous.delete(key); // nobody can arrive any more: groups with these devices are refused
    }
  }
}

function fail(rdv: Rendezvous, error: Error): void {
  rdv.error ??= error;
  for (const call of rdv.calls.splice(0)) call.reject(rdv.error);
}

function failure(call: Call, group: unknown, reason: string): Error {
  const groupText = Array.isArray(group) ? `[${group}]` : String(group);
  return new Error(`Collective ${call.op} on group ${groupText} (device ${call.deviceId}): ${reason}.`);
}

function checkArguments(call: Call, group: readonly number[]): Error | undefined {
  if (!(call.data instanceof Float32Array || call.data instanceof Float64Array)) {
    return failure(call, group, 'data must be a Float32Array or a Float64Array');
  }
  if (call.op === 'broadcast' && !group.includes(call.root as number)) {
    return failure(call, group, `the root device ${call.root} is not in the group`);
  }
  if (call.op !== 'reduceScatterSum' && call.op !== 'allGather') return undefined;
  const sizes = call.chunkSizes;
  if (!Array.isArray(sizes) || sizes.length !== group.length || !sizes.every((s) => Number.isInteger(s) && s >= 0)) {
    return failure(call, group, `chunkSizes must hold ${group.length} non-negative integers, got ${JSON.stringify(sizes)}`);
  }
  const expected = call.op === 'allGather' ? sizes[group.indexOf(call.deviceId)] : sizes.reduce((a, b) => a + b, 0);
  if (call.data.length !== expected) {
    return failure(call, group, `data has ${call.data.length} elements, but chunkSizes [${sizes}] call for ${expected}`);
  }
  return undefined;
}

/** Why `call` cannot join the same operation as `first` (undefined when it can). */
function mismatch(first: Call | undefined, call: Call, group: readonly number[]): Error | undefined {
  if (!first || describe(first) === describe(call)) return undefined;
  return failure(
    call,
    group,
    `members disagree: device ${first.deviceId} called ${describe(first)}, device ${call.deviceId} called ${describe(call)}`,
  );
}

/** The part of a call every member must agree on (allGather chunks differ in length by design). */
function describe(call: Call): string {
  const dtype = call.data instanceof Float64Array ? 'float64' : 'float32';
  const parts = [call.op === 'allGather' ? dtype : `${call.data.length} ${dtype}`];
  if (call.chunkSizes) parts.push(`chunkSizes [${call.chunkSizes}]`);
  if (call.root !== undefined) parts.push(`root ${call.root}`);
  return `${call.op}(${parts.join(', ')})`;
}

function complete(rdv: Rendezvous): void {
  const calls = [...rdv.calls].sort((a, b) => a.deviceId - b.deviceId); // group order
  const op = calls[0].op;
  if (op === 'allReduceSum') {
    const sum = sumInOrder(calls);
    for (const call of calls) call.data.set(sum);
    calls.forEach((call) => call.resolve(undefined));
  } else if (op === 'reduceScatterSum') {
    const sum = sumInOrder(calls);
    let offset = 0;
    calls.forEach((call, i) => {
      const size = call.chunkSizes![i];
      call.resolve(sum.slice(offset, offset + size));
      offset += size;
    });
  } else if (op === 'allGather') {
    const whole = newLike(
      calls[0].data,
      calls[0].chunkSizes!.reduce((a, b) => a + b, 0),
    );
    let offset = 0;
    for (const call of calls) whole.set(call.data, (offset += call.data.length) - call.data.length);
    calls.forEach((call) => call.resolve(whole.slice()));
  } else {
    const source = calls.find((call) => call.deviceId === calls[0].root)!.data.slice();
    for (const call of calls) call.data.set(source);
    calls.forEach((call) => call.resolve(undefined));
  }
}

/** Σ over members in ascending device order, accumulated in the data's own precision. */
function sumInOrder(calls: readonly Call[]): ReduceArray {
  const acc = calls[0].data.slice();
  for (let k = 1; k < calls.length; k++) {
    const data = calls[k].data;
    for (let i = 0; i < acc.length; i++) acc[i] += data[i];
  }
  return acc;
}

function newLike(like: ReduceArray, length: number): ReduceArray {
  return like instanceof Float64Array ? new Float64Array(length) : new Float32Array(length);
}

/** The caller's `out` buffer filled with `result` (checked like the ring's), or `result` itself. */
function intoOut(result: ReduceArray, out: ReduceArray | undefined, what: string): ReduceArray {
  if (!out) return result;
  resultBuffer(result, result.length, out, what).set(result);
  return out;
}
