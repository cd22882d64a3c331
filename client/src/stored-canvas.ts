/**
 * The canvas's strokes kept in the browser (localStorage), so a reload or a closed tab brings the
 * writing back; the page sends them to the server again as new strokes. Read back through a
 * schema: another version of the page, or a person, may have left anything there.
 */
import { z } from 'zod';
import { pointSchema, type Point, type StrokeId } from '../../shared/protocol.js';

const STORAGE_KEY = 'digit-stream.canvas.v1';

const storedSchema = z.array(z.object({ id: z.union([z.string().min(1).max(64), z.number().int().nonnegative()]), points: z.array(pointSchema).min(1) }));

export type StoredStroke = { id: StrokeId; points: Point[] };

export function restoreStrokes(storage: Storage | undefined = globalThis.localStorage): StoredStroke[] {
  try {
    const parsed = storedSchema.safeParse(JSON.parse(storage?.getItem(STORAGE_KEY) ?? '[]'));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

/** Keeps the strokes; false when the browser refuses (storage full or off). */
export function storeStrokes(strokes: readonly { id: StrokeId; points: readonly Point[] }[], storage: Storage | undefined = globalThis.localStorage): boolean {
  try {
    if (strokes.length === 0) storage?.removeItem(STORAGE_KEY);
    else storage?.setItem(STORAGE_KEY, JSON.stringify(strokes.map(({ id, points }) => ({ id, points }))));
    return storage !== undefined;
  } catch {
    return false;
  }
}
