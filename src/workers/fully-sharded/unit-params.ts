/**
 * The parameters a fully sharded step asks for, unit by unit (core/models/unit-step.ts's hooks): each
 * unit's sharded variables all-gathered into fresh tensors just before it runs, the next unit's
 * gather started at once (prefetch), and the tensors disposed when the unit is done with them. Forward
 * keeps them for backward only for the last unit, or for every unit with reshardAfterForward off.
 * Replicated variables need no gather: host storage uploads the shard (the whole value) into a fresh
 * tensor, tensor storage hands over its tf.Variable.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Collectives } from '../../core/collectives/types';
import type { ExchangePlan } from '../../core/collectives/exchange-plan';
import { memoryOf, writableInPlace } from '../../core/models/deferred-params';
import type { StepUnit } from '../../core/models/units';
import type { UnitPass } from '../../core/models/unit-step';
import type { CopyMeter } from '../../core/metering/copy-meter';
import type { DeviceParams } from '../device-params';
import { UnitGather } from './unit-gather';

/** What the step runs: forward and backward (training) or forward alone (evaluation). */
export type UnitSchedule = 'train' | 'evaluate';

export interface UnitParamsOptions {
  /** Dispose forward's tensors after each unit and gather again in backward (FSDP's reshard_after_forward). */
  reshardAfterForward: boolean;
  /** Time spent waiting for a gather (charged to the step profile's allGather phase). */
  waited?: (ms: number) => void;
  /** The trainer's copy meter (its compute context's): the gathers' packing and the uploads are counted there. */
  copies: CopyMeter;
}

export class UnitParams {
  private readonly gather: UnitGather;
  /** Per unit, the variable indices forward needs (all) and backward needs (Embedding tables left out). */
  private readonly forwardVars: number[][];
  private readonly backwardVars: number[][];
  private readonly indexOf: Map<string, number>;
  private readonly paths: string[];
  /** This pass plan's gathers, in the order the step asks for them, and the next one to ask for. */
  private plan: { unit: number; pass: UnitPass }[] = [];
  private next = 0;
  private schedule: UnitSchedule = 'train';
  private readonly held = new Map<number, Map<string, tf.Tensor>>();
  /** Tensors this class made (disposed on release), by unit. */
  private readonly owned = new Map<number, tf.Tensor[]>();

  constructor(
    private readonly units: StepUnit[],
    private readonly values: DeviceParams,
    plans: ExchangePlan[],
    sparse: ReadonlySet<string>,
    private readonly collectives: Collectives,
    private readonly options: UnitParamsOptions,
  ) {
    this.paths = plans.map((p) => p.path);
    this.indexOf = new Map(this.paths.map((p, k) => [p, k]));
    this.forwardVars = units.map((u) => u.params.map((p) => this.indexOf.get(p)!));
    this.backwardVars = units.map((u) => u.params.filter((p) => !sparse.has(p)).map((p) => this.indexOf.get(p)!));
    this.gather = new UnitGather(plans, [...this.forwardVars, ...this.backwardVars], options.copies);
  }

  /** Bytes of the gather's staging buffers. */
  get stagingBytes(): number {
    return this.gather.stagingBytes;
  }

  /** Starts a step (or an evaluation chunk): plans its gathers and starts the first. */
  begin(schedule: UnitSchedule): void {
    if (this.held.size > 0 || this.gather.inFlight !== null)
      throw new Error('internal: a unit pass began before the last one ended');
    this.schedule = schedule;
    const last = this.units.length - 1;
    const forward = this.units.map((u) => ({ unit: u.index, pass: 'forward' as const }));
    const backward =
      schedule === 'evaluate' ? [] : this.units.map((u) => ({ unit: u.index, pass: 'backward' as const })).reverse();
    this.plan = [...forward, ...backward].filter(({ unit, pass }) => {
      if (pass === 'backward' && (unit === last || !this.options.reshardAfterForward)) return false; // kept from forward
      return this.gather.needsGather(this.setOf(unit, pass));
    });
    this.next = 0;
    this.startNext();
  }

  /** Unit u's parameters for `pass`, as tensors with the full values. */
  async acquire(u: number, pass: UnitPass): Promise<Map<string, tf.Tensor>> {
    const kept = this.held.get(u);
    if (kept) return kept;
    const vars = pass === 'forward' ? this.forwardVars[u]! : this.backwardVars[u]!;
    const out = new Map<string, tf.Tensor>();
    const made: tf.Tensor[] = [];
    const gathered = vars.filter((k) => !this.values.isReplicated(k));
    if (gathered.length > 0) {
      const head = this.plan[this.next];
      if (head?.unit !== u || head.pass !== pass) throw new Error(`internal: unit ${u} (${pass}) asked for out of order`);
      this.next++;
      const tensors = await this.finishInto(this.setOf(u, pass), gathered);
      gathered.forEach((k, i) => (out.set(this.paths[k]!, tensors[i]!), made.push(tensors[i]!)));
      this.startNext(); // prefetch: the next unit travels while this one computes
    }
    for (const k of vars.filter((j) => this.values.isReplicated(j))) {
      const { tensor, owned } = this.values.replicatedTensor(k);
      out.set(this.paths[k]!, tensor);
      if (owned) made.push(tensor);
    }
    this.held.set(u, out);
    this.owned.set(u, made);
    return out;
  }

  /** The pass is done with unit u: its tensors are disposed unless backward will use them again. */
  release(u: number, pass: UnitPass): void {
    const keep =
      this.schedule === 'train' && pass === 'forward' && (u === this.units.length - 1 || !this.options.reshardAfterForward);
    if (keep) return;
    this.held.delete(u);
    for (const t of this.owned.get(u) ?? []) t.dispose();
    this.owned.delete(u);
  }

  /** After a step that failed midway: disposes what is held and waits for a gather in flight. */
  async abandon(): Promise<void> {
    for (const made of this.owned.values()) for (const t of made) t.dispose();
    this.owned.clear();
    this.held.clear();
    await this.gather.settle();
  }

  private setOf(u: number, pass: UnitPass): number {
    return pass === 'forward' ? u : this.units.length + u;
  }

  private startNext(): void {
    const head = this.plan[this.next];
    if (!head || this.gather.inFlight !== null) return;
    this.gather.start(this.setOf(head.unit, head.pass), (k) => this.values.shardOf(k), this.collectives);
  }

  /** Waits for a set's gather and writes it into fresh tensors (never into one a kernel has read). */
  private async finishInto(set: number, vars: number[]): Promise<tf.Tensor[]> {
    if (this.gather.inFlight === null) this.gather.start(set, (k) => this.values.shardOf(k), this.collectives);
    const shapes = vars.map((k) => this.values.shapeOf(k));
    if (writableInPlace()) {
      const tensors = shapes.map((s) => tf.fill([...s], 0, 'float32'));
      const at = new Map(vars.map((k, i) => [k, tensors[i]!]));
      this.options.waited?.(await this.gather.finish(set, (k) => memoryOf(at.get(k)!))); // a view taken right before each write
      tensors.forEach((t) => this.options.copies.count('upload', 4 * t.size));
      return tensors;
    }
    const host = shapes.map((s) => new Float32Array(s.reduce((a, b) => a * b, 1)));
    const at = new Map(vars.map((k, i) => [k, host[i]!]));
    this.options.waited?.(await this.gather.finish(set, (k) => at.get(k)!));
    host.forEach((h) => this.options.copies.count('upload', h.byteLength));
    return host.map((h, i) => tf.tensor(h, [...shapes[i]!], 'float32'));
  }
}
