// The CLI's progress lines off a terminal (a log file, CI): one line per step printed, an evaluation
// step printed once with its own figures, and an ETA from the wall time per step so far.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressBar } from '../../src/cli/progress';
import type { MetricPoint } from '../../src/shared/api';

function sink(): NodeJS.WriteStream & { lines: () => string[] } {
  let text = '';
  return {
    isTTY: false,
    write: (s: string) => ((text += s), true),
    lines: () => text.split('\n').filter(Boolean),
  } as unknown as NodeJS.WriteStream & { lines: () => string[] };
}
const point = (step: number, metrics: Record<string, number> = {}): MetricPoint => ({
  step,
  loss: 1 / step,
  metrics,
  learningRate: 1,
  gradNorm: 1,
  stepTimeMs: 10,
  samplesPerSec: 100,
  time: 0,
});

test('an evaluation step is printed once, with its own val_* figures, not first with the previous ones', () => {
  const out = sink();
  let now = 0;
  const bar = new ProgressBar(20, out, { awaitsValidation: (s) => s % 10 === 0, now: () => now });
  for (let step = 1; step <= 20; step++) {
    now += 1000;
    bar.update(point(step));
    if (step % 10 === 0) bar.update(point(step, { val_loss: step / 100 })); // the evaluation, merged into the step's point
  }
  bar.done('run x completed at step 20');
  const lines = out.lines();
  const steps = lines.filter((l) => l.startsWith('step ')).map((l) => Number(/^step (\d+)\//.exec(l)![1]));
  assert.deepEqual(steps, [...new Set(steps)], `no step twice: ${steps}`);
  assert.match(
    lines.find((l) => l.startsWith('step 10/'))!,
    /val_loss 0\.1000/,
  );
  assert.match(
    lines.find((l) => l.startsWith('step 20/'))!,
    /val_loss 0\.2000/,
  );
  assert.match(
    lines.find((l) => l.startsWith('step 12/'))!,
    /val_loss 0\.1000/,
    'later lines carry the latest evaluation',
  );
});

test('a held-back evaluation step is still printed when its evaluation never comes', () => {
  const out = sink();
  const bar = new ProgressBar(10, out, { awaitsValidation: (s) => s === 10, now: () => 0 });
  for (let step = 1; step <= 10; step++) bar.update(point(step));
  assert.ok(!out.lines().some((l) => l.startsWith('step 10/')));
  bar.done('run x failed at step 10: boom');
  assert.ok(out.lines().some((l) => l.startsWith('step 10/')));
});

test('the ETA is the remaining steps at the wall time per step so far, evaluations included', () => {
  const out = sink();
  let now = 0;
  const bar = new ProgressBar(100, out, { now: () => now });
  bar.update(point(1)); // reported step time 10 ms: the first point's ETA uses it (99 × 10 ms → 0:01)
  assert.match(out.lines().at(-1)!, /ETA 0:01$/);
  // 9 more steps take 18 s (slow steps and an evaluation): 2 s a step, 90 steps left → 3:00.
  for (let step = 2; step <= 10; step++) {
    now += 2000;
    bar.update(point(step));
  }
  assert.match(out.lines().at(-1)!, /^step 10\/100 .*ETA 3:00$/);
});
