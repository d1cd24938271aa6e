/**
 * Buckets of variables that travel together in one collective over one device group, with their
 * send and receive buffers, allocated once and reused every step. Shared by the reduce side
 * (gradient-exchange.ts: replica groups) and the parameter all-gather (parameter-gather.ts).
 */
import type { ExchangePlan } from '../core/collectives/exchange-plan';
import { sharedFloat32 } from './transport/shared-arrays';

/** Variables sharing one communication group, with their reusable send and receive buffers. */
export interface Bucket {
  group: readonly number[];
  indices: number[];
  memberSizes: number[];
  sendOffsets: number[];
  send: Float32Array;
  all: Float32Array;
}

/**
 * One bucket per distinct `groupOf` (null: the variable takes no part), variables in plan order;
 * a group's variables are split into several buckets, each closed once it holds `capBytes` of full
 * values, so that the first ones can be used while the later ones still travel.
 */
export function groupBuckets(
  plans: ExchangePlan[],
  groupOf: (p: ExchangePlan) => readonly number[] | null,
  sizesOf: (p: ExchangePlan) => number[],
  capBytes = Infinity,
): Bucket[] {
  const groups = new Map<string, number[][]>();
  plans.forEach((p, k) => {
    const g = groupOf(p);
    if (g === null) return;
    const key = g.join(',');
    const lists = groups.get(key) ?? groups.set(key, [[]]).get(key)!;
    let last = lists[lists.length - 1]!;
    if (last.length > 0 && bytes(plans, last) >= capBytes) lists.push((last = []));
    last.push(k);
  });
  return [...groups.values()].flat().map((indices) => {
    const group = groupOf(plans[indices[0]!]!)!;
    const memberSizes = group.map((_, m) => indices.reduce((a, k) => a + sizesOf(plans[k]!)[m]!, 0));
    const me = group.indexOf(plans[indices[0]!]!.deviceId);
    const mySizes = indices.map((k) => sizesOf(plans[k]!)[me]!);
    const sendOffsets = mySizes.map((_, j) => sum(mySizes.slice(0, j)));
    return { group, indices, memberSizes, sendOffsets, send: sharedFloat32(sum(mySizes)), all: sharedFloat32(sum(memberSizes)) };
  });
}

export const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const bytes = (plans: ExchangePlan[], indices: number[]) => 4 * sum(indices.map((k) => size(plans[k]!.globalShape)));
