/** A one-line terminal progress bar (redrawn in place on a TTY, a line per 10% otherwise). */
import type { MetricPoint } from '../shared/api';

export interface ProgressOptions {
  /**
   * Steps whose point is followed by the same step's evaluation (val_* merged into it): off a TTY,
   * such a step is printed once, with its own evaluation, instead of first with the previous one's.
   */
  awaitsValidation?: (step: number) => boolean;
  /** Milliseconds now (tests give a fake clock). */
  now?: () => number;
}

export class ProgressBar {
  private lastPercent = -1;
  private readonly now: () => number;
  private readonly started: number;
  private rateSamples: number[] = [];
  /** The latest evaluation's val_* figures, shown on every line until the next one. */
  private validation = '';
  /** The first point seen and when: the ETA is the wall time per step since then, evaluations and checkpoints included. */
  private first: { step: number; at: number } | null = null;
  /** A line held back for its step's evaluation (printed by done() if that never comes). */
  private held: string | null = null;
  private lastStep = -1;

  constructor(
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly options: ProgressOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.started = this.now();
  }

  update(p: MetricPoint): void {
    const now = this.now();
    // A step's point arrives again when its evaluation is merged into it: one rate sample per step.
    if (p.step !== this.lastStep) this.rateSamples = [...this.rateSamples.slice(-19), p.samplesPerSec];
    this.lastStep = p.step;
    this.first ??= { step: p.step, at: now };
    const rate = this.rateSamples.reduce((a, b) => a + b, 0) / this.rateSamples.length;
    const fraction = Math.min(1, p.step / this.total);
    const entries = Object.entries(p.metrics);
    const held = entries.filter(([k]) => k.startsWith('val_'));
    if (held.length > 0) this.validation = ` | ${held.map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ')}`;
    const metrics = entries
      .filter(([k]) => !k.startsWith('val_'))
      .map(([k, v]) => `${k} ${v.toFixed(4)}`)
      .join(' ');
    const text = `step ${p.step}/${this.total} ${bar(fraction, 24)} loss ${p.loss.toFixed(4)}${metrics ? ` ${metrics}` : ''}${this.validation} | ${rate.toFixed(0)} samples/s | ETA ${clock(this.eta(p, now))}`;
    if (this.out.isTTY) {
      this.out.write(`\r${text.padEnd(this.out.columns ? Math.min(this.out.columns - 1, 140) : 120)}`);
      return;
    }
    const percent = Math.floor(fraction * 10);
    const due = percent !== this.lastPercent || p.step === this.total || held.length > 0 || this.held !== null;
    this.lastPercent = percent;
    if (!due) return;
    if (held.length === 0 && this.options.awaitsValidation?.(p.step)) {
      this.held = text; // its evaluation follows: print the step once, with it
      return;
    }
    this.held = null;
    this.out.write(`${text}\n`);
  }

  /**
   * Seconds left: the remaining steps at the wall time per step since the first point this bar saw
   * (evaluations and checkpoints included, so it does not jump between them); before a second
   * point, the reported step time.
   */
  private eta(p: MetricPoint, now: number): number {
    const left = this.total - p.step;
    if (this.first && p.step > this.first.step) return (left * (now - this.first.at)) / (p.step - this.first.step) / 1000;
    return p.stepTimeMs > 0 ? (left * p.stepTimeMs) / 1000 : NaN;
  }

  done(message: string): void {
    if (this.out.isTTY) this.out.write('\n');
    else if (this.held !== null) this.out.write(`${this.held}\n`);
    this.held = null;
    this.out.write(`${message} (${clock((this.now() - this.started) / 1000)} elapsed)\n`);
  }
}

function bar(fraction: number, width: number): string {
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h > 0 ? `${h}:` : ''}${String(m).padStart(h > 0 ? 2 : 1, '0')}:${String(s % 60).padStart(2, '0')}`;
}
