/** A one-line terminal progress bar (redrawn in place on a TTY, a line per 10% otherwise). */
import type { MetricPoint } from '../shared/api';

export class ProgressBar {
  private lastPercent = -1;
  private readonly started = Date.now();
  private rateSamples: number[] = [];
  /** The latest evaluation's val_* figures, shown on every line until the next one. */
  private validation = '';

  constructor(private readonly total: number, private readonly out: NodeJS.WriteStream = process.stdout) {}

  update(p: MetricPoint): void {
    this.rateSamples = [...this.rateSamples.slice(-19), p.samplesPerSec];
    const rate = this.rateSamples.reduce((a, b) => a + b, 0) / this.rateSamples.length;
    const fraction = Math.min(1, p.step / this.total);
    const stepsPerSec = p.stepTimeMs > 0 ? 1000 / p.stepTimeMs : 0;
    const eta = stepsPerSec > 0 ? (this.total - p.step) / stepsPerSec : NaN;
    const entries = Object.entries(p.metrics);
    const held = entries.filter(([k]) => k.startsWith('val_'));
    if (held.length > 0) this.validation = ` | ${held.map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ')}`;
    const metrics = entries.filter(([k]) => !k.startsWith('val_')).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ');
    const text = `step ${p.step}/${this.total} ${bar(fraction, 24)} loss ${p.loss.toFixed(4)}${metrics ? ` ${metrics}` : ''}${this.validation} | ${rate.toFixed(0)} samples/s | ETA ${clock(eta)}`;
    if (this.out.isTTY) {
      this.out.write(`\r${text.padEnd(this.out.columns ? Math.min(this.out.columns - 1, 140) : 120)}`);
    } else {
      const percent = Math.floor(fraction * 10);
      if (percent !== this.lastPercent || p.step === this.total || held.length > 0) this.out.write(`${text}\n`);
      this.lastPercent = percent;
    }
  }

  done(message: string): void {
    if (this.out.isTTY) this.out.write('\n');
    this.out.write(`${message} (${clock((Date.now() - this.started) / 1000)} elapsed)\n`);
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
