// Relay plans of the ring algorithms for the member at position `r` of a group of `n` (n >= 2).
// Ring order is the group order; `next` is r + 1, `prev` is r - 1 (mod n).
//
// Reduce-scatter step t (0..n-2): send chunk (r - t - 1), receive chunk (r - t - 2), add the local
// part and pass it on at step t + 1. Chunk c is therefore summed in one fixed order (starting at
// member c + 1, ending at member c, which then owns it) whatever member runs the code, and the
// all-gather only copies the finished sums: every member ends with bit-identical results.
import type { AddInto, ReduceArray } from './types';
import type { Incoming, RelayPlan } from './relay';
import { balancedSizes, mod, offsetsOf, piecesOf } from './chunking';

/** Member position r in a group of n; pieces of `pieceElems` elements; `add` does dst += src. */
export interface PlanShape {
  r: number;
  n: number;
  pieceElems: number;
  add: AddInto;
}

/** Scratch memory of the data's type, reused across operations: `key` names the buffer. */
export type ScratchFn = (key: string, length: number) => ReduceArray;

/** In place: reduce-scatter over balanced chunks, then all-gather of the finished chunks. */
export function allReducePlan(data: ReduceArray, s: PlanShape, window: number, scratch: ScratchFn): RelayPlan {
  const { r, n, pieceElems, add } = s;
  const sizes = balancedSizes(data.length, n);
  const offs = offsetsOf(sizes);
  const pieces = (k: number) => piecesOf(offs[k], sizes[k], pieceElems);
  const view = (p: { start: number; end: number }) => data.subarray(p.start, p.end);
  const initial = pieces(mod(r - 1, n)).map(view);
  const poolLen = Math.min(pieceElems, sizes[0]);
  const pool = Array.from({ length: window }, (_, i) => scratch(`pool${i}`, poolLen));
  const incoming: Incoming[] = [];
  const last = 2 * n - 3;
  for (let t = 0; t <= last; t++) {
    const forward = t < last;
    for (const p of pieces(mod(r - t - 2, n))) {
      const local = view(p);
      if (t < n - 1) {
        // Scratch slot i % window is reused only after piece i was added (the window bounds look-ahead).
        const into = pool[incoming.length % pool.length].subarray(0, p.end - p.start);
        incoming.push({ into, then: () => (add(local, into), forward ? local : null) });
      } else {
        incoming.push({ into: local, then: () => (forward ? local : null) });
      }
    }
  }
  return { initial, incoming };
}

/**
 * Reduce-scatter into `result` (member r's chunk). Partial sums of non-final steps live in two
 * alternating scratch buffers: step t reuses the memory of step t - 2 once its forward was sent.
 */
export function reduceScatterPlan(
  data: ReduceArray,
  sizes: readonly number[],
  s: PlanShape,
  result: ReduceArray,
  scratch: ScratchFn,
): RelayPlan {
  const { r, n, pieceElems, add } = s;
  const offs = offsetsOf(sizes);
  const initial = piecesOf(offs[mod(r - 1, n)], sizes[mod(r - 1, n)], pieceElems).map((p) => data.subarray(p.start, p.end));
  let scratchLen = 0;
  for (let t = 0; t < n - 2; t++) scratchLen = Math.max(scratchLen, sizes[mod(r - t - 2, n)]);
  const partials = scratchLen > 0 ? [scratch('partial0', scratchLen), scratch('partial1', scratchLen)] : [];
  const lastUser = new Map<string, number>();
  const incoming: Incoming[] = [];
  for (let t = 0; t <= n - 2; t++) {
    const k = mod(r - t - 2, n);
    const final = t === n - 2;
    for (const p of piecesOf(0, sizes[k], pieceElems)) {
      const local = data.subarray(offs[k] + p.start, offs[k] + p.end);
      const into = (final ? result : partials[t % 2]).subarray(p.start, p.end);
      const key = `${t % 2}:${p.start}`;
      const reuses = final ? undefined : lastUser.get(key);
      if (!final) lastUser.set(key, incoming.length);
      incoming.push({ into, reuses, then: () => (add(into, local), final ? null : into) });
    }
  }
  return { initial, incoming };
}

/** All-gather into `out`, which already holds this member's chunk at its offset. */
export function allGatherPlan(out: ReduceArray, sizes: readonly number[], s: PlanShape): RelayPlan {
  const { r, n, pieceElems } = s;
  const offs = offsetsOf(sizes);
  const pieces = (k: number) => piecesOf(offs[k], sizes[k], pieceElems);
  const initial = pieces(r).map((p) => out.subarray(p.start, p.end));
  const incoming: Incoming[] = [];
  for (let t = 0; t <= n - 2; t++) {
    const forward = t < n - 2;
    for (const p of pieces(mod(r - t - 1, n))) {
      const into = out.subarray(p.start, p.end);
      incoming.push({ into, then: () => (forward ? into : null) });
    }
  }
  return { initial, incoming };
}

/** Pipelined chain root → root+1 → … → root-1 along the ring; the last member does not forward. */
export function broadcastPlan(data: ReduceArray, rootPos: number, s: PlanShape): RelayPlan {
  const { r, n, pieceElems } = s;
  const views = piecesOf(0, data.length, pieceElems).map((p) => data.subarray(p.start, p.end));
  const d = mod(r - rootPos, n);
  if (d === 0) return { initial: views, incoming: [] };
  const forward = d < n - 1;
  return { initial: [], incoming: views.map((into) => ({ into, then: () => (forward ? into : null) })) };
}
