/**
 * The results list kept in the browser (localStorage) until the person clears it, so a reload or
 * a closed tab loses nothing kept. What is read back is checked like anything else that crosses a
 * boundary: another version of the page, or a person, may have left anything there.
 */
import { z } from 'zod';
import type { ReadingEntry } from './results-list.js';

const STORAGE_KEY = 'digit-stream.readings.v1';
/** Rows kept at most; the oldest go first (a list this long is downloaded, not scrolled). */
const MAX_ENTRIES = 5000;

const entrySchema = z.object({
  time: z.string(),
  source: z.enum(['draw', 'camera', 'upload']),
  text: z.string(),
  confidence: z.number(),
  file: z.string().optional(),
  corrected: z.boolean().optional(),
});

export function restoreReadings(storage: Storage | undefined = globalThis.localStorage): ReadingEntry[] {
  try {
    const parsed = z.array(entrySchema).safeParse(JSON.parse(storage?.getItem(STORAGE_KEY) ?? '[]'));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

/** Keeps the list; false when the browser refuses (storage full or off), so the page can say so. */
export function storeReadings(entries: readonly ReadingEntry[], storage: Storage | undefined = globalThis.localStorage): boolean {
  try {
    if (entries.length === 0) storage?.removeItem(STORAGE_KEY);
    else storage?.setItem(STORAGE_KEY, JSON.stringify(entries.slice(0, MAX_ENTRIES)));
    return storage !== undefined;
  } catch {
    return false;
  }
}
