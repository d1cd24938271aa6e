/**
 * A step's sparse (Embedding) gradients across devices. Each device holds one row of gradient per id
 * of its batch slice; every device receives all devices' ids and rows, concatenated in device order.
 * That is the very list one device would hold for the whole batch (slices are contiguous, in device
 * order), so the optimizer's de-duplication sums repeated ids in the same order and N devices give the
 * bits of one. Exchanging a dense table-sized sum instead would add partial sums in another order, and
 * cost the whole table per step; this costs only the rows touched. Row sharding needs nothing more:
 * the optimizer keeps the rows of each device's shard.
 */
import type { Collectives } from '../core/collectives/types';
import type { HostSparse } from '../core/optimizers/indexed-slices';

/** All devices' sparse gradients, per parameter in `paths` order (three collectives for all of them). */
export async function allGatherSparse(local: HostSparse[], c: Collectives): Promise<HostSparse[]> {
  const n = c.deviceIds.length;
  if (n === 1 || local.length === 0) return local;
  const counts = (await c.allGather(
    Float64Array.from(local, (s) => s.rows.length),
    c.deviceIds.map(() => local.length),
  )) as Float64Array;
  const countOf = (device: number, k: number) => counts[device * local.length + k]!;
  const rowTotals = c.deviceIds.map((_, d) => local.reduce((a, _s, k) => a + countOf(d, k), 0));
  const valueTotals = c.deviceIds.map((_, d) => local.reduce((a, s, k) => a + countOf(d, k) * s.rowSize, 0));
  const me = c.deviceIds.indexOf(c.deviceId);
  const myRows = new Float64Array(rowTotals[me]!);
  const myValues = new Float32Array(valueTotals[me]!);
  let r = 0;
  let v = 0;
  for (const s of local) {
    myRows.set(s.rows, r);
    myValues.set(s.values, v);
    r += s.rows.length;
    v += s.values.length;
  }
  const rows = (await c.allGather(myRows, rowTotals)) as Float64Array;
  const values = (await c.allGather(myValues, valueTotals)) as Float32Array;
  // Device-major in the gathered arrays; regroup per parameter, devices in order.
  const out = local.map((s, k) => {
    const total = c.deviceIds.reduce((a, _d, d) => a + countOf(d, k), 0);
    return { rows: new Int32Array(total), values: new Float32Array(total * s.rowSize), rowSize: s.rowSize, at: 0 };
  });
  let ri = 0;
  let vi = 0;
  c.deviceIds.forEach((_d, d) =>
    local.forEach((s, k) => {
      const m = countOf(d, k);
      const o = out[k]!;
      o.rows.set(rows.subarray(ri, ri + m), o.at);
      o.values.set(values.subarray(vi, vi + m * s.rowSize), o.at * s.rowSize);
      o.at += m;
      ri += m;
      vi += m * s.rowSize;
    }),
  );
  return out.map(({ rows: rr, values: vv, rowSize }) => ({ rows: rr, values: vv, rowSize }));
}
