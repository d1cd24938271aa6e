/**
 * Writes resources/datasets/shapes-png: the synthetic-shapes generator's 8×8 grey images, drawn 2×
 * larger (16×16, nearest) as PNG files in one folder per class — a small image folder made here, not
 * downloaded, for the `"kind": "images"` example in docs/run-config.md. Run: node --import tsx scripts/make-shapes-png.ts
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { makeShapes } from '../src/core/data/shapes';

const out = join(import.meta.dirname, '..', 'resources', 'datasets', 'shapes-png');
const ds = makeShapes({ samplesPerClass: 12, seed: 3 });
rmSync(out, { recursive: true, force: true });
const counts = new Map<number, number>();
for (let i = 0; i < ds.numExamples; i++) {
  const label = ds.y[i]!;
  const dir = join(out, ds.classNames![label]!);
  mkdirSync(dir, { recursive: true });
  const png = new PNG({ width: 16, height: 16, colorType: 0 });
  for (let y = 0; y < 16; y++) {
    for (let x = 0; x < 16; x++) {
      const v = Math.round(255 * Math.min(1, Math.max(0, ds.x[i * 64 + (y >> 1) * 8 + (x >> 1)]!)));
      png.data.set([v, v, v, 255], 4 * (y * 16 + x));
    }
  }
  const n = counts.get(label) ?? 0;
  counts.set(label, n + 1);
  writeFileSync(join(dir, `${String(n).padStart(2, '0')}.png`), PNG.sync.write(png, { colorType: 0 }));
}
console.log(`wrote ${ds.numExamples} images in ${counts.size} class folders to ${out}`);
