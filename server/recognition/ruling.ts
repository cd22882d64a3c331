/**
 * Ruled and margin lines out of an ink mask, keeping the digit strokes that cross them. A ruled
 * line touching the digits joins them into one piece of ink as wide as the page, and a margin line
 * through a number reads as a 1; yet both are printed straight across most of the sheet, longer
 * and thinner than any digit.
 */
import { cv, withMats, type Mat } from '../ml/opencv.js';
import type { Box } from './components.js';
import { forEachInk, inkBytesOf, inkRows, labelInk, percentile, rowWords } from './masks.js';

/**
 * A horizontal line spans at least this share of the frame's width: far more than any digit's bar.
 * Ruled lines often show only in part (faint ink where the light is bright).
 */
const MIN_HORIZONTAL_SPAN = 0.2;
/**
 * A vertical line spans this share of the frame's height, or reaches its top or bottom border and
 * spans at least the second: a tall 1 is as straight, but does not run off the page.
 */
const MIN_VERTICAL_SPAN = 0.45;
const MIN_VERTICAL_SPAN_AT_BORDER = 0.25;
/**
 * And is longer than this many pen widths, whatever the frame: a close-up of a short number makes
 * a digit's bar a fifth of the frame, but never three digits long (a digit is 5-12 pens tall).
 */
const MIN_LINE_PENS = 30;
/** The thickest a vertical line that does not reach the border may be, for its length (less the thickening). */
const MAX_FREE_VERTICAL_THICKNESS = 1 / 100;
/**
 * And is at most this thick for its length (mean thickness over length): a tall 1 written with a
 * fine pen is still several times thicker for its height than a printed rule.
 */
const MAX_THICKNESS_PER_LENGTH = 1 / 60;
/** The thinnest printed line this finds, in pixels, and the steepest slope (a sheet turned ~10°). */
const RUN_PIXELS = 2;
const MAX_SLOPE = 0.18;
/**
 * At least this share of a line's pixels (once thickened and opened) lie on its fitted band. Bold
 * digits written on a ruled line join it through their bars, which the opening keeps, and a few of
 * them on a short stretch of line leave it under three quarters line (242 on a sheet's last rule).
 */
const MIN_ON_LINE = 0.6;
/**
 * Or at least this share of its columns hold nothing but the line: a bold digit's bar lying along
 * the line (a 7's flag) holds more ink than the line over its stretch, yet leaves the line bare
 * in most columns, as writing whose strokes happen to join never is.
 */
const MIN_LINE_ONLY = 0.6;
/** The thickest a line of `length` pixels may be (after the thickening across it). */
const maxThickness = (length: number) => Math.max(RUN_PIXELS + 5, length * MAX_THICKNESS_PER_LENGTH);
/** A line has ink in at least this share of the columns (rows) it spans: a faint one breaks in places. */
const MIN_COLUMNS_ON_LINE = 0.7;
/** Pixels farther than this from a line's fit are not the line. */
const OFF_LINE = 3;
/** A stroke crosses a line where there is ink this many pixels beyond the line on either side. */
const CROSSING_REACH = 2;
/**
 * Ink on a line's band this many levels stronger than the line's own ink is a stroke lying along
 * it (a digit's top on a ruled line, a 1 drawn down the margin line) and is kept. The line's own
 * level is the middle of its paler half: where a stroke lies along it, the band holds both.
 */
const DARKER_THAN_LINE = 40;

/**
 * Clears from `mask` (255 ink, 0 background) the pixels of long straight near-horizontal and
 * near-vertical lines, except where a stroke crosses them and, given the ink's `intensity` (its
 * contrast against the paper, per pixel), where a stroke far darker than the line lies along it.
 * `pen`: the writing's pen width in pixels (see binarize.ts penWidth). Returns how many lines were removed.
 */
export function removeRuledLines(mask: Uint8Array, width: number, height: number, pen: number, intensity?: Uint8Array): number {
  return removeLines(mask, width, height, pen, 'horizontal', intensity) + removeLines(mask, width, height, pen, 'vertical', intensity);
}

function removeLines(mask: Uint8Array, width: number, height: number, pen: number, direction: 'horizontal' | 'vertical', intensity?: Uint8Array): number {
  const horizontal = direction === 'horizontal';
  const along = horizontal ? width : height;
  // Thickening across the line first makes a sloped line's runs long enough for the opening: a
  // line `RUN_PIXELS + 2` thick at slope MAX_SLOPE has runs of (RUN_PIXELS + 2) / MAX_SLOPE pixels.
  const run = Math.max(9, Math.floor((RUN_PIXELS + 2) / MAX_SLOPE));
  if (along < 4 * run) return 0;
  const { runs, pixels, box } = longRuns(mask, width, height, horizontal, run);
  // Too few pixels in long runs to make even the shortest line: nothing to label.
  const shortest = Math.max(MIN_LINE_PENS * pen, (horizontal ? MIN_HORIZONTAL_SPAN : MIN_VERTICAL_SPAN_AT_BORDER) * along);
  if (pixels < shortest) return 0;
  const minimumSpan = (atBorder: boolean) =>
    Math.max(MIN_LINE_PENS * pen, (horizontal ? MIN_HORIZONTAL_SPAN : atBorder ? MIN_VERTICAL_SPAN_AT_BORDER : MIN_VERTICAL_SPAN) * along);
  // Only the box round the long runs is labelled: on a frame without lines it holds a few digit
  // bars, and labelling the whole frame cost more than the rest of this step.
  const { count, labels: boxLabels, stats: s } = labelInk(cropped(runs, width, box), box.width, box.height);
  for (let l = 1; l < count; l++) {
    s[l * 5] += box.x;
    s[l * 5 + 1] += box.y;
  }
  const labelAt = (x: number, y: number) => boxLabels[(y - box.y) * box.width + x - box.x];
  const acrossCount = horizontal ? height : width;
  const at = (position: number, offset: number) => (horizontal ? offset * width + position : position * width + offset);
  // Cleared once every line is found, when the lines' own ink level is known.
  const toClear: { first: number; length: number; line: FittedLine }[] = [];
  const clearLater = (first: number, length: number, line: FittedLine) => toClear.push({ first, length, line });
  /** Calls `visit` with each band pixel of `line` that no stroke crosses. */
  const forEachBandPixel = ({ first, length, line }: (typeof toClear)[number], visit: (i: number) => void) => {
    for (let position = first; position < first + length; position++) {
      const centre = centreAt(line, position);
      const start = Math.max(0, Math.floor(centre - line.half)),
        end = Math.min(acrossCount - 1, Math.ceil(centre + line.half));
      // A stroke crosses the line where there is ink just beyond it on either side.
      const before = start - CROSSING_REACH,
        after = end + CROSSING_REACH;
      const crossed = (before >= 0 && mask[at(position, before)] > 0) || (after < acrossCount && mask[at(position, after)] > 0);
      if (!crossed) for (let o = start; o <= end; o++) visit(at(position, o));
    }
  };
  // A free vertical line must be far thinner than a tall 1's stroke.
  const thinEnough = (thickness: number, length: number, atBorder: boolean) => horizontal || atBorder || thickness - 2 <= length * MAX_FREE_VERTICAL_THICKNESS;
  let lines = 0;
  const pieces: LinePiece[] = [];
  for (let l = 1; l < count; l++) {
    const row = l * 5;
    const first = horizontal ? s[row] : s[row + 1],
      length = horizontal ? s[row + 2] : s[row + 3],
      acrossFirst = horizontal ? s[row + 1] : s[row],
      acrossLast = acrossFirst + (horizontal ? s[row + 3] : s[row + 2]);
    const atBorder = horizontal ? false : s[row + 1] === 0 || s[row + 1] + s[row + 3] === height;
    const longEnough = length >= minimumSpan(atBorder);
    if (!longEnough && (length < MIN_PIECE_RUNS * run || pieces.length >= MAX_LINE_PIECES)) continue;
    const line = fitLine(first, length, acrossFirst, acrossLast, s[row + 4], horizontal, (x, y) => labelAt(x, y) === l);
    if (!line) {
      // Far more ink than a few lines hold is a shadow's or the sheet's edge, or a picture.
      if (!longEnough || s[row + 4] > MAX_LINES_OF_INK * maxThickness(length) * length) continue;
      const { positions, offsets } = pixelsIn(
        { x: s[row], y: s[row + 1], width: s[row + 2], height: s[row + 3] },
        s[row + 4],
        (x, y) => labelAt(x, y) === l,
        horizontal,
      );
      for (const within of linesWithin(positions, offsets, along, minimumSpan)) {
        if (!thinEnough(within.line.thickness, within.length, within.atBorder)) continue;
        lines++;
        clearLater(within.first, within.length, within.line);
        pieces.push({ ...within, found: true });
      }
      continue;
    }
    if (!longEnough) {
      pieces.push({ first, length, line, atBorder, found: false });
      continue;
    }
    if (!thinEnough(line.thickness, length, atBorder)) continue;
    lines++;
    clearLater(first, length, line);
    pieces.push({ first, length, line, atBorder, found: true });
  }
  if (pieces.length >= MIN_PIECES_FOR_PAGE_SEARCH) {
    // Faint rules all over the page binarise as dashes: each too short to be a line, and too many
    // to weigh piece by piece, they are found by the same vote over every long run in the frame.
    const { positions, offsets } = pixelsIn(box, pixels, (x, y) => runs[y * width + x] > 0, horizontal);
    const acrossPage = (atBorder: boolean) => Math.max(minimumSpan(atBorder), MIN_DASHED_SPAN * along);
    for (const dashed of linesWithin(positions, offsets, along, acrossPage, {
      coverage: MIN_DASHED_COVERAGE,
      maxLines: MAX_LINES_ON_PAGE,
      slopesNearFirst: true,
    })) {
      if (!thinEnough(dashed.line.thickness, dashed.length, dashed.atBorder)) continue;
      // The lines found whole are voted for again; cleared twice, they are counted once.
      const middle = dashed.first + dashed.length / 2;
      if (!pieces.some((p) => p.found && Math.abs(centreAt(p.line, middle) - centreAt(dashed.line, middle)) <= OFF_LINE)) lines++;
      clearLater(dashed.first, dashed.length, dashed.line);
    }
  }
  for (const group of collinear(pieces)) {
    const rest = group.filter((p) => !p.found);
    if (rest.length === 0) continue;
    // A piece on a line already found is more of it (a stub beyond where the line crosses a digit).
    if (rest.length < group.length) {
      for (const piece of rest) clearLater(piece.first, piece.length, piece.line);
      continue;
    }
    const first = Math.min(...group.map((p) => p.first));
    const span = Math.max(...group.map((p) => p.first + p.length)) - first;
    const atBorder = group.some((p) => p.atBorder);
    const thickness = Math.max(...group.map((p) => p.line.thickness));
    if (span < minimumSpan(atBorder) || !thinEnough(thickness, span, atBorder)) continue;
    lines++;
    for (const piece of group) clearLater(piece.first, piece.length, piece.line);
  }
  if (toClear.length === 0) return lines;
  let keepFrom = 256;
  if (intensity) {
    const levels = new Float64Array(256);
    let inked = 0;
    for (const band of toClear)
      forEachBandPixel(band, (i) => {
        if (mask[i]) {
          levels[intensity[i]]++;
          inked++;
        }
      });
    if (inked > 0) keepFrom = percentile(levels, inked, 0.25) + DARKER_THAN_LINE;
  }
  const cleared = mask.slice();
  for (const band of toClear)
    forEachBandPixel(band, (i) => {
      if (!intensity || intensity[i] < keepFrom) cleared[i] = 0;
    });
  mask.set(cleared);
  return lines;
}

/** At most this many lines are taken out of one piece (see linesWithin). */
const MAX_LINES_PER_PIECE = 8;
/**
 * A piece holding more ink than this many of the thickest lines its length allows is not looked
 * into: a shadow's or the sheet's edge, or a picture.
 */
const MAX_LINES_OF_INK = 3;
/** At most this many of a piece's pixels vote, evenly spread: a line's votes only need to stand out. */
const MAX_VOTERS = 1500;

/**
 * A direction with at least this many pieces (each at least MIN_PIECE_RUNS opening runs long) is
 * searched whole for lines of dashes: MAX_LINES_ON_PAGE at most, each spanning MIN_DASHED_SPAN of
 * the frame at least, with ink in MIN_DASHED_COVERAGE of its columns: writing does not line up so
 * far and so thinly.
 */
const MIN_PIECES_FOR_PAGE_SEARCH = 10;
const MAX_LINES_ON_PAGE = 60;
const MIN_DASHED_SPAN = 0.5;
const MIN_DASHED_COVERAGE = 0.4;
/**
 * A page's rules in one direction differ in slope by the camera's perspective only: once the best
 * is found, the others are looked for within this much of its slope (a third of the slopes, and of
 * the search's cost).
 */
const PAGE_SLOPE_SPREAD = 0.05;

/**
 * Writing joins ruled lines into one piece of ink (squared paper's rules through every digit, a
 * digit's flat stroke from one rule to the next), and a piece that holds a line and writing beside
 * it is no line, however long. The lines in such a piece (its pixels' `positions` along the
 * direction and `offsets` across it) are found one at a time by a Hough transform over the slopes
 * a rule may have: each pixel votes for every line through it, the best-voted line is taken with
 * the pixels on its band, and is a line where those span enough of the page, in most of its
 * columns (`coverage`), thinly. Its pixels' votes are then taken back before the next is looked
 * for (the page search gives every long run in the frame, and a lower coverage, for dashes). The first
 * that is not a line ends the search: the rest got fewer votes. Written out rather than with
 * OpenCV's HoughLines, which returns every peak of one vote: a strong line's near copies, a pixel
 * or a degree off, come before the weaker lines (with it, photo-squared read 84.0 % of validation
 * frames instead of 86.0 %, and 87.5 % of test frames instead of 88.0 %).
 */
function linesWithin(
  positions: Int32Array,
  offsets: Int32Array,
  along: number,
  minimumSpan: (atBorder: boolean) => number,
  { coverage = MIN_COLUMNS_ON_LINE, maxLines = MAX_LINES_PER_PIECE, slopesNearFirst = false } = {},
): Omit<LinePiece, 'found'>[] {
  const count = positions.length;
  let firstPosition = along,
    lastPosition = 0,
    lowest = Infinity,
    highest = -Infinity;
  for (let i = 0; i < count; i++) {
    firstPosition = Math.min(firstPosition, positions[i]);
    lastPosition = Math.max(lastPosition, positions[i]);
    lowest = Math.min(lowest, offsets[i]);
    highest = Math.max(highest, offsets[i]);
  }
  const length = lastPosition - firstPosition + 1;
  // Slopes a pixel apart over the piece's length; a line is voted for by where it crosses the
  // piece's first position, `reach` more than the piece's own offsets either way.
  const slopeCount = Math.ceil(2 * MAX_SLOPE * length) + 1;
  const slopes = Float64Array.from({ length: slopeCount }, (_, k) => -MAX_SLOPE + (2 * MAX_SLOPE * k) / (slopeCount - 1));
  const reach = Math.ceil(MAX_SLOPE * length);
  const intercepts = highest - lowest + 1 + 2 * reach;
  const votes = new Int32Array(slopeCount * intercepts);
  const stride = Math.ceil(count / MAX_VOTERS);
  const vote = (i: number, weight: number) => {
    const position = positions[i] - firstPosition,
      offset = offsets[i] - lowest + reach + 0.5;
    for (let k = 0, row = 0; k < slopeCount; k++, row += intercepts) votes[row + ((offset - slopes[k] * position) | 0)] += weight;
  };
  for (let i = 0; i < count; i += stride) vote(i, 1);
  const leastPixels = coverage * minimumSpan(true);
  const taken = new Uint8Array(count);
  const lines: Omit<LinePiece, 'found'>[] = [];
  const onBand: number[] = [];
  while (lines.length < maxLines) {
    // The best line, its band three intercepts wide: a rule is a few pixels thick.
    let best = 0,
      bestAt = -1;
    let fromK = 0,
      toK = slopeCount;
    if (slopesNearFirst && lines.length > 0) {
      const firstK = Math.round(((lines[0].line.slope + MAX_SLOPE) / (2 * MAX_SLOPE)) * (slopeCount - 1));
      const slopesAway = Math.ceil((PAGE_SLOPE_SPREAD / (2 * MAX_SLOPE)) * (slopeCount - 1));
      fromK = Math.max(0, firstK - slopesAway);
      toK = Math.min(slopeCount, firstK + slopesAway + 1);
    }
    for (let k = fromK, row = fromK * intercepts; k < toK; k++, row += intercepts)
      for (let c = row + 1; c < row + intercepts - 1; c++) {
        const support = votes[c - 1] + votes[c] + votes[c + 1];
        if (support > best) {
          best = support;
          bestAt = c;
        }
      }
    if (best * stride < leastPixels) break;
    const slope = slopes[Math.floor(bestAt / intercepts)];
    const intercept = (bestAt % intercepts) + lowest - reach - slope * firstPosition;
    onBand.length = 0;
    for (let i = 0; i < count; i++) if (!taken[i] && Math.abs(offsets[i] - (slope * positions[i] + intercept)) <= OFF_LINE) onBand.push(i);
    if (onBand.length === 0) break;
    for (const i of onBand) {
      taken[i] = 1;
      if (i % stride === 0) vote(i, -1);
    }
    onBand.sort((a, b) => positions[a] - positions[b] || offsets[a] - offsets[b]);
    const middles: Middle[] = [];
    for (let j = 0; j < onBand.length;) {
      let k = j;
      while (k < onBand.length && positions[onBand[k]] === positions[onBand[j]]) k++;
      middles.push([positions[onBand[j]], offsets[onBand[(j + k) >> 1]], k - j]);
      j = k;
    }
    const first = middles[0][0],
      span = middles[middles.length - 1][0] - first + 1;
    const atBorder = first === 0 || first + span >= along;
    const thickness = onBand.length / middles.length;
    if (span < minimumSpan(atBorder) || middles.length < coverage * span || thickness > maxThickness(span)) break;
    lines.push({ first, length: span, atBorder, line: { ...trimmedFit(middles), thickness, half: Math.max(1, Math.ceil(thickness / 2)) } });
  }
  // Lines side by side, closer than two bands, are a thick band's pixels (a shadow's or the
  // sheet's edge), not rules.
  for (let i = 0; i < lines.length; i++)
    for (let j = i + 1; j < lines.length; j++) {
      const a = lines[i],
        b = lines[j];
      const middle = (Math.max(a.first, b.first) + Math.min(a.first + a.length, b.first + b.length)) / 2;
      if (Math.abs(centreAt(a.line, middle) - centreAt(b.line, middle)) <= 2 * OFF_LINE + 1) return [];
    }
  return lines;
}

/**
 * The pixels in `box` (of a `width`-wide frame) that `isPixel` (x, y) takes, `count` of them, in
 * row order: their positions along the direction and offsets across it.
 */
function pixelsIn(box: Box, count: number, isPixel: (x: number, y: number) => boolean, horizontal: boolean): { positions: Int32Array; offsets: Int32Array } {
  const positions = new Int32Array(count),
    offsets = new Int32Array(count);
  let n = 0;
  for (let y = box.y; y < box.y + box.height; y++)
    for (let x = box.x; x < box.x + box.width; x++)
      if (isPixel(x, y)) {
        positions[n] = horizontal ? x : y;
        offsets[n++] = horizontal ? y : x;
      }
  return { positions: positions.subarray(0, n), offsets: offsets.subarray(0, n) };
}

/** [position along the line, the middle of the component across it there, its pixels there]. */
type Middle = [number, number, number];

/** Where `line` lies across the direction at `position` along it. */
const centreAt = (line: FittedLine, position: number) => line.slope * position + line.intercept;

interface FittedLine {
  slope: number;
  intercept: number;
  thickness: number;
  half: number;
}

interface LinePiece {
  first: number;
  length: number;
  line: FittedLine;
  atBorder: boolean;
  /** A line long enough alone, already cleared. */
  found: boolean;
}

/**
 * A printed line is often broken where it fades or where it crosses the writing or another line:
 * pieces, each too short to be a line, that lie on one straight line and together span the page
 * are one; so is a piece on the line of one long enough alone (a margin line's stub on the far
 * side of the digit it crosses). At least MIN_PIECE_RUNS opening runs long each; at most MAX_LINE_PIECES are weighed.
 */
const MIN_PIECE_RUNS = 2;
const MAX_LINE_PIECES = 64;
/** Pieces of one line differ in slope by at most this, and each one's fit passes within OFF_LINE of the other's middle. */
const MAX_SLOPE_DIFFERENCE = 0.03;

/** The pieces in groups that lie on one line, in order along it; groups of one left out. */
function collinear(pieces: LinePiece[]): LinePiece[][] {
  const onOneLine = (a: LinePiece, b: LinePiece) => {
    const middleA = a.first + a.length / 2,
      middleB = b.first + b.length / 2;
    return (
      Math.abs(a.line.slope - b.line.slope) <= MAX_SLOPE_DIFFERENCE &&
      Math.abs(centreAt(a.line, middleB) - centreAt(b.line, middleB)) <= OFF_LINE &&
      Math.abs(centreAt(a.line, middleA) - centreAt(b.line, middleA)) <= OFF_LINE
    );
  };
  const groups: LinePiece[][] = [];
  for (const piece of [...pieces].sort((a, b) => a.first - b.first)) {
    const group = groups.find((g) => onOneLine(g[g.length - 1], piece));
    if (group) group.push(piece);
    else groups.push([piece]);
  }
  return groups.filter((g) => g.length > 1);
}

/** The `box` part of a `width`-wide image, as an image of its own. */
function cropped(image: Uint8Array, width: number, box: Box): Uint8Array {
  const out = new Uint8Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) out.set(image.subarray((box.y + y) * width + box.x, (box.y + y) * width + box.x + box.width), y * box.width);
  return out;
}

/**
 * The mask thickened by a pixel either side across the direction, then opened along it with a
 * `run`-pixel line: only runs at least that long survive. Written out rather than as OpenCV
 * morphology, whose cost grows with the kernel's length: one pass per line of pixels here.
 * Also how many pixels lie in such runs, and the box round them (empty when none). Exported for
 * its test, which holds the word-at-a-time reading to the pixel-by-pixel one.
 */
export function longRuns(mask: Uint8Array, width: number, height: number, horizontal: boolean, run: number): { runs: Uint8Array; pixels: number; box: Box } {
  const runs = new Uint8Array(width * height);
  let pixels = 0,
    left = width,
    top = height,
    right = 0,
    bottom = 0;
  const found = (x0: number, y0: number, x1: number, y1: number) => {
    pixels += (x1 - x0) * (y1 - y0);
    left = Math.min(left, x0);
    top = Math.min(top, y0);
    right = Math.max(right, x1);
    bottom = Math.max(bottom, y1);
  };
  // Rows without ink end every run and are otherwise skipped.
  const rowHasInk = inkRows(mask, width, height);
  // Four pixels to a word where every row starts on one (null otherwise: pixel by pixel).
  const words = rowWords(mask, width, height);
  if (horizontal) {
    // Four pixels at a time where rows start on a word: a word with ink in all four columns (of the
    // three rows) goes on the run, one with none ends it.
    for (let y = 0; y < height; y++) {
      if (!rowHasInk[y] && !(y > 0 && rowHasInk[y - 1]) && !(y < height - 1 && rowHasInk[y + 1])) continue;
      const row = y * width,
        above = y > 0 ? row - width : row,
        below = y < height - 1 ? row + width : row;
      let start = 0;
      for (let x = 0; x <= width; x++) {
        if (words && (x & 3) === 0 && x < width) {
          const column = words[(row + x) >> 2] | words[(above + x) >> 2] | words[(below + x) >> 2];
          if (inkBytesOf(column) === 0x80808080) {
            x += 3;
            continue;
          }
          if (column === 0) {
            if (x - start >= run) {
              runs.fill(255, row + start, row + x);
              found(start, y, x, y + 1);
            }
            start = x + 4;
            x += 3;
            continue;
          }
        }
        if (x < width && (mask[row + x] | mask[above + x] | mask[below + x]) > 0) continue;
        if (x - start >= run) {
          runs.fill(255, row + start, row + x);
          found(start, y, x, y + 1);
        }
        start = x + 1;
      }
    }
  } else {
    // Down the columns, but in row order (the mask's own), each column's run start kept apart. A
    // row without ink ends every column's run: once that is done, the empty rows after it only
    // move where the next runs start (`restart`). A column's start is brought up to `restart` only
    // when its run ends, which is the same, since `restart` only grows.
    const start = new Int32Array(width);
    let restart = 0;
    const close = (x: number, y: number, from: number) => {
      if (y - from >= run) {
        for (let yy = from; yy < y; yy++) runs[yy * width + x] = 255;
        found(x, from, x + 1, y);
      }
      start[x] = y + 1;
    };
    // Four columns at a time where rows start on a word: a word whose columns all have ink beside
    // them goes on; one with none ends its runs, and when it had none in the row before either,
    // there is no run to end and only that row is noted (`quietRow`: the columns' runs start after it).
    const wordsPerRow = width >> 2;
    const quietRow = new Int32Array(words ? wordsPerRow : 0).fill(-1);
    let previousRow = -1;
    for (let y = 0; y <= height; y++) {
      if (y < height && !rowHasInk[y] && y > 0 && !rowHasInk[y - 1]) {
        restart = y + 1;
        continue;
      }
      if (words) {
        const first = (y * width) >> 2;
        for (let w = 0; w < wordsPerRow; w++) {
          let beside = 0;
          if (y < height) {
            const own = words[first + w];
            beside = own | (own << 8) | (own >>> 8) | (w > 0 ? words[first + w - 1] >>> 24 : 0) | (w < wordsPerRow - 1 ? words[first + w + 1] << 24 : 0);
          }
          if (beside === 0 && quietRow[w] === previousRow) {
            quietRow[w] = y;
            continue;
          }
          if (inkBytesOf(beside) === 0x80808080) continue;
          const after = Math.max(quietRow[w] + 1, restart);
          for (let k = 0, x = w << 2; k < 4; k++, x++) if (((beside >>> (k << 3)) & 0xff) === 0) close(x, y, Math.max(start[x], after));
          if (beside === 0) quietRow[w] = y;
        }
      } else {
        const row = y * width;
        for (let x = 0; x < width; x++) {
          if (y < height && (mask[row + x] | (x > 0 ? mask[row + x - 1] : 0) | (x < width - 1 ? mask[row + x + 1] : 0)) > 0) continue;
          close(x, y, Math.max(start[x], restart));
        }
      }
      previousRow = y;
    }
  }
  const box = pixels > 0 ? { x: left, y: top, width: right - left, height: bottom - top } : { x: 0, y: 0, width: 0, height: 0 };
  return { runs, pixels, box };
}

/**
 * The straight line through a long component, or null when it is not one: fitted by least squares
 * to the middle of the component in each column (the median, so digit strokes that joined it pull
 * little), then checked: most columns have ink on the line, most of its pixels lie on it, and it
 * is thin for its length.
 * Returns the band, `half` pixels either side of the fit, that the line's pixels fill.
 */
function fitLine(
  first: number,
  length: number,
  acrossFirst: number,
  acrossLast: number,
  area: number,
  horizontal: boolean,
  inComponentAt: (x: number, y: number) => boolean,
): FittedLine | null {
  // Far more ink than a line of this length holds at its thickest (over 1 / MIN_ON_LINE times as
  // much): not a line, whatever lies along it. Bold digits' strokes are long runs too, and
  // measuring them costs more than the rest of the search.
  if (MIN_ON_LINE * area > maxThickness(length) * length) return null;
  const inComponent = (position: number, offset: number) => (horizontal ? inComponentAt(position, offset) : inComponentAt(offset, position));
  const middles = horizontal
    ? columnMiddles(first, length, acrossFirst, acrossLast, inComponentAt)
    : rowMiddles(first, length, acrossFirst, acrossLast, inComponentAt);
  if (middles.length < MIN_COLUMNS_ON_LINE * length) return null;
  const { slope, intercept } = trimmedFit(middles);
  // Pixels on the line (within OFF_LINE of the fit), per column: the thickened line's thickness.
  const inColumn = new Int32Array(length);
  for (const [position, , count] of middles) inColumn[position - first] = count;
  let onLine = 0,
    columnsOnLine = 0,
    lineOnly = 0;
  for (let position = first; position < first + length; position++) {
    const centre = slope * position + intercept;
    let here = 0;
    for (let offset = Math.max(acrossFirst, Math.floor(centre - OFF_LINE)); offset <= Math.min(acrossLast - 1, Math.ceil(centre + OFF_LINE)); offset++)
      if (inComponent(position, offset)) here++;
    onLine += here;
    if (here > 0) columnsOnLine++;
    if (here > 0 && here === inColumn[position - first]) lineOnly++;
  }
  // A line with digits on it is mostly line; writing whose strokes happen to join is not.
  if (columnsOnLine < MIN_COLUMNS_ON_LINE * length || (onLine < MIN_ON_LINE * area && lineOnly < MIN_LINE_ONLY * length)) return null;
  const thickness = onLine / columnsOnLine;
  if (thickness > maxThickness(length)) return null;
  return { slope, intercept, thickness, half: Math.max(1, Math.ceil(thickness / 2)) };
}

/**
 * A least-squares fit refitted on the middles nearest it, a few times: a bold digit stroke joined
 * to a line holds the middles of its columns well off the line (a 7's bar sitting on it), and on a
 * long line a single fit through them tilts far enough to leave the line's ends outside OFF_LINE.
 */
const FIT_KEEP = 0.7;
const FIT_ROUNDS = 3;

function trimmedFit(middles: Middle[]): { slope: number; intercept: number } {
  let kept = middles;
  let fit = leastSquares(kept);
  for (let round = 0; round < FIT_ROUNDS; round++) {
    const residuals = middles.map(([p, o]) => Math.abs(o - (fit.slope * p + fit.intercept)));
    const sorted = Float64Array.from(residuals).sort();
    const limit = Math.max(OFF_LINE, sorted[Math.floor(FIT_KEEP * (sorted.length - 1))]);
    const nearest = middles.filter((_, i) => residuals[i] <= limit);
    if (nearest.length === kept.length) break;
    kept = nearest;
    fit = leastSquares(kept);
  }
  return fit;
}

function leastSquares(points: Middle[]): { slope: number; intercept: number } {
  let n = 0,
    sp = 0,
    so = 0,
    spp = 0,
    spo = 0;
  for (const [p, o] of points) {
    n++;
    sp += p;
    so += o;
    spp += p * p;
    spo += p * o;
  }
  const denominator = n * spp - sp * sp;
  const slope = denominator > 0 ? (n * spo - sp * so) / denominator : 0;
  return { slope, intercept: (so - slope * sp) / n };
}

/** [y, the middle x of the component's pixels in row y, how many] for each row from `first` that has any. */
function rowMiddles(first: number, length: number, left: number, right: number, inComponent: (x: number, y: number) => boolean): Middle[] {
  const middles: Middle[] = [];
  const offsets: number[] = [];
  for (let y = first; y < first + length; y++) {
    offsets.length = 0;
    for (let x = left; x < right; x++) if (inComponent(x, y)) offsets.push(x);
    if (offsets.length > 0) middles.push([y, offsets[offsets.length >> 1], offsets.length]);
  }
  return middles;
}

/**
 * [x, the middle y of the component's pixels in column x, how many] for each column from `first` that has
 * any: counted, then found, in two passes row by row, in the labels' own order (down each column
 * instead cost a cache miss a pixel on a long line's box).
 */
function columnMiddles(first: number, length: number, top: number, bottom: number, inComponent: (x: number, y: number) => boolean): Middle[] {
  const counts = new Int32Array(length),
    seen = new Int32Array(length),
    middle = new Int32Array(length);
  for (let y = top; y < bottom; y++) for (let x = 0; x < length; x++) if (inComponent(first + x, y)) counts[x]++;
  for (let y = top; y < bottom; y++)
    for (let x = 0; x < length; x++)
      if (inComponent(first + x, y)) {
        if (seen[x] === counts[x] >> 1) middle[x] = y;
        seen[x]++;
      }
  const middles: Middle[] = [];
  for (let x = 0; x < length; x++) if (counts[x] > 0) middles.push([first + x, middle[x], counts[x]]);
  return middles;
}

/**
 * What a faint ruled line leaves where it meets writing: too faint along the page to be found as a
 * line, it is still ink beside the digits, where the threshold's hysteresis grows it out of their
 * strong ink, and the stub joins two digits or widens one into a piece the cutting splits wrong
 * (a 4 with a stub out of its arm read as "not one digit"). A stub is far thinner than the pen and
 * straight along the page's rules; a digit's strokes are the pen's width.
 */
const STUB_MAX_THICKNESS = 0.25;
/** And at least this many pens long: a stroke's tapering end or a corner is shorter. */
const STUB_MIN_LENGTH = 1.5;
/** And touches the stroke it leaves along at most this share of its pixels. */
const STUB_ATTACHED = 0.3;
/**
 * Or, beyond a stub's thickness of the strokes, at least this many pens long: a long stub leaving
 * a stroke whose ragged edge the opening trims too is joined to those slivers, and then neither
 * sticks out nor looks straight; taken only beyond them it is a stub again. Not shorter: a thin
 * piece of a digit's own stroke (a loop's top thinned along a ruled line) is a pen or two long.
 */
const LONG_STUB = 3;
/** And lies further than this many pens from the frame's border it runs along. */
const STUB_BORDER_PENS = 2;

/**
 * Clears from `mask` the thin straight near-horizontal and near-vertical stubs (see above); `pen`
 * as in removeRuledLines. Ink of a fine pen is never thin enough against its own width to be cut.
 */
export function removeLineStubs(mask: Uint8Array, width: number, height: number, pen: number): number {
  const thickest = Math.floor(STUB_MAX_THICKNESS * pen);
  if (thickest < 1) return 0;
  // Only the box round the ink is worked on: a few per cent of a camera frame, where each of
  // OpenCV's passes below visits every pixel it is given.
  const box = boxAroundInk(mask, width, height);
  if (!box) return 0;
  return withMats(4, (thin, opened, grown, beyond) => {
    const boxMat = cv.matFromArray(box.height, box.width, cv.CV_8U, cropped(mask, width, box));
    boxMat.copyTo(thin);
    boxMat.delete();
    // An opening with a square one pixel wider than the thickest stub keeps every stroke of the pen
    // and leaves out what is thinner: the stubs, and the corners, ends and edges of strokes.
    const kernel = cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(thickest + 1, thickest + 1));
    cv.morphologyEx(thin, opened, cv.MORPH_OPEN, kernel);
    kernel.delete();
    cv.subtract(thin, opened, thin);
    const margin = STUB_BORDER_PENS * pen;
    const cleared = new Uint8Array(box.width * box.height);
    let stubs = 0;
    /**
     * Clears the pieces of `pieces` that are stubs at least `minLength` pens long, counting those not
     * cleared already; with `stroke` (the strokes grown by a pixel), only those touching it along at
     * most STUB_ATTACHED of their pixels.
     */
    const clearStubs = (pieces: Mat, minLength: number, stroke?: Uint8Array) => {
      const ink = pieces.data;
      const { count, labels: label, stats: s } = labelInk(ink, box.width, box.height);
      const touching = new Int32Array(count);
      if (stroke)
        forEachInk(ink, (i) => {
          if (stroke[i]) touching[label[i]]++;
        });
      const stub = new Uint8Array(count);
      for (let l = 1; l < count; l++) {
        const [x, y, w, h, area] = [s[l * 5] + box.x, s[l * 5 + 1] + box.y, s[l * 5 + 2], s[l * 5 + 3], s[l * 5 + 4]];
        const longer = Math.max(w, h);
        const straight = Math.min(w, h) <= MAX_SLOPE * longer + thickest + 1;
        // Thin ink along the frame's border, and near it, is more likely the sheet's edge, judged
        // elsewhere as a whole: cut loose, its pieces would stand alone as 1s. (A margin line's stub
        // may run on to the border across it.)
        const alongBorder = h >= w ? x < margin || x + w > width - margin : y < margin || y + h > height - margin;
        const sticksOut = touching[l] <= STUB_ATTACHED * area;
        if (longer >= minLength * pen && straight && sticksOut && !alongBorder && area <= thickest * longer) stub[l] = 1;
      }
      const fresh = new Uint8Array(count);
      forEachInk(ink, (i) => {
        if (stub[label[i]]) {
          if (!cleared[i]) fresh[label[i]] = 1;
          cleared[i] = 1;
        }
      });
      for (let l = 1; l < count; l++) stubs += fresh[l];
    };
    // What the opening took off a stroke's edge lies along the stroke; a stub sticks out of it,
    // touching the stroke only where it starts.
    const neighbours = cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(3, 3));
    cv.morphologyEx(opened, grown, cv.MORPH_DILATE, neighbours);
    neighbours.delete();
    clearStubs(thin, STUB_MIN_LENGTH, grown.data);
    const aside = cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(2 * thickest + 1, 2 * thickest + 1));
    cv.morphologyEx(opened, grown, cv.MORPH_DILATE, aside);
    aside.delete();
    cv.subtract(thin, grown, beyond);
    clearStubs(beyond, LONG_STUB);
    if (stubs === 0) return 0;
    for (let y = 0; y < box.height; y++) for (let x = 0; x < box.width; x++) if (cleared[y * box.width + x]) mask[(box.y + y) * width + box.x + x] = 0;
    return stubs;
  });
}

/** The box round a mask's ink, one pixel wider each way where the frame allows; null without ink. */
function boxAroundInk(mask: Uint8Array, width: number, height: number): Box | null {
  const rows = inkRows(mask, width, height);
  let top = -1,
    bottom = -1,
    left = width,
    right = -1;
  for (let y = 0; y < height; y++) {
    if (!rows[y]) continue;
    if (top < 0) top = y;
    bottom = y;
    const row = y * width;
    for (let x = 0; x < left; x++)
      if (mask[row + x]) {
        left = x;
        break;
      }
    for (let x = width - 1; x > right; x--)
      if (mask[row + x]) {
        right = x;
        break;
      }
  }
  if (top < 0) return null;
  const x = Math.max(0, left - 1),
    y = Math.max(0, top - 1);
  return { x, y, width: Math.min(width - 1, right + 1) - x + 1, height: Math.min(height - 1, bottom + 1) - y + 1 };
}
