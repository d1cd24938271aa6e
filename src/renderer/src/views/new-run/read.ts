/**
 * Reading typed values out of text fields, collecting client-side issues on the way (so the user
 * sees "must be a whole number ≥ 1" before anything is sent to the engine).
 */
import type { ConfigIssue } from '../../../../shared/api';

export interface NumberRule {
  integer?: boolean;
  min?: number;
  max?: number;
  /** min is exclusive (value must be > min). */
  above?: boolean;
  /** Empty means null instead of an issue. */
  optional?: boolean;
}

function describe(rule: NumberRule): string {
  const kind = rule.integer ? 'a whole number' : 'a number';
  const parts: string[] = [];
  if (rule.min !== undefined) parts.push(`${rule.above ? '>' : '≥'} ${rule.min}`);
  if (rule.max !== undefined) parts.push(`≤ ${rule.max}`);
  return parts.length ? `${kind} ${parts.join(' and ')}` : kind;
}

export class IssueCollector {
  readonly issues: ConfigIssue[] = [];

  add(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  /** The field's number, or null (when optional and empty, or invalid: then an issue is recorded). */
  number(path: string, text: string, rule: NumberRule = {}): number | null {
    const t = text.trim();
    if (t === '') {
      if (!rule.optional) this.add(path, `Required: enter ${describe(rule)}.`);
      return null;
    }
    const v = Number(t);
    const bad =
      !Number.isFinite(v) ||
      (rule.integer && !Number.isInteger(v)) ||
      (rule.min !== undefined && (rule.above ? v <= rule.min : v < rule.min)) ||
      (rule.max !== undefined && v > rule.max);
    if (bad) {
      this.add(path, `Must be ${describe(rule)}; got "${t}".`);
      return null;
    }
    return v;
  }

  /** A comma-separated list of numbers. */
  numberList(path: string, text: string): number[] | null {
    const parts = text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const values = parts.map(Number);
    if (parts.length === 0 || values.some((v) => !Number.isFinite(v))) {
      this.add(path, `Must be a comma-separated list of numbers; got "${text.trim()}".`);
      return null;
    }
    return values;
  }

  /** A JSON object; `optional` allows empty text (→ null). */
  jsonObject(path: string, text: string, optional = false): Record<string, unknown> | null {
    if (text.trim() === '') {
      if (!optional) this.add(path, 'Required: enter a JSON object.');
      return null;
    }
    try {
      const v: unknown = JSON.parse(text);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
      this.add(path, 'Must be a JSON object ({ … }).');
    } catch (err) {
      this.add(path, `Invalid JSON: ${(err as Error).message}`);
    }
    return null;
  }
}
