/**
 * Pen strokes: the stroke-set format, its validation, and its reading (by grouping strokes; see
 * pen/read.ts).
 */
import type { DigitClassifier } from './classifier.js';
import { nearCanvas } from '../../shared/protocol.js';
import { unpackPoints, type PackedStroke } from '../../shared/stroke-board.js';
import { RecognitionError, RecognitionErrorCode } from './errors.js';
import { planPenReading } from './pen/read.js';
import { completeTogether, type PlannedReading, type RecognitionResult } from './recognize.js';

/** [x, y, milliseconds since some origin]; the time may be left out. */
export type StrokePoint = [number, number, number?];

export interface StrokeSet {
  id?: string;
  /** Size of the canvas the strokes were drawn on, in its own units (CSS pixels). */
  width: number;
  height: number;
  strokes: StrokePoint[][];
  /**
   * Positions in `strokes` of strokes still being drawn (the pen is down): read apart from the
   * finished ones, as provisional digits, so that a half-drawn stroke never changes the reading
   * of the digits before it.
   */
  open?: number[];
  /**
   * The groups of strokes (by their keys, see RecognitionResult.groups) that the previous reading
   * of this canvas read as one digit or separator each: while `writing`, a group that new ink
   * neither overlaps nor touches is kept as it was, so that a finished digit stands still while
   * the next is written. A reading without `writing` (once the pen rests) holds them more lightly
   * (GROUPING_WEIGHTS.unsettlesAtPause): the hold can keep apart what later strokes show to be one
   * digit, and RecognitionResult.waitsForPause says when it did.
   */
  settled?: string[][];
  /**
   * The person may still be writing (a live canvas between pauses): what only the whole number can
   * tell (a date's form turning a leaning 1 into its slash) waits for a reading without this, and
   * RecognitionResult.waitsForPause says when one would read differently.
   */
  writing?: boolean;
}

/** A canvas as a session holds it (shared/stroke-board.ts): packed points, cheap to hand to a worker. */
export interface PackedStrokeSet {
  width: number;
  height: number;
  packed: PackedStroke[];
  open?: number[];
  settled?: string[][];
  writing?: boolean;
}

/** The stroke set a packed one holds, for the checks and reading that plain sets get. */
export function unpackStrokeSet(set: StrokeSet | PackedStrokeSet): StrokeSet {
  if (!('packed' in set)) return set;
  return {
    width: set.width,
    height: set.height,
    strokes: set.packed.map((stroke) => unpackPoints(stroke) as StrokePoint[]),
    ...(set.open ? { open: set.open } : {}),
    ...(set.settled ? { settled: set.settled } : {}),
    ...(set.writing ? { writing: true } : {}),
  };
}

export interface StrokeLimits {
  maxCanvasSide: number;
  maxStrokes: number;
  maxPointsPerStroke: number;
}

export const DEFAULT_STROKE_LIMITS: StrokeLimits = { maxCanvasSide: 16384, maxStrokes: 1000, maxPointsPerStroke: 4000 };

function invalid(message: string): never {
  throw new RecognitionError(RecognitionErrorCode.InvalidStrokes, message);
}

function finite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Checks untrusted input against the stroke format; returns it typed, or throws a clear error. */
export function parseStrokeSet(value: unknown, limits: StrokeLimits = DEFAULT_STROKE_LIMITS): StrokeSet {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid('a stroke set must be an object {width, height, strokes}');
  const { id, width, height, strokes, open, settled, writing } = value as Record<string, unknown>;
  if (id !== undefined && typeof id !== 'string') invalid('id must be a string');
  for (const [name, side] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!finite(side) || side <= 0 || side > limits.maxCanvasSide) invalid(`${name} must be a number between 0 and ${limits.maxCanvasSide}`);
  }
  if (!Array.isArray(strokes)) invalid('strokes must be an array of strokes');
  if (strokes.length > limits.maxStrokes) invalid(`${strokes.length} strokes: at most ${limits.maxStrokes}`);
  const w = width as number,
    h = height as number;
  strokes.forEach((stroke, s) => {
    if (!Array.isArray(stroke) || stroke.length === 0) invalid(`stroke ${s} must be a non-empty array of points`);
    if (stroke.length > limits.maxPointsPerStroke) invalid(`stroke ${s} has ${stroke.length} points: at most ${limits.maxPointsPerStroke}`);
    stroke.forEach((point: unknown, p) => {
      if (!Array.isArray(point) || point.length < 2 || point.length > 3 || !point.every(finite)) {
        invalid(`stroke ${s} point ${p} must be [x, y] or [x, y, tMs] with finite numbers`);
      }
      if (!nearCanvas(point[0], point[1], w, h)) {
        invalid(`stroke ${s} point ${p} (${point[0]}, ${point[1]}) is far outside the ${w}x${h} canvas`);
      }
    });
  });
  if (open !== undefined && (!Array.isArray(open) || !open.every((i) => Number.isInteger(i) && i >= 0 && i < strokes.length))) {
    invalid('open must be an array of positions in strokes');
  }
  if (settled !== undefined && (!Array.isArray(settled) || !settled.every((g) => Array.isArray(g) && g.every((k) => typeof k === 'string')))) {
    invalid('settled must be an array of arrays of stroke keys');
  }
  if (writing !== undefined && typeof writing !== 'boolean') invalid('writing must be true or false');
  return {
    id: id as string | undefined,
    width: w,
    height: h,
    strokes: strokes as StrokePoint[][],
    ...(open ? { open: open as number[] } : {}),
    ...(settled ? { settled: settled as string[][] } : {}),
    ...(writing ? { writing: true } : {}),
  };
}

/** The reading of a stroke set up to the network (see planReading), for batching across sessions. */
export function planStrokes(set: StrokeSet): PlannedReading {
  return planPenReading(set);
}

export async function recognizeStrokes(set: StrokeSet, classifier: DigitClassifier): Promise<RecognitionResult> {
  return (await completeTogether([planStrokes(set)], classifier))[0];
}
