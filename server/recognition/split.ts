/**
 * Splitting touching digits: a piece of ink wider than one digit is cut along paths of least ink,
 * and the cutting whose pieces the classifier reads likeliest together wins.
 */
import type { InkImage } from './binarize.js';
import { labelFlags, type Box, type ComponentImage, type InkComponent } from './components.js';
import { digitInput, inkBox, type RowSpans } from './crops.js';
import type { DigitPrediction } from './classifier.js';

/** Ink wider than this many digit heights may hold more than one digit... */
const SPLIT_WIDTH_RATIO = 1.05;
/** ...and only if it is also this many times as wide as a single digit of the same writing. */
const SPLIT_DIGIT_WIDTHS = 1.4;
/**
 * A digit's width in digit heights when the writing does not show it: on the wide side of MNIST's
 * average (about 0.6), so that a broad single digit is not expected to be two.
 */
const EXPECTED_WIDTH_RATIO = 0.75;
/** Pieces narrower than this many digit heights are taken as single digits when measuring the writing. */
const CLEARLY_SINGLE_RATIO = 0.9;
/** Every piece of a cut must be about as tall as a digit: slivers of one digit are not digits. */
const MIN_SEGMENT_HEIGHT_RATIO = 0.55;
/**
 * Score lost per digit of difference from the count the width suggests (in log-probability of the
 * whole reading), beyond half a digit either way: widths only roughly say how many digits there
 * are, so this only breaks near-ties between what the network reads.
 */
const COUNT_PRIOR = 0.15;
const COUNT_TOLERANCE = 0.5;
/** Confidences are floored here in the score: one hopeless piece does not sink a whole reading. */
const MIN_CONFIDENCE = 1e-6;
/**
 * A piece no wider than this (in digit heights) that reads as one digit with at least
 * SINGLE_CONFIDENCE stays whole: the network also reads pieces of a digit confidently (half a 0 is
 * a fine 6 or 1), so a confident whole reading outweighs a confident cutting.
 */
const SINGLE_MAX_WIDTH_RATIO = 1.45;
const SINGLE_CONFIDENCE = 0.9;
/** A piece of ink wider than this many digit heights is never read as one digit. */
const MAX_WHOLE_RATIO = 2;
/** Candidate pieces are between these widths, in digit heights (a 1 is narrow, a wide 0 is not). */
const MIN_SEGMENT_RATIO = 0.12;
const MAX_SEGMENT_RATIO = 1.25;
/**
 * A cut starts at a column and may drift up to `driftRatio` digit heights either side of it, a
 * pixel per row at most, to pass through the gap between digits that lean into each other rather
 * than through their strokes; each pixel of drift costs DRIFT_COST ink, so that it drifts only to
 * avoid ink.
 */
const DRIFT_COST = 0.02;
const MAX_DIGITS_PER_PIECE = 6;

/** Where cuts are tried. */
export interface CutOptions {
  /** Columns with the least ink crossing them (local minima of the column profile), at most this many. */
  leastInkColumns: number;
  /** Also a cut every this many digit heights across the piece; 0 for none. */
  stepRatio: number;
  driftRatio: number;
}

/**
 * First cuts: a few, where little ink crosses, free to lean a fifth of a digit height into the gap
 * between leaning digits. Cheap, and right for most touching digits.
 */
export const FIRST_CUTS: CutOptions = { leastInkColumns: 16, stepRatio: 0, driftRatio: 0.2 };
/**
 * Fine cuts, for ink the first cuts left unsure: a cut every eighth of a digit height, nearly
 * straight, so that one lies beside a 1 that leans on a 0 and the cuts do not all drift into the
 * same gap. Several times the pieces to read, so only when needed. (On 200 touching numbers made
 * of validation digits they took exact readings from 84.0 to 89.0 % with the same model; see the README.)
 */
export const FINE_CUTS: CutOptions = { leastInkColumns: 6, stepRatio: 0.12, driftRatio: 0.05 };

export interface Segment {
  box: Box;
  labels: number[];
  /** Where between the cuts its ink lies. */
  spans: RowSpans;
  input: Float32Array;
}

export interface SplitCandidates {
  component: InkComponent;
  /** Cut paths, left to right: per row of the component, the column the cut passes; first = left edge, last = right edge. */
  cuts: Int32Array[];
  /** segments.get(`${i},${j}`) is the ink between cuts i and j. */
  segments: Map<string, Segment>;
  cutOptions: CutOptions;
}

/**
 * How wide one digit is in this writing: the median width of the pieces that are clearly single
 * digits, when there are enough of them; else a width from the height.
 */
export function typicalDigitWidth(pieces: InkComponent[], digitHeight: number): number {
  const singles = pieces
    .filter((p) => p.width <= CLEARLY_SINGLE_RATIO * digitHeight && p.height >= 0.6 * digitHeight)
    .map((p) => p.width)
    .sort((a, b) => a - b);
  const fallback = EXPECTED_WIDTH_RATIO * digitHeight;
  return singles.length >= 3 ? Math.max(singles[Math.floor(singles.length / 2)], 0.5 * fallback) : fallback;
}

export function needsSplitCheck(component: InkComponent, digitHeight: number, digitWidth: number): boolean {
  return component.width > SPLIT_WIDTH_RATIO * digitHeight && component.width > SPLIT_DIGIT_WIDTHS * digitWidth;
}

function columnProfile(components: ComponentImage, component: InkComponent): number[] {
  const own = labelFlags(components, component.labels);
  const profile = new Array<number>(component.width).fill(0);
  for (let y = component.y; y < component.y + component.height; y++) {
    for (let x = 0; x < component.width; x++) {
      if (own[components.labels[y * components.width + component.x + x]]) profile[x]++;
    }
  }
  return profile.map((_, i) => (profile[i - 1] ?? profile[i]) + profile[i] + (profile[i + 1] ?? profile[i]));
}

/**
 * The cut with the least ink through the piece from top to bottom that starts near `column`
 * (dynamic programming over rows; moves at most one pixel sideways per row, within the drift).
 */
function cutPath(ink: InkImage, own: Uint8Array, components: ComponentImage, component: InkComponent, column: number, drift: number): Int32Array {
  const { x: left, y: top, width, height } = component;
  const from = Math.max(left + 1, column - drift),
    to = Math.min(left + width - 1, column + drift);
  const span = to - from + 1;
  const cost = new Float32Array(span),
    next = new Float32Array(span);
  const back = new Int8Array(height * span);
  const inkAt = (x: number, y: number) => (own[components.labels[y * ink.width + x]] ? ink.intensity[y * ink.width + x] / 255 : 0);
  for (let i = 0; i < span; i++) cost[i] = inkAt(from + i, top) + DRIFT_COST * Math.abs(from + i - column);
  for (let row = 1; row < height; row++) {
    for (let i = 0; i < span; i++) {
      let best = cost[i],
        step = 0;
      if (i > 0 && cost[i - 1] < best) {
        best = cost[i - 1];
        step = -1;
      }
      if (i < span - 1 && cost[i + 1] < best) {
        best = cost[i + 1];
        step = 1;
      }
      next[i] = best + inkAt(from + i, top + row) + DRIFT_COST * Math.abs(from + i - column);
      back[row * span + i] = step;
    }
    cost.set(next);
  }
  let end = 0;
  for (let i = 1; i < span; i++) if (cost[i] < cost[end]) end = i;
  const path = new Int32Array(height);
  for (let row = height - 1; row >= 0; row--) {
    path[row] = from + end;
    end += back[row * span + end];
  }
  return path;
}

export function splitCandidates(
  ink: InkImage,
  components: ComponentImage,
  component: InkComponent,
  digitHeight: number,
  cutOptions = FIRST_CUTS,
): SplitCandidates {
  const { x, width } = component;
  const minimum = Math.max(2, Math.round(MIN_SEGMENT_RATIO * digitHeight));
  const profile = columnProfile(components, component);
  const minima: { column: number; ink: number }[] = [];
  for (let i = minimum; i < width - minimum; i++) {
    if (profile[i] <= profile[i - 1] && profile[i] <= profile[i + 1]) minima.push({ column: i, ink: profile[i] });
  }
  minima.sort((a, b) => a.ink - b.ink);
  const interior = minima.slice(0, cutOptions.leastInkColumns).map((m) => m.column);
  const step = Math.round(cutOptions.stepRatio * digitHeight);
  if (step > 0) for (let column = step; column < width - minimum; column += step) interior.push(column);
  const expected = Math.max(2, Math.round(width / (EXPECTED_WIDTH_RATIO * digitHeight)));
  for (let k = 2; k <= Math.min(MAX_DIGITS_PER_PIECE, expected + 1); k++) {
    for (let i = 1; i < k; i++) interior.push(Math.round((width * i) / k));
  }
  const columns: number[] = [];
  for (const column of [...new Set(interior)].sort((a, b) => a - b)) if (columns.length === 0 || column - columns.at(-1)! > 2) columns.push(column);
  const own = labelFlags(components, component.labels);
  const drift = Math.round(cutOptions.driftRatio * digitHeight);
  const cuts = [
    new Int32Array(component.height).fill(x),
    ...columns.map((c) => cutPath(ink, own, components, component, x + c, drift)),
    new Int32Array(component.height).fill(x + width),
  ];
  // Each path's leftmost and rightmost column: a stretch's width follows from its two paths' alone.
  const leftmost = cuts.map((cut) => cut.reduce((a, b) => Math.min(a, b))),
    rightmost = cuts.map((cut) => cut.reduce((a, b) => Math.max(a, b)));
  const segments = new Map<string, Segment>();
  for (let i = 0; i < cuts.length - 1; i++) {
    for (let j = i + 1; j < cuts.length; j++) {
      const span = Math.max(rightmost[i], rightmost[j]) - leftmost[i];
      // The whole piece is a candidate up to the width of the broadest single digit, wider than
      // any piece of a cut.
      const whole = i === 0 && j === cuts.length - 1 && span <= MAX_WHOLE_RATIO * digitHeight;
      if (span > MAX_SEGMENT_RATIO * digitHeight && !whole) continue;
      if (span < minimum) continue;
      // Paths that cross leave the rows where they do empty.
      const spans: RowSpans = { top: component.y, from: cuts[i], to: cuts[j].map((to, row) => Math.max(to, cuts[i][row])) };
      const box = inkBox(ink, components, component.labels, component, spans);
      if (!box || box.height < MIN_SEGMENT_HEIGHT_RATIO * digitHeight) continue;
      segments.set(`${i},${j}`, { box, labels: component.labels, spans, input: digitInput(ink, components, component.labels, box, spans) });
    }
  }
  return { component, cuts, segments, cutOptions };
}

export interface ChosenSegment {
  segment: Segment;
  prediction: DigitPrediction;
}

/**
 * The best way to read the piece: for each number of digits k, the cutting that maximises the sum
 * of log-confidences (dynamic programming over cut columns); across k, the best sum (the
 * probability of the whole reading, with "not one digit" taking its share from bad pieces) less a
 * prior for straying from the count the piece's width suggests. A mean per digit would favour
 * cutting one digit into two confident pieces.
 */
export function chooseSplit(candidates: SplitCandidates, predictions: Map<string, DigitPrediction>, digitHeight: number, digitWidth: number): ChosenSegment[] {
  const { cuts, segments, component } = candidates;
  const n = cuts.length;
  const expected = Math.max(1, component.width / digitWidth);
  // best[k][j]: best sum of log-confidence covering cuts 0..j with k segments; from[k][j] its last
  // cut, skipped[k][j] whether the stretch from there was left unread.
  const best = Array.from({ length: MAX_DIGITS_PER_PIECE + 1 }, () => new Array<number>(n).fill(-Infinity));
  const from = Array.from({ length: MAX_DIGITS_PER_PIECE + 1 }, () => new Array<number>(n).fill(-1));
  const skipped = Array.from({ length: MAX_DIGITS_PER_PIECE + 1 }, () => new Array<boolean>(n).fill(false));
  best[0][0] = 0;
  for (let k = 0; k <= MAX_DIGITS_PER_PIECE; k++) {
    for (let j = 1; j < n; j++) {
      for (let i = 0; i < j; i++) {
        const prediction = predictions.get(`${i},${j}`);
        if (k > 0 && prediction && best[k - 1][i] > -Infinity) {
          const score = best[k - 1][i] + Math.log(Math.max(prediction.confidence, MIN_CONFIDENCE));
          if (score > best[k][j]) {
            best[k][j] = score;
            from[k][j] = i;
            skipped[k][j] = false;
          }
        }
        // A stretch between neighbouring cuts that no candidate piece covers (too low, too narrow)
        // is left unread rather than losing the reading of all the rest of the ink; it costs as
        // much as the worst reading per digit width it spans.
        if (j === i + 1 && !prediction && best[k][i] > -Infinity) {
          const stretch = Math.max(...cuts[j]) - Math.min(...cuts[i]);
          const score = best[k][i] + Math.log(MIN_CONFIDENCE) * Math.max(1, stretch / digitWidth);
          if (score > best[k][j]) {
            best[k][j] = score;
            from[k][j] = i;
            skipped[k][j] = true;
          }
        }
      }
    }
  }
  let chosenK = 0,
    chosenScore = -Infinity;
  for (let k = 1; k <= MAX_DIGITS_PER_PIECE; k++) {
    if (best[k][n - 1] === -Infinity) continue;
    const score = best[k][n - 1] - COUNT_PRIOR * Math.max(0, Math.abs(k - expected) - COUNT_TOLERANCE);
    if (score > chosenScore) {
      chosenScore = score;
      chosenK = k;
    }
  }
  const whole = predictions.get(`0,${n - 1}`);
  if (whole && whole.confidence >= SINGLE_CONFIDENCE && component.width <= SINGLE_MAX_WIDTH_RATIO * digitHeight) chosenK = 1;
  if (chosenK === 0) return [];
  const chosen: ChosenSegment[] = [];
  for (let k = chosenK, j = n - 1; k > 0;) {
    const i = from[k][j];
    if (!skipped[k][j]) {
      const key = `${i},${j}`;
      chosen.unshift({ segment: segments.get(key)!, prediction: predictions.get(key)! });
      k--;
    }
    j = i;
  }
  return chosen;
}
