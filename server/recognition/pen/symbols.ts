/**
 * Marks that are not digits, told by their shape alone: a decimal point, a minus, a slash and a
 * colon (dates, times, decimals, negatives). The network knows only digits, so it would read a
 * slash as a 1 and a dot as anything; these readings compete with its readings in the grouping
 * search, and the grouping decides. Sizes and positions are relative to the line's writing.
 */
import { extentOf, sheared, writingSlant, type PenLine, type PenStroke } from './ink.js';

export const SEPARATORS = ['.', '-', '/', ':'] as const;
export type Separator = (typeof SEPARATORS)[number];

export interface SymbolReading {
  symbol: Separator;
  /** How well the shape fits the symbol, 0..1. */
  likelihood: number;
}

/** A mark whose longer side is under this many writing heights is a dot (or noise), never a digit. */
export const DOT_SIZE = 0.22;

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

/** Where a height lies in the line: 0 at the top of its digits, 1 at their foot. */
function inBand(line: PenLine, y: number): number {
  return (y - line.bandTop) / Math.max(line.bandBottom - line.bandTop, 1e-6);
}

function straightness(stroke: PenStroke): number {
  return stroke.pathLength > 0 ? stroke.chordLength / stroke.pathLength : 1;
}

/**
 * What is left of the hand's slant in the line (upright took out most of it), in degrees, from 0
 * (a backhand's 1s lean no less than an upright hand's) to 30.
 */
function handSlantOf(line: PenLine, except: (stroke: PenStroke) => boolean): number {
  return Math.max(0, Math.min(30, writingSlant(line, except)));
}

/**
 * The lean right of vertical, in degrees, of a tall straight stroke whose top lies right of its
 * foot (a 1 or a slash); undefined for any other stroke.
 */
function straightLean(stroke: PenStroke, line: PenLine): number | undefined {
  const width = stroke.right - stroke.left,
    height = stroke.bottom - stroke.top;
  if (height < 0.6 * line.height || straightness(stroke) < 0.9) return undefined;
  let top = stroke.points[0],
    bottom = stroke.points[0];
  for (const p of stroke.points) {
    if (p[1] < top[1]) top = p;
    if (p[1] > bottom[1]) bottom = p;
  }
  return top[0] > bottom[0] ? (Math.atan2(width, height) * 180) / Math.PI : undefined;
}

/**
 * The stroke and its line as written, before upright took the line's lean out: the leans below are
 * leans on paper (a slash's, a hand's), and a slash is told from a 1 by how much further it leans.
 */
function asWritten(stroke: PenStroke, line: PenLine): [PenStroke, PenLine] {
  if (!line.written) return [stroke, line];
  return [line.written.strokes.find((s) => s.index === stroke.index) ?? sheared(stroke, 0, 0), line.written];
}

/**
 * How much a single stroke looks like a slash rather than a 1: long, straight and leaning right by
 * more than handwriting slants its 1s (italic hands lean 1s by 10-15 degrees; slashes lean 25-45).
 */
function slashLikelihood(upright: PenStroke, inLine: PenLine): number {
  const [stroke, line] = asWritten(upright, inLine);
  const lean = straightLean(stroke, line);
  if (lean === undefined) return 0;
  // A third of MNIST's 1s lean over 20 degrees, a fifth over 25, a tenth over 30: a slash is told
  // from a 1 by leaning further than the hand does (and by standing between digits; see
  // symbolReadings). From 12 to 24 degrees beyond the hand's slant the two readings compete.
  const itself = (s: PenStroke) => s === stroke;
  const handSlant = handSlantOf(line, itself);
  const degrees = lean - handSlant;
  return clamp01((degrees - 12) / 12) * clamp01(((stroke.bottom - stroke.top) / line.height - 0.8) / 0.2);
}

/**
 * Where the number's form says a slash goes (between the day, month and year of a date), a stroke
 * is one if it leans at least this far, and this far beyond the hand's slant: 96 % of slashes but
 * also 39 % of MNIST's 1s do (measured on validation digits written as strokes), so the lean alone
 * decides nothing, and only a date's form lets it tip a 1 into a slash.
 */
const DATE_SLASH_LEAN = 18;
const DATE_SLASH_BEYOND_SLANT = 5;

/**
 * For a single stroke that leans enough to be a slash where a date would put one, how far it leans
 * beyond the hand's slant, in degrees; undefined for any other. The hand's slant is measured
 * without the line's other straight strokes: a date's other slash is not the hand's.
 */
export function dateSlashLean(upright: PenStroke, inLine: PenLine): number | undefined {
  const [stroke, line] = asWritten(upright, inLine);
  const lean = straightLean(stroke, line);
  if (lean === undefined || lean < DATE_SLASH_LEAN) return undefined;
  const itselfOrStraight = (s: PenStroke) => s === stroke || straightLean(s, line) !== undefined;
  const handSlant = handSlantOf(line, itselfOrStraight);
  const beyond = lean - handSlant;
  return beyond >= DATE_SLASH_BEYOND_SLANT ? beyond : undefined;
}

/**
 * A separator stands between digits: something written on each side of it (a minus: at least on
 * its right), and no other stroke over more than `shared` of its columns (a dot under a digit is part of that digit).
 */
function standsApart(strokes: readonly PenStroke[], line: PenLine, shared: number, needsLeft: boolean): boolean {
  const own = new Set(strokes);
  const extent = extentOf(strokes);
  const margin = 0.03 * line.height;
  const width = extent.right - extent.left;
  let left = false,
    right = false;
  for (const s of line.strokes) {
    if (own.has(s)) continue;
    if (s.right < extent.left) left = true;
    if (s.left > extent.right) right = true;
    const overlap = Math.min(s.right, extent.right + margin) - Math.max(s.left, extent.left - margin);
    if (overlap > shared * width + (shared === 0 ? 0 : margin)) return false;
  }
  return right && (left || !needsLeft);
}

/** The closest any of `strokes` comes to another stroke of the line. */
function clearance(strokes: readonly PenStroke[], line: PenLine): number {
  const own = new Set(strokes);
  const extent = extentOf(strokes);
  let closest = Infinity;
  for (const other of line.strokes) {
    if (own.has(other)) continue;
    // Strokes further than the closest found so far, by their extents, cannot come closer.
    const apart = Math.max(other.left - extent.right, extent.left - other.right, other.top - extent.bottom, extent.top - other.bottom);
    if (apart >= closest) continue;
    for (const s of strokes) for (const p of s.points) for (const q of other.points) closest = Math.min(closest, Math.hypot(p[0] - q[0], p[1] - q[1]));
  }
  return closest;
}

/** A dot is a mark of its own: one touching (or all but touching) a digit's ink is part of that digit. */
const DOT_CLEARANCE = 0.1;
/**
 * A dot may share some of its columns with a neighbour (a slanted hand leans the next digit's top
 * over a colon's lower dot); being clear of its ink is what says it stands apart.
 */
const DOT_SHARED = 0.6;

/** The separators a group of strokes may be, each with how well it fits. */
export function symbolReadings(strokes: readonly PenStroke[], line: PenLine): SymbolReading[] {
  const h = line.height;
  const readings: SymbolReading[] = [];
  const isDot = (s: PenStroke) => Math.max(s.right - s.left, s.bottom - s.top) <= DOT_SIZE * h;
  if (strokes.length === 1) {
    const [s] = strokes;
    const width = s.right - s.left,
      height = s.bottom - s.top;
    const middle = inBand(line, (s.top + s.bottom) / 2);
    if (isDot(s) && middle >= 0.62 && standsApart(strokes, line, DOT_SHARED, true) && clearance(strokes, line) >= DOT_CLEARANCE * h)
      readings.push({ symbol: '.', likelihood: 0.95 });
    const flat = width >= 0.2 * h && width <= 1.3 * h && height <= 0.35 * width && height <= 0.3 * h && straightness(s) >= 0.8;
    if (flat && middle >= 0.05 && middle <= 0.9 && standsApart(strokes, line, 0, false)) readings.push({ symbol: '-', likelihood: 0.9 });
    const slash = slashLikelihood(s, line);
    if (slash > 0 && standsApart(strokes, line, 0.35, true)) readings.push({ symbol: '/', likelihood: slash });
  } else if (strokes.length === 2 && strokes.every(isDot)) {
    const [a, b] = [...strokes].sort((p, q) => p.top - q.top);
    const dx = Math.abs((a.left + a.right) / 2 - (b.left + b.right) / 2);
    const dy = (b.top + b.bottom) / 2 - (a.top + a.bottom) / 2;
    const { top, bottom } = extentOf(strokes);
    if (
      dx <= 0.35 * h &&
      dy >= 0.2 * h &&
      inBand(line, top) >= -0.15 &&
      inBand(line, bottom) <= 1.15 &&
      standsApart(strokes, line, DOT_SHARED, true) &&
      clearance(strokes, line) >= DOT_CLEARANCE * h
    )
      readings.push({ symbol: ':', likelihood: 0.95 });
  }
  return readings;
}
