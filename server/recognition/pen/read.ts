/**
 * Reading pen ink from its strokes: lines, then groups of strokes chosen by search (grouping.ts),
 * each group read by the network or as a separator, then numbers split at clear gaps. Only a
 * single stroke that runs through several digits (joined-up writing) is cut as pixels.
 */
import type { Alternative, DigitPrediction } from '../classifier.js';
import {
  isPlan,
  planReading,
  UNCERTAIN_BELOW,
  type BoxTuple,
  type PlannedReading,
  type RecognitionResult,
  type RecognizedDigit,
  type RecognizedLine,
  type RecognizedSymbol,
} from '../recognize.js';
import type { StrokeSet } from '../strokes.js';
import { candidateGroups, chooseGrouping, groupReadings, heldAgainst, atPause, type Candidate, type ChosenGroup, type EndsDropped } from './grouping.js';
import {
  extentOf,
  groupingOrder,
  independentParts,
  liesOver,
  penLines,
  penStroke,
  sheared,
  upright,
  type Extent,
  type PenLine,
  type PenStroke,
} from './ink.js';
import { drawGroup, rasterizeStrokes } from './raster.js';
import type { Separator } from './symbols.js';

/** Columns this many writing heights apart hold no digit across them: each side is grouped on its own. */
const PART_GAP = 0.1;
/**
 * A separator whose shape fits it less than this is flagged and left out of the text. Lower than
 * for digits: it has already beaten the network's reading of the same ink in the grouping search.
 */
const SEPARATOR_UNSURE_BELOW = 0.5;
/**
 * Another grouping order (see groupingOrder's placeLoneLate) is read only where its best grouping
 * scores this much more than the order as written (a log-likelihood: about seven times likelier).
 * Scores a little higher came as often from a new digit's stroke taken for a late one.
 */
const ORDER_MARGIN = 2;
/** A gap this many writing heights wide between neighbours splits numbers ("48 17"). */
export const NUMBER_GAP = 0.9;
/**
 * One stroke wider than this many writing heights, that the network does not read as one sure
 * digit, may be joined-up digits: it is cut as pixels, as a scanned number is.
 */
const JOINED_UP_WIDTH = 0.9;

interface LineWork {
  line: PenLine;
  /**
   * The line's parts in each grouping order the search weighs, the order as written first (see
   * groupingOrder's placeLoneLate): another is read only where it scores ORDER_MARGIN more, and
   * only once the pen rests.
   */
  orders: { strokes: PenStroke[]; candidates: Candidate[] }[][];
  /** Strokes still being drawn near this line, each read on its own. */
  drawing: Candidate[];
}

/**
 * One thing read on a line, at its place: `extent` in the upright line (see upright), where gaps
 * and order are measured; `canvas` as written, which its box shows.
 */
type Item =
  | {
      extent: Extent;
      canvas: Extent;
      kind: 'digit';
      digit: number;
      confidence: number;
      alternatives: Alternative[];
      provisional?: boolean;
      /** For one stroke leaning far enough to be a slash where a date's form puts one, how far (see dateSlashLean). */
      slashLean?: number;
    }
  | {
      extent: Extent;
      canvas: Extent;
      kind: 'separator';
      symbol: Separator;
      likelihood: number;
      asDigit?: DigitPrediction;
      slashLean?: number;
      /** A colon where the number's form is no time's: flagged and left out of the text, whatever its shape (see colonsInTimes). */
      outOfForm?: boolean;
    };

function box(extent: Extent, pad: number): BoxTuple {
  const x = Math.round(extent.left - pad),
    y = Math.round(extent.top - pad);
  return [x, y, Math.round(extent.right + pad) - x, Math.round(extent.bottom + pad) - y];
}

function digitItem(
  { extent, canvas }: { extent: Extent; canvas: Extent },
  { digit, confidence, alternatives }: DigitPrediction,
  lean: { slashLean?: number; unfinished?: boolean } = {},
): Item {
  return {
    extent,
    canvas,
    kind: 'digit',
    digit,
    confidence,
    alternatives,
    ...(lean.unfinished ? { provisional: true } : {}),
    ...(lean.slashLean !== undefined ? { slashLean: lean.slashLean } : {}),
  };
}

/** A stroke shaped like a slash, read as the digit the network saw in it (see slashesAsDigits). */
function slashAsDigit(slash: Extract<Item, { kind: 'separator' }>, asDigit: DigitPrediction): Item {
  return digitItem(slash, asDigit, { slashLean: slash.slashLean });
}

/** `asDigit`: the network's reading of the group, for a separator that the number around it may overrule. */
function itemOf(group: ChosenGroup, asDigit?: DigitPrediction): Item | undefined {
  const { reading, candidate } = group;
  const place = { extent: candidate.extent, canvas: extentOf(candidate.strokes.map((s) => s.canvas)) };
  if (reading.kind === 'digit') return digitItem(place, reading.prediction, reading);
  if (reading.kind === 'separator')
    return {
      ...place,
      kind: 'separator',
      symbol: reading.symbol,
      likelihood: reading.likelihood,
      ...(asDigit ? { asDigit } : {}),
      ...(reading.slashLean !== undefined ? { slashLean: reading.slashLean } : {}),
    };
  return undefined;
}

/** Whether neighbours `left` and `right` stand a number's gap apart (two numbers, not one). */
function standApart(left: Item, right: Item, line: PenLine): boolean {
  return right.extent.left - left.extent.right >= NUMBER_GAP * line.height;
}

/** How many digits stand in one run from item `i` on towards `step`, within its number. */
function digitsFrom(items: readonly Item[], i: number, step: 1 | -1, line: PenLine): number {
  let count = 0;
  for (let j = i + step; j >= 0 && j < items.length && items[j].kind === 'digit'; j += step) {
    const [left, right] = step === 1 ? [items[j - 1], items[j]] : [items[j], items[j + 1]];
    if (standApart(left, right, line)) break;
    count++;
  }
  return count;
}

/**
 * Whether runs of digits between slashes make a date: a day and a month (either order) of one or
 * two digits each and a year of two or four; or two runs of two digits, a day and a month (either
 * order) or a month and a year. The values count, not only the lengths: "27/55" is no date anyone
 * writes, and the leaning stroke between 27 and 55 is a 1.
 */
function isDate(runs: readonly number[][]): boolean {
  const value = (run: readonly number[]) => run.reduce((sum, digit) => sum * 10 + digit, 0);
  const isMonth = (n: number) => n >= 1 && n <= 12;
  const isDay = (n: number) => n >= 1 && n <= 31;
  const dayAndMonth = (a: number, b: number) => (isDay(a) && isMonth(b)) || (isMonth(a) && isDay(b));
  if (runs.length === 2) {
    const [a, b] = runs.map(value);
    return runs[0].length === 2 && runs[1].length === 2 && (dayAndMonth(a, b) || isMonth(a));
  }
  const dayOrMonthLength = (run: readonly number[]) => run.length === 1 || run.length === 2;
  return (
    runs.length === 3 &&
    dayOrMonthLength(runs[0]) &&
    dayOrMonthLength(runs[1]) &&
    (runs[2].length === 2 || runs[2].length === 4) &&
    dayAndMonth(value(runs[0]), value(runs[1]))
  );
}

/**
 * More strokes in one number that may be slashes than this, and its form says nothing. A date's two
 * slashes and the leaning 1s of its day and month (`11/11/00`) make six; past that, an italic
 * hand's run of 1s fits some form by chance.
 */
const MOST_DATE_SLASH_CANDIDATES = 6;
/**
 * A slash read from the number's form rather than its shape alone: sure enough to be in the text,
 * no surer (a separator under SEPARATOR_UNSURE_BELOW is left out).
 */
const DATE_SLASH_CONFIDENCE = 0.6;

/**
 * A stroke leaning as a slash leans (dateSlashLean), where it and the number's other slashes make
 * the number a date (isDate) in exactly one way, is that date's slash. Written fast, a slash leans
 * no further than many hands lean their 1s (a third of MNIST's 1s lean over 20 degrees, a tenth
 * over 30), so its shape cannot tell the two apart; people read it from the date around it, and so
 * does this. Only where one date fits: "12105" with a leaning 1 is "12/05", "111" stays. `sorted`:
 * the line's items left to right, slashes by shape already read as digits (slashesAsDigits).
 */
function slashesInDates(sorted: Item[], line: PenLine): Item[] {
  const items = [...sorted];
  const digitsOf = (run: readonly Item[]) => run.flatMap((item) => (item.kind === 'digit' ? [item.digit] : []));
  const convert = (start: number, end: number) => {
    const number = items.slice(start, end);
    if (number.some((item) => item.kind === 'separator' && item.symbol !== '/')) return;
    const slashes = number.flatMap((item, i) => (item.kind === 'separator' ? [i] : []));
    const leanOf = (i: number) => {
      const item = number[i];
      return item.kind === 'digit' ? (item.slashLean ?? -Infinity) : -Infinity;
    };
    const leaning = number.flatMap((item, i) => (leanOf(i) > -Infinity ? [i] : []));
    if (leaning.length === 0 || leaning.length > MOST_DATE_SLASH_CANDIDATES) return;
    const dates: { turned: number[]; slashesLeanMost: boolean }[] = [];
    for (let chosen = 1; chosen < 1 << leaning.length; chosen++) {
      const turned = leaning.filter((_, k) => chosen & (1 << k));
      const cuts = [...slashes, ...turned].sort((a, b) => a - b);
      const runs = [...cuts, number.length].map((cut, k) => digitsOf(number.slice(k === 0 ? 0 : cuts[k - 1] + 1, cut)));
      if (!isDate(runs)) continue;
      const leftAfter = (i: number) => leaning.filter((j, k) => j > i && !(chosen & (1 << k)));
      dates.push({ turned, slashesLeanMost: turned.every((i) => leftAfter(i).every((j) => leanOf(j) < leanOf(i))) });
    }
    // Where more than one date fits (`11111100` as 11/11/00 or 1/1/1100), the one whose slashes
    // lean further than the leaning 1s after them: a slash leans more than the same hand's 1s.
    // Not where one date fits alone: digits of other hands (as in the measured sets, written from
    // many people's digits) often lean a 1 after the slash further than the slash (`09/11`).
    const forms = dates.length === 1 ? dates : dates.filter((date) => date.slashesLeanMost);
    if (forms.length !== 1) return;
    for (const i of forms[0].turned)
      items[start + i] = { extent: number[i].extent, canvas: number[i].canvas, kind: 'separator', symbol: '/', likelihood: DATE_SLASH_CONFIDENCE };
  };
  let start = 0;
  for (let end = 1; end <= items.length; end++) {
    if (end < items.length && !standApart(items[end - 1], items[end], line)) continue;
    convert(start, end);
    start = end;
  }
  return items;
}

/** A time's colon stands after its hours (one or two digits) and before two digits (minutes or seconds). */
const DIGITS_BEFORE_COLON = [1, 2];
const DIGITS_AFTER_COLON = 2;

/**
 * A colon stands in times. Two dots that fit a colon's shape where the number around them is no
 * time's (`267:16`, `6667:145`) are more likely a digit's stray marks than a colon: they are
 * flagged and left out of the text, as any unsure separator is, never read as a digit. Like the
 * date's slashes, judged once the search has chosen, on the whole line. `sorted`: its items left to right.
 */
function colonsInTimes(sorted: Item[], line: PenLine): Item[] {
  return sorted.map((item, i) => {
    if (item.kind !== 'separator' || item.symbol !== ':') return item;
    const inTime = DIGITS_BEFORE_COLON.includes(digitsFrom(sorted, i, -1, line)) && digitsFrom(sorted, i, 1, line) === DIGITS_AFTER_COLON;
    return inTime ? item : { ...item, outOfForm: true };
  });
}

/** Whether a separator is flagged and left out of the text. */
function unsureSeparator(item: Extract<Item, { kind: 'separator' }>): boolean {
  return item.likelihood < SEPARATOR_UNSURE_BELOW || Boolean(item.outOfForm);
}

/**
 * Every slash read as the digit the network saw in it. A stroke's lean alone does not make it a
 * slash: MNIST's 1s lean as far as slashes written fast, and as far as slashes written slowly
 * often enough that, read by shape where a fraction or a date could stand ("813" as "8/3"), they
 * made 12 of the 22 slashes read where none was written (2,400 numbers of validation digits).
 * The date's form decides (slashesInDates); the search's slash reading still lets such a stroke
 * stand alone rather than join a neighbour.
 */
function slashesAsDigits(items: Item[]): Item[] {
  return items.map((item) => (item.kind === 'separator' && item.symbol === '/' && item.asDigit ? slashAsDigit(item, item.asDigit) : item));
}

/**
 * A line's reading. `writing`: the person may still be writing (StrokeSet.writing). A slash or a
 * 1 is then a 1: which of the two a leaning stroke is, the date's form tells (slashesInDates), and
 * the next digits can overturn that; read on every stroke, a finished 1 would turn into a slash
 * and back as the number grows. `waitsForPause` says that the reading once the person rests reads
 * the line differently.
 */
function readLine(line: PenLine, items: Item[], extents: Extent[], writing: boolean): { read: RecognizedLine; waitsForPause: boolean } {
  // Boxes take in the pen's width (a ninth of the writing's height), so a 1 has one.
  const pad = line.height / 18;
  const inOrder = [...items].sort((a, b) => a.extent.left + a.extent.right - (b.extent.left + b.extent.right));
  const asDigits = slashesAsDigits(inOrder);
  const whole = colonsInTimes(slashesInDates(asDigits, line), line);
  const sorted = writing ? asDigits : whole;
  const shown = (item: Item) => (item.kind === 'separator' && unsureSeparator(item) ? 'unsure' : item.kind);
  const waitsForPause = writing && sorted.some((item, i) => shown(item) !== shown(whole[i]));
  const digits: RecognizedDigit[] = [];
  const symbols: RecognizedSymbol[] = [];
  let text = '';
  let previous: Extent | undefined;
  for (const item of sorted) {
    if (previous && item.extent.left - previous.right >= NUMBER_GAP * line.height) text += ' ';
    previous = item.extent;
    if (item.kind === 'digit') {
      digits.push({
        digit: item.digit,
        confidence: Math.round(item.confidence * 1e4) / 1e4,
        box: box(item.canvas, pad),
        alternatives: item.alternatives,
        uncertain: item.confidence < UNCERTAIN_BELOW,
        ...(item.provisional ? { provisional: true } : {}),
      });
      text += String(item.digit);
    } else {
      const uncertain = unsureSeparator(item);
      symbols.push({ symbol: item.symbol, confidence: Math.round(item.likelihood * 1e4) / 1e4, box: box(item.canvas, pad), uncertain });
      // An unsure separator is flagged and left out of the text: never passed off as read.
      if (!uncertain) text += item.symbol;
    }
  }
  const extent = extentOf(extents);
  return { read: { text: text.trim(), box: box(extent, pad), digits, ...(symbols.length ? { symbols } : {}) }, waitsForPause };
}

function isJoinedUp(group: ChosenGroup, line: PenLine): boolean {
  const { candidate, reading } = group;
  if (reading.kind !== 'digit' || candidate.strokes.length !== 1) return false;
  // Against the stroke's own height too: the writing's height moves as digits are added, and a
  // finished digit must not be cut as joined-up writing in one reading and read whole in the next.
  const height = Math.max(line.height, candidate.extent.bottom - candidate.extent.top);
  const wide = candidate.extent.right - candidate.extent.left > JOINED_UP_WIDTH * height;
  return wide && (reading.prediction.notDigit > 0.5 || reading.prediction.confidence < UNCERTAIN_BELOW);
}

/**
 * Where the part of an upright stroke inside `box` (see upright) lies on the canvas as written: a
 * box round its points there, with the lean put back.
 */
function asWrittenWithin(stroke: PenStroke, [x, y, width, height]: BoxTuple): Extent {
  if (stroke.shear === 0) return { left: x, top: y, right: x + width, bottom: y + height };
  const inside = stroke.points.filter(([px, py]) => px >= x && px <= x + width && py >= y && py <= y + height);
  const written = inside.length ? inside : stroke.points;
  return extentOf(
    written.map(([px, py]) => {
      const canvasX = px - stroke.shear * (py - stroke.shearOrigin);
      return { left: canvasX, right: canvasX, top: py, bottom: py };
    }),
  );
}

/** The digits of joined-up strokes, cut as pixels: plans read together, each to its digits' items. */
function cutJoinedUp(strokes: PenStroke[], set: StrokeSet, finish: (cut: Item[][]) => RecognitionResult): PlannedReading {
  let outcomes: (RecognitionResult | PlannedReading)[] = strokes.map((stroke) => {
    const single = { width: set.width, height: set.height, strokes: [stroke.points] };
    const raster = rasterizeStrokes(single);
    return planReading(raster.ink, { scale: raster.scale, offset: raster.origin });
  });
  const round = (): PlannedReading | RecognitionResult => {
    const pending = outcomes.filter(isPlan);
    if (pending.length === 0) {
      return finish(
        (outcomes as RecognitionResult[]).map((result, i) =>
          result.digits.map((d) => ({
            extent: { left: d.box[0], top: d.box[1], right: d.box[0] + d.box[2], bottom: d.box[1] + d.box[3] },
            canvas: asWrittenWithin(strokes[i], d.box),
            kind: 'digit' as const,
            digit: d.digit,
            confidence: d.confidence,
            alternatives: d.alternatives,
          })),
        ),
      );
    }
    return {
      inputs: pending.flatMap((plan) => plan.inputs),
      complete(predictions: DigitPrediction[]) {
        let offset = 0;
        outcomes = outcomes.map((outcome) => {
          if (!isPlan(outcome)) return outcome;
          const mine = predictions.slice(offset, offset + outcome.inputs.length);
          offset += outcome.inputs.length;
          return outcome.complete(mine);
        });
        return round();
      },
    };
  };
  return round() as PlannedReading;
}

/**
 * The previous reading's groups that stand as they were: all their strokes still there, in one
 * part and one after another, and no new stroke lying over their columns (a digit written close
 * beside one, even within a touch of it, leaves it be; a late bar across it frees it).
 */
function keptGroups(settled: readonly string[][], finished: readonly PenStroke[], parts: readonly PenStroke[][]): PenStroke[][] {
  const byKey = new Map<string, PenStroke[]>();
  for (const s of finished) byKey.set(s.key, [...(byKey.get(s.key) ?? []), s]);
  const taken = new Set<PenStroke>();
  const groups: PenStroke[][] = [];
  for (const keys of settled) {
    const group: PenStroke[] = [];
    for (const key of keys) {
      const stroke = byKey.get(key)?.find((s) => !taken.has(s) && !group.includes(s));
      if (stroke) group.push(stroke);
    }
    if (group.length !== keys.length || group.length === 0) continue;
    group.forEach((s) => taken.add(s));
    groups.push(group);
  }
  const fresh = finished.filter((s) => !taken.has(s));
  return groups.filter((group) => {
    const extent = extentOf(group);
    // The next digit written close often reaches a little into its neighbour's columns, the more
    // so once upright has leant its top back: that is no new ink on the digit, and leaves it held.
    if (fresh.some((s) => liesOver(s, extent))) return false;
    const part = parts.find((p) => p.includes(group[0]));
    if (!part || !group.every((s) => part.includes(s))) return false;
    const positions = group.map((s) => part.indexOf(s)).sort((a, b) => a - b);
    return positions[positions.length - 1] - positions[0] === group.length - 1;
  });
}

/** For each of a part's candidates, the readings of its runs of one stroke less (see EndsDropped). */
function endsDroppedOf(candidates: readonly Candidate[], predictionOf: Map<Candidate, DigitPrediction>): (candidate: Candidate) => EndsDropped {
  const byRun = new Map(candidates.map((c) => [`${c.start}:${c.end}`, c]));
  const read = (start: number, end: number) => {
    const run = byRun.get(`${start}:${end}`);
    return run && predictionOf.get(run);
  };
  return (candidate) => ({ first: read(candidate.start + 1, candidate.end), last: read(candidate.start, candidate.end - 1) });
}

/**
 * The newest stroke and, before it, the strokes written one after another whose keys are in no
 * settled group (`settledKeys`, from StrokeSet.settled): the digit being written so far. Without a
 * previous reading, the newest alone.
 */
function unsettledRun(newest: PenStroke, strokes: readonly PenStroke[], settledKeys: ReadonlySet<string> | undefined): PenStroke[] {
  if (!settledKeys) return [newest];
  const byIndex = new Map(strokes.map((s) => [s.index, s]));
  const run = [newest];
  for (let index = newest.index - 1; ; index--) {
    const stroke = byIndex.get(index);
    if (!stroke || settledKeys.has(stroke.key)) break;
    run.unshift(stroke);
  }
  return run;
}

/**
 * The reading of a stroke set up to the network (see PlannedReading): every candidate group is
 * drawn and read in one batch, so that a worker reads many sessions' ink with one network call.
 */
export function planPenReading(set: StrokeSet): PlannedReading {
  const strokes = set.strokes.map((points, index) => penStroke(points, index));
  const open = new Set(set.open ?? []);
  const finished = strokes.filter((s) => !open.has(s.index));
  const newestWritten = set.writing
    ? finished.reduce<PenStroke | undefined>((latest, s) => (!latest || s.index > latest.index ? s : latest), undefined)
    : undefined;
  const settledKeys = set.settled && new Set(set.settled.flat());
  const work: LineWork[] = (finished.length ? penLines(finished) : []).map(upright).map((line) => {
    const written = groupingOrder(line.strokes, line.height);
    const byPlace = groupingOrder(line.strokes, line.height, true);
    const orders = [written, ...(byPlace.some((s, i) => s !== written[i]) ? [byPlace] : [])].map((order) =>
      independentParts(order, PART_GAP * line.height, line.height),
    );
    // The digit being written, read as perhaps unfinished (GROUPING_WEIGHTS.unfinished): the newest
    // stroke and the strokes written just before it that no reading has settled (each read as an
    // unfinished start in turn), only where a next digit starts: to the right of the rest of the line's ink.
    const newest = newestWritten && line.strokes.find((s) => s.index === newestWritten.index);
    const inLine = newest !== undefined;
    const inProgress = inLine ? unsettledRun(newest, line.strokes, settledKeys) : [];
    const rightOfOthers = line.strokes.reduce((right, s) => (inProgress.includes(s) ? right : Math.max(right, s.right)), -Infinity);
    const run = inLine ? extentOf(inProgress) : undefined;
    const startsNext = run !== undefined && (run.left + run.right) / 2 > rightOfOthers;
    // Written within or before the line's ink, it may instead finish the digit written just before
    // it (a 4's arm written after its stem, stopping short of it): that digit is not held against it.
    const continued = inLine && !startsNext ? line.strokes.find((s) => s.index === newest.index - 1) : undefined;
    // Once the pen rests the whole number is read again, the hold lighter (GROUPING_WEIGHTS.unsettlesAtPause).
    return {
      line,
      orders: orders.map((parts) => {
        const kept = set.settled ? keptGroups(set.settled, line.strokes, parts).filter((group) => !continued || !group.includes(continued)) : [];
        return parts.map((part) => ({ strokes: part, candidates: candidateGroups(part, line, kept, startsNext ? inProgress : []) }));
      }),
      drawing: [],
    };
  });
  // A stroke being drawn joins the line nearest it (or lines of its own) but none of its groups.
  for (const asWritten of strokes.filter((s) => open.has(s.index))) {
    const centre = (asWritten.top + asWritten.bottom) / 2;
    const distance = (w: LineWork) => Math.abs((w.line.bandTop + w.line.bandBottom) / 2 - centre);
    let home = work.reduce<LineWork | undefined>((best, w) => (!best || distance(w) < distance(best) ? w : best), undefined);
    if (!home || distance(home) > home.line.height) {
      home = { line: penLines([asWritten])[0], orders: [[]], drawing: [] };
      work.push(home);
    }
    const slant = home.line.slant;
    const stroke = slant ? sheared(asWritten, slant.shear, slant.origin) : asWritten;
    const extent = extentOf([stroke]);
    home.drawing.push({
      start: 0,
      end: 1,
      strokes: [stroke],
      extent,
      readAsDigit: Math.max(extent.right - extent.left, extent.bottom - extent.top) > 0,
      unsettles: false,
      partsSkip: false,
    });
  }
  work.sort((a, b) => a.line.bandTop + a.line.bandBottom - (b.line.bandTop + b.line.bandBottom));
  const read = work.flatMap((w) => [...w.orders.flat().flatMap((p) => p.candidates.filter((c) => c.readAsDigit)), ...w.drawing.filter((c) => c.readAsDigit)]);
  const result = (readings: { read: RecognizedLine; waitsForPause: boolean }[], groups: string[][], held: boolean): RecognitionResult => {
    const kept = readings.map((r) => r.read).filter((line) => line.text !== '' || line.digits.length > 0 || (line.symbols?.length ?? 0) > 0);
    return {
      groups,
      ...(held || readings.some((r) => r.waitsForPause) ? { waitsForPause: true } : {}),
      text: kept.map((l) => l.text).join('\n'),
      lines: kept,
      digits: kept.flatMap((l) => l.digits),
      width: set.width,
      height: set.height,
      polarity: 'light-on-dark',
      binarization: 'otsu',
    };
  };
  return {
    inputs: read.map((c) => drawGroup(c.strokes)),
    complete(predictions: DigitPrediction[]): RecognitionResult | PlannedReading {
      const predictionOf = new Map<Candidate, DigitPrediction>();
      read.forEach((c, i) => predictionOf.set(c, predictions[i]));
      // Whether holding the previous reading's groups, while the person writes, chose another
      // grouping than the lighter hold once the pen rests will: then the reading after a pause
      // will differ (StrokeSet.settled, GROUPING_WEIGHTS.unsettlesAtPause).
      let held = false;
      const readOrder = (parts: LineWork['orders'][number], line: PenLine) => {
        let score = 0,
          orderHeld = false;
        const groups = parts.flatMap((part) => {
          const endsDropped = endsDroppedOf(part.candidates, predictionOf);
          const readings = part.candidates.map((c) => groupReadings(c, line, predictionOf.get(c), endsDropped(c), Boolean(set.writing)));
          const best = chooseGrouping(part.strokes, line, part.candidates, readings);
          score += best.score;
          if (set.writing && !orderHeld && part.candidates.some((c) => c.unsettles)) {
            const unheld = readings.map((r, i) => {
              const candidate = part.candidates[i];
              return heldAgainst(candidate, predictionOf.get(candidate), endsDropped(candidate).last) ? atPause(r) : r;
            });
            const free = chooseGrouping(part.strokes, line, part.candidates, unheld).groups;
            orderHeld = free.length !== best.groups.length || free.some((g, i) => g.candidate !== best.groups[i].candidate);
          }
          // A stroke read as a digit's unfinished start reads otherwise once the pen rests.
          if (best.groups.some((g) => g.reading.kind === 'digit' && g.reading.unfinished)) orderHeld = true;
          return best.groups;
        });
        return { groups, score, held: orderHeld };
      };
      const chosen = work.map((w) => {
        const [asWritten, ...others] = w.orders.map((parts) => readOrder(parts, w.line));
        const best = others.reduce((a, b) => (b.score > a.score + ORDER_MARGIN ? b : a), asWritten);
        // While the person writes, the order as written: a digit written in several strokes can
        // look, half done, like one with a late stroke, and its reading would come and go. The
        // reading once the pen rests takes the other order where it wins.
        if (set.writing && best !== asWritten) {
          held = true;
          return asWritten.groups;
        }
        if (best.held) held = true;
        return best.groups;
      });
      const joinedUp = chosen.flatMap((groups, l) => groups.filter((g) => isJoinedUp(g, work[l].line)));
      // An unfinished start is no digit to hold: the next stroke may finish it.
      const settled = chosen.flatMap((groups) =>
        groups
          .filter((g) => g.reading.kind !== 'left-out' && !(g.reading.kind === 'digit' && g.reading.unfinished))
          .map((g) => g.candidate.strokes.map((s) => s.key)),
      );
      const lines = (cut: Map<ChosenGroup, Item[]>) =>
        chosen.map((groups, l) => {
          const items = groups.flatMap((g) => {
            const digits = cut.get(g);
            // A cut that finds fewer than two digits says the stroke was one digit after all.
            if (digits && digits.length >= 2) return digits;
            const item = itemOf(g, predictionOf.get(g.candidate));
            return item ? [item] : [];
          });
          for (const c of work[l].drawing) {
            const prediction = predictionOf.get(c);
            if (prediction)
              items.push({
                extent: c.extent,
                canvas: c.strokes[0].canvas,
                kind: 'digit',
                digit: prediction.digit,
                confidence: prediction.confidence,
                alternatives: prediction.alternatives,
                provisional: true,
              });
          }
          return readLine(
            work[l].line,
            items,
            [...groups, ...work[l].drawing.map((candidate) => ({ candidate }))].flatMap((g) => g.candidate.strokes.map((s) => s.canvas)),
            Boolean(set.writing),
          );
        });
      if (joinedUp.length === 0) return result(lines(new Map()), settled, held);
      return cutJoinedUp(
        joinedUp.map((g) => g.candidate.strokes[0]),
        set,
        (cut) => result(lines(new Map(joinedUp.map((g, i) => [g, cut[i]]))), settled, held),
      );
    },
  };
}
