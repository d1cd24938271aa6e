/**
 * What a user may call a run and how they may label it: checked here, once, for every front end
 * (dashboard, CLI), so the store only ever holds names and tags the runs table can show.
 */
import { invalidInput } from '../../shared/errors';

export const MAX_NAME = 200;
export const MAX_TAG = 40;
export const MAX_TAGS = 20;
export const MAX_NOTES = 20_000;

export function checkRunName(name: unknown): string {
  if (typeof name !== 'string') throw invalidInput('A run name must be text.');
  const trimmed = name.trim();
  if (trimmed === '') throw invalidInput('A run name cannot be empty.');
  if (trimmed.length > MAX_NAME) throw invalidInput(`A run name has at most ${MAX_NAME} characters (got ${trimmed.length}).`);
  return trimmed;
}

export function checkRunNotes(notes: unknown): string {
  if (typeof notes !== 'string') throw invalidInput('Run notes must be text.');
  if (notes.length > MAX_NOTES) throw invalidInput(`Run notes have at most ${MAX_NOTES} characters (got ${notes.length}).`);
  return notes;
}

/** Trimmed, duplicates dropped (first one kept), order kept. */
export function checkRunTags(tags: unknown): string[] {
  if (!Array.isArray(tags)) throw invalidInput('Run tags must be a list of strings.');
  const out: string[] = [];
  for (const tag of tags) {
    if (typeof tag !== 'string') throw invalidInput(`A tag must be text, got ${JSON.stringify(tag)}.`);
    const t = tag.trim();
    if (t === '') continue;
    // A comma separates tags where people type them (the dashboard's tag field, the CLI).
    if (t.includes(',')) throw invalidInput(`A tag cannot contain a comma: ${JSON.stringify(t)}.`);
    if (t.length > MAX_TAG) throw invalidInput(`A tag has at most ${MAX_TAG} characters: ${JSON.stringify(t)}.`);
    if (!out.includes(t)) out.push(t);
  }
  if (out.length > MAX_TAGS) throw invalidInput(`A run has at most ${MAX_TAGS} tags (got ${out.length}).`);
  return out;
}
