/**
 * The geometry of pen ink: each stroke's extent, the writing's height, its lines, and the order in
 * which strokes are grouped into digits. Everything here is in canvas units.
 */
import type { StrokePoint } from '../strokes.js';

export interface PenStroke {
  /** Position in the stroke set, which is the order the strokes were written in. */
  index: number;
  points: StrokePoint[];
  left: number;
  right: number;
  top: number;
  bottom: number;
  /** Length of the pen's path, and of the straight line from its first point to its last. */
  pathLength: number;
  chordLength: number;
  /** A hash of the points as written: the same stroke on the next reading has the same key, however its line leans. */
  key: string;
  /** Where the stroke lies on the canvas, as written (see upright): what its digit's box shows. */
  canvas: Extent;
  /** The lean taken out of its points (see upright): x moved by shear × (y − shearOrigin); 0 as written. */
  shear: number;
  shearOrigin: number;
}

/** `key`: the stroke's key where it is known (the same ink moved, see sheared), so its points are not hashed again. */
export function penStroke(points: StrokePoint[], index: number, key?: string): PenStroke {
  let left = Infinity,
    right = -Infinity,
    top = Infinity,
    bottom = -Infinity,
    pathLength = 0;
  // FNV-1a over the points at 1/16 unit, twice with different seeds: a 64-bit key.
  let a = 0x811c9dc5,
    b = 0x5bd1e995;
  // Loops, not Math.min(...points): spreading a canvas's worth of points overflows the stack.
  for (let i = 0; i < points.length; i++) {
    const [x, y] = points[i];
    if (key === undefined) {
      const qx = Math.round(x * 16),
        qy = Math.round(y * 16);
      a = Math.imul(a ^ qx, 0x01000193);
      a = Math.imul(a ^ qy, 0x01000193);
      b = Math.imul(b ^ qy, 0x01000193) ^ (b >>> 15);
      b = Math.imul(b ^ qx, 0x01000193);
    }
    left = Math.min(left, x);
    right = Math.max(right, x);
    top = Math.min(top, y);
    bottom = Math.max(bottom, y);
    if (i > 0) pathLength += Math.hypot(x - points[i - 1][0], y - points[i - 1][1]);
  }
  const first = points[0],
    last = points[points.length - 1];
  return {
    index,
    points,
    left,
    right,
    top,
    bottom,
    pathLength,
    chordLength: Math.hypot(last[0] - first[0], last[1] - first[1]),
    key: key ?? `${(a >>> 0).toString(36)}.${(b >>> 0).toString(36)}.${points.length}`,
    canvas: { left, right, top, bottom },
    shear: 0,
    shearOrigin: 0,
  };
}

export interface Extent {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export function extentOf(strokes: readonly Extent[]): Extent {
  let left = Infinity,
    right = -Infinity,
    top = Infinity,
    bottom = -Infinity;
  for (const s of strokes) {
    left = Math.min(left, s.left);
    right = Math.max(right, s.right);
    top = Math.min(top, s.top);
    bottom = Math.max(bottom, s.bottom);
  }
  return { left, right, top, bottom };
}

/** How much two extents share horizontally (negative: the gap between them). */
export function horizontalOverlap(a: Extent, b: Extent): number {
  return Math.min(a.right, b.right) - Math.max(a.left, b.left);
}

/** See liesOver. */
const LIES_OVER = 0.5;

/**
 * Whether a stroke lies over the columns of `ink`: over half the narrower of the two (a late bar
 * across a digit, a stem through its arm), not merely reaching into them.
 */
export function liesOver(stroke: PenStroke, ink: Extent): boolean {
  const overlap = horizontalOverlap(stroke, ink);
  return overlap >= 0 && overlap >= LIES_OVER * Math.min(stroke.right - stroke.left, ink.right - ink.left);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Rounded to steps of about 19 %, so that one more stroke seldom changes a height every threshold scales with. */
function quantised(height: number): number {
  return 2 ** (Math.round(4 * Math.log2(Math.max(1e-3, height))) / 4);
}

/** A stroke with an end this close to one of the previous stroke's ends (a share of the larger one's size) goes on its path. */
const PATH_REACH = 0.5;

/**
 * A rough digit height for a canvas of any lines: the median height of its taller pen paths. A
 * path is a stroke and those written right after it that go on from where it stopped: one stroke
 * the pen broke, whose pieces alone would make the writing look small.
 */
function strokeScale(strokes: readonly PenStroke[]): number {
  const sizes: number[] = [];
  let path: Extent | undefined;
  let previous: PenStroke | undefined;
  const size = (e: Extent) => Math.max(e.bottom - e.top, 0.5 * (e.right - e.left));
  for (const s of [...strokes].sort((a, b) => a.index - b.index)) {
    const reach = PATH_REACH * Math.max(size(s), previous ? size(previous) : 0);
    if (path && previous && s.index === previous.index + 1 && endsMeet(previous, s, reach)) path = extentOf([path, s]);
    else {
      if (path) sizes.push(size(path));
      path = extentOf([s]);
    }
    previous = s;
  }
  if (path) sizes.push(size(path));
  let tallest = 0;
  for (const h of sizes) tallest = Math.max(tallest, h);
  return median(sizes.filter((h) => h >= 0.5 * tallest));
}

/**
 * The height of a digit in one line of writing: around each stroke, the height of all the ink in
 * a window about a digit wide, and the median of those. A window, not a stroke (the strokes of a
 * broken or two-stroke digit are each shorter than it), and not the whole line (a line drifts up
 * or down as it goes), nor strokes chained by overlap (digits written overlapping chain the line).
 */
export function writingHeight(strokes: readonly PenStroke[]): number {
  if (strokes.length === 0) return 0;
  const whole = extentOf(strokes);
  const rough = Math.max(whole.bottom - whole.top, 0.5 * (whole.right - whole.left));
  if (rough <= 0) return 0;
  const half = 0.25 * rough;
  const local: number[] = [];
  for (const s of strokes) {
    const centre = (s.left + s.right) / 2;
    let top = Infinity,
      bottom = -Infinity;
    for (const other of strokes) {
      if (other.right < centre - half || other.left > centre + half) continue;
      top = Math.min(top, other.top);
      bottom = Math.max(bottom, other.bottom);
    }
    local.push(Math.max(bottom - top, 0.5 * (s.right - s.left)));
  }
  let tallest = 0;
  for (const h of local) tallest = Math.max(tallest, h);
  return quantised(median(local.filter((h) => h >= 0.5 * tallest)));
}

export interface PenLine {
  strokes: PenStroke[];
  /** Height of a digit in this line. */
  height: number;
  /** Where the line's digits start and end vertically (medians over its columns of ink). */
  bandTop: number;
  bandBottom: number;
  /** The slant taken out of its strokes (see upright), which a stroke joining the line takes too, and the line as written. */
  slant?: { shear: number; origin: number };
  written?: PenLine;
}

/** Rows of writing this many writing heights apart, with no ink between them, are separate lines. */
const LINE_GAP = 0.15;

/** Strokes written one after the other whose ends come this close (in digit heights) are one stroke the pen broke. */
const PEN_LIFT_DISTANCE = 0.35;

/** Whether two strokes have ends within `reach` of each other. */
function endsMeet(a: PenStroke, b: PenStroke, reach: number): boolean {
  const ends = (s: PenStroke) => [s.points[0], s.points[s.points.length - 1]];
  for (const p of ends(a)) for (const q of ends(b)) if (Math.hypot(p[0] - q[0], p[1] - q[1]) <= reach) return true;
  return false;
}

/**
 * Whether a stroke of `upper` and one of `lower` were written one after the other with their ends
 * within `reach`, or the one carries the other on across a skip (see continuesAfterSkip; `height`, the writing's).
 */
function penLifted(upper: readonly PenStroke[], lower: readonly PenStroke[], reach: number, height: number): boolean {
  const byIndex = new Map(lower.map((s) => [s.index, s]));
  for (const a of upper) {
    const [before, after] = [byIndex.get(a.index - 1), byIndex.get(a.index + 1)];
    if (
      (before && (endsMeet(a, before, reach) || continuesAfterSkip(before, a, height))) ||
      (after && (endsMeet(a, after, reach) || continuesAfterSkip(a, after, height)))
    )
      return true;
  }
  return false;
}

/**
 * Lines of writing, top to bottom: strokes whose vertical extents overlap or nearly meet form a
 * line (so the broken pieces of one digit stay together, however they sit), and the line's
 * writing height and band (where its digits start and end) are measured on its own strokes.
 */
export function penLines(strokes: readonly PenStroke[]): PenLine[] {
  const height = strokeScale(strokes);
  const byTop = [...strokes].sort((a, b) => a.top - b.top);
  const rows: { bottom: number; strokes: PenStroke[] }[] = [];
  for (const s of byTop) {
    const row = rows[rows.length - 1];
    if (row && s.top <= row.bottom + LINE_GAP * height) {
      row.strokes.push(s);
      row.bottom = Math.max(row.bottom, s.bottom);
    } else {
      rows.push({ bottom: s.bottom, strokes: [s] });
    }
  }
  // A pen that skipped (a stylus lifted for a moment, a trackpad's dropped touch) breaks a stroke
  // into pieces with a gap between them, which the rows above can take for the space between two
  // lines when the pieces are short. Two lines are written one after the other too, but the pen
  // goes from the end of one to the start of the next, a line's width away.
  for (let i = rows.length - 2; i >= 0; i--) {
    if (penLifted(rows[i].strokes, rows[i + 1].strokes, PEN_LIFT_DISTANCE * height, height)) {
      rows[i].strokes.push(...rows[i + 1].strokes);
      rows[i].bottom = Math.max(rows[i].bottom, rows[i + 1].bottom);
      rows.splice(i + 1, 1);
    }
  }
  return rows.map((row) => lineOf(row.strokes));
}

/** A line of these strokes: its writing height and band measured on them. */
function lineOf(strokes: PenStroke[]): PenLine {
  const inWriting = strokes.sort((a, b) => a.index - b.index);
  const lineHeight = writingHeight(inWriting);
  const tall = inWriting.filter((c) => c.bottom - c.top >= 0.5 * lineHeight);
  const bandTop = tall.length ? median(tall.map((c) => c.top)) : extentOf(inWriting).top;
  const bandBottom = tall.length ? median(tall.map((c) => c.bottom)) : extentOf(inWriting).bottom;
  return { strokes: inWriting, height: lineHeight, bandTop, bandBottom };
}

interface LeanPiece {
  /** Degrees right of vertical. */
  lean: number;
  length: number;
}

/**
 * The near-vertical pieces (within `within` degrees of vertical) of the strokes at least 0.4 of
 * the writing's `height` tall, each about a twentieth of that height long.
 */
function leanPieces(strokes: readonly PenStroke[], height: number, within: number): LeanPiece[] {
  const pieces: LeanPiece[] = [];
  const step = 0.05 * height;
  for (const s of strokes) {
    if (s.bottom - s.top < 0.4 * height) continue;
    let from = s.points[0];
    for (const to of s.points) {
      const dx = to[0] - from[0],
        dy = to[1] - from[1];
      const length = Math.hypot(dx, dy);
      if (length < step) continue;
      // Leaning right: the upper end lies to the right of the lower one.
      const lean = (Math.atan2(dy > 0 ? -dx : dx, Math.abs(dy)) * 180) / Math.PI;
      if (Math.abs(lean) < within) pieces.push({ lean, length });
      from = to;
    }
  }
  return pieces;
}

/** The length-weighted median lean of pieces in order of lean. */
function medianLean(byLean: readonly LeanPiece[]): number {
  const half = byLean.reduce((sum, p) => sum + p.length, 0) / 2;
  let seen = 0;
  for (const p of byLean) if ((seen += p.length) >= half) return p.lean;
  return 0;
}

/**
 * How far the line's writing leans right, in degrees: the length-weighted median lean of the
 * near-vertical pieces of its strokes but `except` (stems of 1s, 4s and 9s, sides of 0s and 6s),
 * the usual measure of a hand's slant.
 */
export function writingSlant(line: PenLine, except: (stroke: PenStroke) => boolean): number {
  const pieces = leanPieces(
    line.strokes.filter((s) => !except(s)),
    line.height,
    40,
  );
  return medianLean(pieces.sort((a, b) => a.lean - b.lean));
}

/**
 * Leans are taken out in steps of this shear (about 3 degrees): one more stroke seldom moves the
 * lean a step, and a group drawn once is drawn from the cache after.
 */
const SHEAR_STEP = 0.05;
/** No hand leans further than this (tangent; 40 degrees): what measures more is not writing's lean. */
const MOST_SHEAR = 0.84;
/**
 * Near-vertical ink, in heights of the tallest stroke so far, on which a measured lean counts half (more ink, more):
 * one digit's lean is as much its shape as its hand's (a 7's stroke leans, a 1 may stand straight).
 */
const HALF_WEIGHT_INK = 2;
/** Pieces within this many degrees of vertical show the lean: an italic hand's stems lean 30 degrees and more. */
const LEAN_PIECES_WITHIN = 50;
/** A stroke's lean is the median of the ink so far, counted in bins this many degrees wide. */
const LEAN_BIN_DEGREES = 0.25;
const LEAN_BINS = Math.ceil((2 * LEAN_PIECES_WITHIN) / LEAN_BIN_DEGREES);

/** `stroke` with its points moved by `shear` × (y − `origin`), keeping its key and its place on the canvas. */
export function sheared(stroke: PenStroke, shear: number, origin: number): PenStroke {
  if (shear === stroke.shear && origin === stroke.shearOrigin) return stroke;
  const change = shear - stroke.shear;
  const points = stroke.points.map((p): StrokePoint => {
    // Undo the old shear about its origin and apply the new one about this.
    const x = p[0] + change * p[1] + stroke.shear * stroke.shearOrigin - shear * origin;
    return p.length > 2 ? [x, p[1], p[2]] : [x, p[1]];
  });
  return { ...penStroke(points, stroke.index, stroke.key), canvas: stroke.canvas, shear, shearOrigin: origin };
}

/**
 * The line stood upright: each stroke sheared by the hand's lean. An italic hand's digits lean
 * into each other's columns, which reads as digits written close or overlapping; upright, they
 * stand apart as the hand meant them, and the network sees digits leaning no more than MNIST's
 * (measured in the README).
 * Each stroke's lean is measured on the strokes written up to it and no later, so the next digit
 * never redraws one already written (a reading that stands still).
 */
export function upright(line: PenLine): PenLine {
  // Everything a stroke's lean rests on was written by then: sizes are the tallest stroke's so far,
  // not the line's height (which a taller digit written later would change), and the shear's
  // origin is the middle of the line's first stroke.
  const ink = new Float64Array(LEAN_BINS);
  let inkLength = 0,
    tallest = 0;
  const shears: number[] = [];
  line.strokes.forEach((stroke, i) => {
    tallest = Math.max(tallest, stroke.bottom - stroke.top, 1e-6);
    for (const piece of leanPieces([stroke], tallest, LEAN_PIECES_WITHIN)) {
      ink[Math.min(LEAN_BINS - 1, Math.floor((piece.lean + LEAN_PIECES_WITHIN) / LEAN_BIN_DEGREES))] += piece.length / tallest;
      inkLength += piece.length / tallest;
    }
    let bin = 0,
      seen = ink[0];
    while (seen < inkLength / 2 && bin < LEAN_BINS - 1) seen += ink[++bin];
    const median = (bin + 0.5) * LEAN_BIN_DEGREES - LEAN_PIECES_WITHIN;
    const lean = inkLength > 0 ? Math.tan((median * Math.PI) / 180) * (inkLength / (inkLength + HALF_WEIGHT_INK)) : 0;
    const before = line.strokes[i - 1];
    // The pieces of a stroke the pen broke are one stroke: they lean together.
    if (before && continuesAfterSkip(before, stroke, line.height)) shears.push(shears[i - 1]);
    else shears.push(Math.max(-MOST_SHEAR, Math.min(MOST_SHEAR, Math.round(lean / SHEAR_STEP) * SHEAR_STEP)));
  });
  if (shears.every((shear) => shear === 0)) return line;
  const origin = (line.strokes[0].top + line.strokes[0].bottom) / 2;
  return {
    ...lineOf(line.strokes.map((s, i) => sheared(s, shears[i], origin))),
    slant: { shear: shears[shears.length - 1], origin },
    written: line,
  };
}

/**
 * A stroke that starts within this many of the pen's own steps of where the stroke before it
 * ended, heading on the way that one was going, is that stroke where the pen skipped (a stylus or
 * touch screen that lost contact for a sample or three), not a new one.
 */
const SKIP_STEPS = 4.5;
/**
 * Heading on: the cosine of the turn from the stroke's heading over its last two steps to the gap,
 * and from the gap to the next stroke's heading over its first two (under 32 degrees each).
 */
const SKIP_HEADING = 0.85;
/**
 * Where the points carry their times: a pen lifted and put down again within this many ms is a
 * skip, not a new stroke. People lift the pen between strokes for longer (150 ms and more); a
 * device that lost contact for a few samples (16 ms each in a browser) comes back sooner.
 */
const SKIP_PAUSE_MS = 100;
/**
 * And at least this many of its sample intervals: a skip loses a sample or more. Times that run on
 * from one stroke to the next as if the pen never lifted (a generator's, not a device's) say nothing.
 */
const SKIP_MIN_INTERVALS = 1.5;
/**
 * A timed skip carries the pen on at the speed it was moving: the gap is at most this many times
 * what that speed covers in the pause (pen speed changes along a stroke), plus one step.
 */
const SKIP_SPEED_SLACK = 2;

/** A stroke's first `count` steps (atEnd: its last), each as the pair of samples it joins. */
function endSteps(points: readonly StrokePoint[], atEnd: boolean, count = 3): [StrokePoint, StrokePoint][] {
  const steps: [StrokePoint, StrokePoint][] = [];
  for (let k = 0; k < count && k + 1 < points.length; k++)
    steps.push(atEnd ? [points[points.length - 1 - k], points[points.length - 2 - k]] : [points[k], points[k + 1]]);
  return steps;
}

/** The lengths of a stroke's first `count` steps (atEnd: of its last). */
function stepsAt(points: readonly StrokePoint[], atEnd: boolean, count = 3): number[] {
  return endSteps(points, atEnd, count).map(([p, q]) => Math.hypot(p[0] - q[0], p[1] - q[1]));
}

/** The times of a stroke's first `count` steps (atEnd: its last), where it has them. */
function intervalsAt(points: readonly StrokePoint[], atEnd: boolean, count = 3): number[] {
  const intervals: number[] = [];
  for (const [[, , tp], [, , tq]] of endSteps(points, atEnd, count))
    if (tp !== undefined && tq !== undefined && Number.isFinite(tp - tq)) intervals.push(Math.abs(tp - tq));
  return intervals;
}

/** The unit vector from `from` to `to`; [0, 0] where they coincide. */
export function headingOf(from: StrokePoint, to: StrokePoint): [number, number] {
  const length = Math.hypot(to[0] - from[0], to[1] - from[1]);
  return length > 0 ? [(to[0] - from[0]) / length, (to[1] - from[1]) / length] : [0, 0];
}

/**
 * Whether the times say the pen skipped between stroke `a` and the next, `b`: down again within
 * SKIP_PAUSE_MS (and after SKIP_MIN_INTERVALS), `gap` away, about as far as it was moving in that time (SKIP_SPEED_SLACK). No
 * heading is asked for: the samples lost can hold a turn (a 2's corner, a cusp), and the time is
 * the pen's own evidence. Steadier than the steps alone: a skip over a fast stretch leaves a gap
 * of many slow steps.
 */
function skippedInTime(a: readonly StrokePoint[], b: readonly StrokePoint[], step: number, gap: number): boolean {
  const [ta, tb] = [a[a.length - 1][2], b[0][2]];
  if (ta === undefined || tb === undefined) return false;
  const pause = tb - ta;
  const interval = median([...intervalsAt(a, true), ...intervalsAt(b, false)]);
  if (!(interval > 0 && pause >= SKIP_MIN_INTERVALS * interval && pause <= SKIP_PAUSE_MS)) return false;
  return gap <= SKIP_SPEED_SLACK * (step / interval) * pause + step;
}

/**
 * Whether `next`, written right after `stroke`, carries it on across a skip of the pen: by the
 * points' times where they have them (see SKIP_PAUSE_MS), or else by its steps and heading (see
 * SKIP_STEPS). Judged by steps alone, the two together must be no wider than the writing's
 * `height`, a digit's width: two digits written close can line up end to start too (a 7's bar,
 * drawn last, and the next 7's), which no pen does within a skip's pause.
 */
export function continuesAfterSkip(stroke: PenStroke, next: PenStroke, height: number): boolean {
  const a = stroke.points,
    b = next.points;
  if (next.index !== stroke.index + 1 || a.length < 2 || b.length < 2) return false;
  const step = median([...stepsAt(a, true), ...stepsAt(b, false)]);
  const [ax, ay] = a[a.length - 1],
    [bx, by] = b[0];
  const gap = Math.hypot(bx - ax, by - ay);
  if (!(step > 0)) return false;
  if (skippedInTime(a, b, step, gap)) return true;
  // As written: a skip is the pen's, on the canvas, whatever lean the reading takes out.
  if (Math.max(stroke.canvas.right, next.canvas.right) - Math.min(stroke.canvas.left, next.canvas.left) > height) return false;
  // Untimed, the headings need three points a side to be worth anything.
  if (a.length < 3 || b.length < 3 || gap > SKIP_STEPS * step) return false;
  const leaving = headingOf(a[a.length - 3], a[a.length - 1]),
    entering = headingOf(b[0], b[2]);
  const cos = (u: number[], v: number[]) => u[0] * v[0] + u[1] * v[1];
  if (gap < step) return cos(leaving, entering) >= SKIP_HEADING;
  const across = headingOf(a[a.length - 1], b[0]);
  return cos(leaving, across) >= SKIP_HEADING && cos(across, entering) >= SKIP_HEADING;
}

/** Strokes that come this close (in writing heights) touch: a pen drew one from or across the other. */
const TOUCH_DISTANCE = 0.05;

/** Whether two strokes touch or cross, comparing points about a touch distance apart along each. */
export function touching(a: PenStroke, b: PenStroke, height: number): boolean {
  const reach = TOUCH_DISTANCE * height;
  if (a.left - reach > b.right || b.left - reach > a.right || a.top - reach > b.bottom || b.top - reach > a.bottom) return false;
  const sparse = (s: PenStroke) => {
    const kept: StrokePoint[] = [];
    for (const p of s.points) {
      const last = kept[kept.length - 1];
      if (!last || Math.hypot(p[0] - last[0], p[1] - last[1]) >= reach) kept.push(p);
    }
    kept.push(s.points[s.points.length - 1]);
    return kept;
  };
  const pa = sparse(a),
    pb = sparse(b);
  // Sampled a reach apart, two strokes that cross pass within reach of each other's samples.
  for (const p of pa) for (const q of pb) if (Math.abs(p[0] - q[0]) <= reach && Math.abs(p[1] - q[1]) <= reach) return true;
  return false;
}

/** A late stroke overlapping this share of its own width with an earlier stroke is taken as that stroke's digit's. */
const LATE_STROKE_OVERLAP = 0.3;

/**
 * The strokes in the order they are grouped: the order written, except that a stroke added to a
 * digit after the pen moved on (the bar of a 4 or a 5 after the next digit, a 7's cross) is moved
 * to just after the last earlier stroke it overlaps, so that a digit's strokes are always neighbours.
 * `placeLoneLate`: a stroke that came back left of what was written since and touches none of it,
 * nor anything else, goes by its place too (a 4's stem written after the next digit, short of its
 * arm). Only as a second order for the search to weigh: a new digit's first stroke can look the same.
 */
export function groupingOrder(strokes: readonly PenStroke[], height: number, placeLoneLate = false): PenStroke[] {
  const order: PenStroke[] = [];
  for (const [k, stroke] of strokes.entries()) {
    // The rest of a stroke the pen broke comes right after its first piece, wherever that went.
    const broken = k > 0 && continuesAfterSkip(strokes[k - 1], stroke, height) ? order.indexOf(strokes[k - 1]) : -1;
    if (broken >= 0) {
      order.splice(broken + 1, 0, stroke);
      continue;
    }
    const width = Math.max(stroke.right - stroke.left, 1e-6);
    const joins = (s: PenStroke) => horizontalOverlap(s, stroke) >= LATE_STROKE_OVERLAP * width || touching(s, stroke, height);
    let host = -1;
    for (let i = order.length - 1; i >= 0; i--) {
      if (joins(order[i])) {
        host = i;
        break;
      }
    }
    // A stroke has come back late when it went back left of what was written since its host, and
    // none of that touches it or shares much of its columns (the next digit may lean over its edge).
    // What was written since and lies wholly left of it (its own digit's other strokes, an earlier
    // digit's late stroke) stays before it.
    const between = order.slice(host + 1);
    const centre = (stroke.left + stroke.right) / 2;
    const apart = (s: PenStroke) => horizontalOverlap(s, stroke) < 0.25 * width && !touching(s, stroke, height);
    const wentBack = between.some((s) => centre < s.left) && between.every((s) => centre < s.left || s.right < centre);
    if ((host >= 0 || placeLoneLate) && wentBack && between.every(apart)) {
      let at = host + 1;
      for (let i = order.length - 1; i > host; i--) {
        if (order[i].right < centre) {
          at = i + 1;
          break;
        }
      }
      // Never between the pieces of a stroke the pen broke: after the last of them.
      while (at > 0 && at < order.length && continuesAfterSkip(order[at - 1], order[at], height)) at++;
      order.splice(at, 0, stroke);
    } else order.push(stroke);
  }
  return order;
}

/**
 * Cuts the grouping order where everything before lies clearly left of everything after (a gap of
 * `gap` units): no digit spans such a cut, so each part is grouped on its own, and a digit in a
 * part that new ink does not reach keeps its reading. Never between the pieces of a stroke the pen
 * broke (see continuesAfterSkip; `height`, the writing's): a skip can leave such a gap inside a digit.
 */
export function independentParts(order: readonly PenStroke[], gap: number, height: number): PenStroke[][] {
  const parts: PenStroke[][] = [];
  const rightOfPrefix: number[] = [];
  let right = -Infinity;
  for (const s of order) rightOfPrefix.push((right = Math.max(right, s.right)));
  let leftOfSuffix = Infinity;
  const leftFrom: number[] = new Array(order.length);
  for (let i = order.length - 1; i >= 0; i--) leftFrom[i] = leftOfSuffix = Math.min(leftOfSuffix, order[i].left);
  let start = 0;
  for (let i = 0; i < order.length - 1; i++) {
    if (leftFrom[i + 1] - rightOfPrefix[i] >= gap && !continuesAfterSkip(order[i], order[i + 1], height)) {
      parts.push(order.slice(start, i + 1));
      start = i + 1;
    }
  }
  if (order.length > start) parts.push(order.slice(start));
  return parts;
}
