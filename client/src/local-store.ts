/**
 * What the page keeps in the browser (localStorage) until the person clears it: the results list
 * and the canvas's strokes, so a reload or a closed tab loses neither. What is read back is checked
 * like anything else that crosses a boundary: another version of the page, or a person, may have
 * left anything there.
 */
import { z } from 'zod';
import { pointSchema, type Point, type StrokeId } from '../../shared/protocol.js';
import type { ReadingEntry } from './results-list.js';

const READINGS_KEY = 'digit-stream.readings.v1';
const CANVAS_KEY = 'digit-stream.canvas.v1';
/** Rows kept at most; the oldest go first (a list this long is downloaded, not scrolled). */
const MAX_READINGS = 5000;

const readingSchema = z.object({
  time: z.string(),
  source: z.enum(['draw', 'camera', 'upload']),
  text: z.string(),
  confidence: z.number(),
  file: z.string().optional(),
  corrected: z.boolean().optional(),
});

const strokeSchema = z.object({ id: z.union([z.string().min(1).max(64), z.number().int().nonnegative()]), points: z.array(pointSchema).min(1) });

export type StoredStroke = { id: StrokeId; points: Point[] };

/** The list kept under `key`, or none when there is none or it does not fit the schema. */
function restoreList<T>(key: string, item: z.ZodType<T>, storage: Storage | undefined): T[] {
  try {
    const parsed = z.array(item).safeParse(JSON.parse(storage?.getItem(key) ?? '[]'));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

/** Keeps a list (an empty one is removed); false when the browser refuses (storage full or off). */
function storeList(key: string, items: readonly unknown[], storage: Storage | undefined): boolean {
  try {
    if (items.length === 0) storage?.removeItem(key);
    else storage?.setItem(key, JSON.stringify(items));
    return storage !== undefined;
  } catch {
    return false;
  }
}

export function restoreReadings(storage: Storage | undefined = globalThis.localStorage): ReadingEntry[] {
  return restoreList(READINGS_KEY, readingSchema, storage);
}

export function storeReadings(entries: readonly ReadingEntry[], storage: Storage | undefined = globalThis.localStorage): boolean {
  return storeList(READINGS_KEY, entries.slice(0, MAX_READINGS), storage);
}

export function restoreStrokes(storage: Storage | undefined = globalThis.localStorage): StoredStroke[] {
  return restoreList(CANVAS_KEY, strokeSchema, storage);
}

export function storeStrokes(strokes: readonly { id: StrokeId; points: readonly Point[] }[], storage: Storage | undefined = globalThis.localStorage): boolean {
  return storeList(
    CANVAS_KEY,
    strokes.map(({ id, points }) => ({ id, points })),
    storage,
  );
}
