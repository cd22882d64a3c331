/**
 * Pen strokes to digits: validated stroke sets are drawn with OpenCV's anti-aliased lines and read
 * by the same pipeline as images, with the order of strokes as extra evidence of which ink belongs
 * together.
 */
import { cv } from '../ml/opencv.js';
import type { InkImage } from './binarize.js';
import type { DigitClassifier } from './classifier.js';
import type { ComponentImage, InkComponent } from './components.js';
import { nearCanvas } from '../../shared/protocol.js';
import { unpackPoints, type PackedStroke } from '../../shared/stroke-board.js';
import { RecognitionError, RecognitionErrorCode } from './errors.js';
import { planPenReading } from './pen/read.js';
import { completeTogether, isPlan, planReading, type InkEvidence, type PlannedReading, type RecognitionResult } from './recognize.js';

/** [x, y, milliseconds since some origin]; the time may be left out. */
export type StrokePoint = [number, number, number?];

export interface StrokeSet {
  id?: string;
  /** Size of the canvas the strokes were drawn on, in its own units (CSS pixels). */
  width: number;
  height: number;
  strokes: StrokePoint[][];
}

/** A canvas as a session holds it (shared/stroke-board.ts): packed points, cheap to hand to a worker. */
export interface PackedStrokeSet {
  width: number;
  height: number;
  packed: PackedStroke[];
}

/** The stroke set a packed one holds, for the checks and reading that plain sets get. */
export function unpackStrokeSet(set: StrokeSet | PackedStrokeSet): StrokeSet {
  if (!('packed' in set)) return set;
  return { width: set.width, height: set.height, strokes: set.packed.map((stroke) => unpackPoints(stroke) as StrokePoint[]) };
}

export interface StrokeLimits {
  maxCanvasSide: number;
  maxStrokes: number;
  maxPointsPerStroke: number;
}

export const DEFAULT_STROKE_LIMITS: StrokeLimits = { maxCanvasSide: 16384, maxStrokes: 1000, maxPointsPerStroke: 4000 };

/** Writing is drawn so that a digit is about this many pixels tall: plenty for a 20 px model box. */
const RASTER_DIGIT_HEIGHT = 48;
/** Pen width in raster pixels: MNIST's strokes are about a ninth of a digit's height. */
const RASTER_PEN_WIDTH = Math.round(RASTER_DIGIT_HEIGHT / 9);
/** The raster's area never exceeds this, whatever the canvas and writing sizes. */
const MAX_RASTER_PIXELS = 4_000_000;
/** Strokes drawn within this long of each other may be parts of one digit. */
const SAME_DIGIT_PAUSE_MS = 1500;

function invalid(message: string): never {
  throw new RecognitionError(RecognitionErrorCode.InvalidStrokes, message);
}

function finite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Checks untrusted input against the stroke format; returns it typed, or throws a clear error. */
export function parseStrokeSet(value: unknown, limits: StrokeLimits = DEFAULT_STROKE_LIMITS): StrokeSet {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid('a stroke set must be an object {width, height, strokes}');
  const { id, width, height, strokes } = value as Record<string, unknown>;
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
  return { id: id as string | undefined, width: w, height: h, strokes: strokes as StrokePoint[][] };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/**
 * The writing's height: the median height of the taller strokes (bars and dots are shorter than a
 * digit). Rounded to steps of about 19 % so that one more stroke seldom changes the drawing scale,
 * which would change every digit's pixels and defeat the classifier's cache.
 */
export function writingHeight(strokes: StrokePoint[][]): number {
  const heights = strokes.map((stroke) => {
    let top = Infinity,
      bottom = -Infinity,
      left = Infinity,
      right = -Infinity;
    for (const [x, y] of stroke) {
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
      left = Math.min(left, x);
      right = Math.max(right, x);
    }
    return Math.max(bottom - top, 0.5 * (right - left));
  });
  let tallest = 0;
  for (const h of heights) tallest = Math.max(tallest, h);
  if (tallest <= 0) return 0;
  const estimate = median(heights.filter((h) => h >= 0.4 * tallest));
  return 2 ** (Math.round(4 * Math.log2(Math.max(1, estimate))) / 4);
}

export interface StrokeRaster {
  ink: InkImage;
  /** Canvas units per raster pixel. */
  scale: number;
  /** Canvas position of the raster's top-left corner. */
  origin: { x: number; y: number };
  /** Each stroke's position on the raster (a point on it, its column range) and its times. */
  anchors: { x: number; y: number; left: number; right: number; start: number; end: number }[];
}

/** Points closer than this (raster pixels) to the last one drawn add nothing the pen width does not cover. */
const MIN_SEGMENT_PIXELS = 0.5;

/**
 * A stroke's raster points without those that add nothing to the drawing: a pen held still, or a
 * fast tablet, sends many points within a pixel, and each would cost a line of its own. The last
 * point is always kept, so the stroke ends where it ended.
 */
function resampled(points: [number, number][]): [number, number][] {
  const kept: [number, number][] = [];
  for (let i = 0; i < points.length; i++) {
    const last = kept[kept.length - 1];
    if (last && i < points.length - 1 && Math.hypot(points[i][0] - last[0], points[i][1] - last[1]) < MIN_SEGMENT_PIXELS) continue;
    kept.push(points[i]);
  }
  return kept;
}

/**
 * Draws the strokes over their own extent (not the whole canvas, so that a dot on a huge canvas
 * costs a dot), at a scale that makes the writing about RASTER_DIGIT_HEIGHT pixels tall.
 */
export function rasterizeStrokes(set: StrokeSet): StrokeRaster {
  const height = writingHeight(set.strokes);
  const margin = Math.max(height, 1) * 0.25;
  // Loops, not Math.min(...points): spreading a canvas's worth of points overflows the stack.
  let firstX = Infinity,
    firstY = Infinity,
    lastX = -Infinity,
    lastY = -Infinity;
  for (const stroke of set.strokes) {
    for (const [x, y] of stroke) {
      firstX = Math.min(firstX, x - margin);
      firstY = Math.min(firstY, y - margin);
      lastX = Math.max(lastX, x + margin);
      lastY = Math.max(lastY, y + margin);
    }
  }
  // Dots and lines without height are drawn at canvas scale.
  const pixelsPerUnit = Math.min(
    height > 0 ? Math.min(8, RASTER_DIGIT_HEIGHT / height) : 1,
    Math.sqrt(MAX_RASTER_PIXELS / ((lastX - firstX) * (lastY - firstY))),
  );
  // The origin sits on the canvas's own grid of raster pixels, so that ink written further up or
  // left moves the raster by whole pixels: unchanged digits keep their exact pixels (and cache hits).
  const left = Math.floor(firstX * pixelsPerUnit) / pixelsPerUnit;
  const top = Math.floor(firstY * pixelsPerUnit) / pixelsPerUnit;
  const extentWidth = lastX - left;
  const extentHeight = lastY - top;
  const rasterWidth = Math.max(1, Math.ceil(extentWidth * pixelsPerUnit));
  const rasterHeight = Math.max(1, Math.ceil(extentHeight * pixelsPerUnit));
  const toRaster = ([x, y]: StrokePoint): [number, number] => [(x - left) * pixelsPerUnit, (y - top) * pixelsPerUnit];
  const anchors: StrokeRaster['anchors'] = [];
  const canvas = new cv.Mat(rasterHeight, rasterWidth, cv.CV_8U, new cv.Scalar(0));
  let intensity: Uint8Array;
  try {
    const white = new cv.Scalar(255);
    for (const stroke of set.strokes) {
      const drawn = resampled(stroke.map(toRaster)).map(([x, y]) => new cv.Point(x, y));
      if (drawn.length === 1) cv.circle(canvas, drawn[0], RASTER_PEN_WIDTH / 2, white, -1, cv.LINE_AA);
      for (let i = 1; i < drawn.length; i++) cv.line(canvas, drawn[i - 1], drawn[i], white, RASTER_PEN_WIDTH, cv.LINE_AA);
      const [x, y] = toRaster(stroke[0]);
      let left = Infinity,
        right = -Infinity;
      for (const point of stroke) {
        const [column] = toRaster(point);
        left = Math.min(left, column);
        right = Math.max(right, column);
      }
      anchors.push({
        left,
        right,
        x: Math.min(rasterWidth - 1, Math.max(0, Math.round(x))),
        y: Math.min(rasterHeight - 1, Math.max(0, Math.round(y))),
        start: stroke[0][2] ?? 0,
        end: stroke[stroke.length - 1][2] ?? 0,
      });
    }
    intensity = Uint8Array.from(canvas.data);
  } finally {
    canvas.delete();
  }
  const mask = new Uint8Array(intensity.length);
  for (let i = 0; i < intensity.length; i++) mask[i] = intensity[i] >= 96 ? 255 : 0;
  return {
    ink: { width: rasterWidth, height: rasterHeight, mask, intensity, polarity: 'light-on-dark', method: 'otsu', threshold: 96 },
    scale: 1 / pixelsPerUnit,
    origin: { x: left, y: top },
    anchors,
  };
}

/** Strokes sharing at least this fraction of the narrower one's width belong to one digit. */
const SAME_DIGIT_OVERLAP = 0.3;

/** How many side-by-side groups `strokes` form when strokes that overlap in x are grouped. */
function horizontalGroups(strokes: StrokeRaster['anchors']): number {
  const sorted = [...strokes].sort((a, b) => a.left - b.left);
  let groups = 0;
  let right = -Infinity,
    width = 0;
  for (const s of sorted) {
    const overlap = right - s.left;
    if (groups === 0 || overlap < SAME_DIGIT_OVERLAP * Math.min(width, s.right - s.left)) {
      groups++;
      right = s.right;
      width = s.right - s.left;
    } else {
      right = Math.max(right, s.right);
      width = Math.max(width, s.right - s.left);
    }
  }
  return groups;
}

/**
 * What strokes say about the ink: pieces are one digit's when one holds a stroke and the other the
 * stroke drawn right after it; and a piece may hold several digits only if its strokes stand side
 * by side (the strokes of one digit overlap: a 4's two strokes, a 5's bar, the two arcs of a 3).
 */
function strokeEvidence(raster: StrokeRaster) {
  return (components: ComponentImage): InkEvidence => {
    const labelOf = raster.anchors.map((a) => components.labels[a.y * components.width + a.x]);
    return {
      belongTogether(a: InkComponent, b: InkComponent): boolean {
        for (let s = 1; s < labelOf.length; s++) {
          const pause = raster.anchors[s].start - raster.anchors[s - 1].end;
          if (pause > SAME_DIGIT_PAUSE_MS) continue;
          const [first, second] = [labelOf[s - 1], labelOf[s]];
          if ((a.labels.includes(first) && b.labels.includes(second)) || (a.labels.includes(second) && b.labels.includes(first))) return true;
        }
        return false;
      },
      maySpanDigits(piece: InkComponent): boolean {
        return horizontalGroups(raster.anchors.filter((_, s) => piece.labels.includes(labelOf[s]))) > 1;
      },
    };
  };
}

/** The reading of a stroke set up to the network (see planReading), for batching across sessions. */
export function planStrokes(set: StrokeSet): PlannedReading {
  return planPenReading(set);
}

export function planStrokesByPixels(set: StrokeSet): PlannedReading {
  if (set.strokes.length === 0) {
    return {
      inputs: [],
      complete: () => ({ text: '', lines: [], digits: [], width: set.width, height: set.height, polarity: 'light-on-dark', binarization: 'otsu' }),
    };
  }
  const raster = rasterizeStrokes(set);
  const plan = planReading(raster.ink, { scale: raster.scale, offset: raster.origin, inkEvidence: strokeEvidence(raster) });
  return withCanvasSize(plan, set);
}

/** The plan's result, reported in the canvas's size rather than the raster's. */
function withCanvasSize(plan: PlannedReading, canvas: { width: number; height: number }): PlannedReading {
  return {
    inputs: plan.inputs,
    complete(predictions) {
      const outcome = plan.complete(predictions);
      return isPlan(outcome) ? withCanvasSize(outcome, canvas) : { ...outcome, width: canvas.width, height: canvas.height };
    },
  };
}

export async function recognizeStrokes(set: StrokeSet, classifier: DigitClassifier): Promise<RecognitionResult> {
  return (await completeTogether([planStrokes(set)], classifier))[0];
}
