/**
 * Per-device history as chart columns: one x (the union of sampled steps, with its time) and one
 * column per device, NaN where a device has no sample at that step (pure: unit-tested without a DOM).
 */
import type { DeviceHistoryPoint } from '../../../../shared/api';

export type DeviceFigure = 'stepTimeMs' | 'samplesPerSec' | 'rssBytes' | 'peakRssBytes';

export interface DeviceColumns {
  deviceIds: number[];
  steps: Float64Array;
  times: Float64Array;
  /** [figure][device index] → column aligned with `steps`. */
  columns: Record<DeviceFigure, Float64Array[]>;
}

const FIGURES: DeviceFigure[] = ['stepTimeMs', 'samplesPerSec', 'rssBytes', 'peakRssBytes'];

export function deviceColumns(points: readonly DeviceHistoryPoint[]): DeviceColumns {
  const deviceIds = [...new Set(points.map((p) => p.deviceId))].sort((a, b) => a - b);
  const stepList = [...new Set(points.map((p) => p.step))].sort((a, b) => a - b);
  const at = new Map(stepList.map((s, i) => [s, i]));
  const times = new Float64Array(stepList.length).fill(NaN);
  const columns = Object.fromEntries(
    FIGURES.map((f) => [f, deviceIds.map(() => new Float64Array(stepList.length).fill(NaN))]),
  ) as Record<DeviceFigure, Float64Array[]>;
  for (const p of points) {
    const i = at.get(p.step)!;
    const d = deviceIds.indexOf(p.deviceId);
    if (Number.isNaN(times[i]!) || p.time < times[i]!) times[i] = p.time;
    for (const f of FIGURES) columns[f][d]![i] = p[f];
  }
  return { deviceIds, steps: Float64Array.from(stepList), times, columns };
}
