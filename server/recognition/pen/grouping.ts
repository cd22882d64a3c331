/**
 * Which strokes make which digit: grouping hypotheses (runs of neighbouring strokes in grouping
 * order) are each read by the network in one batch, and a search over the runs picks the grouping
 * whose readings and geometry together are most likely. The network's "not one digit" output is
 * the evidence against a bad group; geometry (gaps inside a group, its width and height against
 * the writing's, groups sharing columns) the evidence the network cannot see, since it reads each
 * group on its own. Stroke grouping by dynamic programming, as ink recognisers segment.
 */
import type { DigitPrediction } from '../classifier.js';
import { continuesAfterSkip, extentOf, horizontalOverlap, touching, type Extent, type PenLine, type PenStroke } from './ink.js';
import { DOT_SIZE, dateSlashLean, symbolReadings, type Separator } from './symbols.js';

/** People write a digit in one to a few strokes; traced or hesitant ink may break it into a few more. */
export const MAX_GROUP_STROKES = 8;
/** A group wider than this many writing heights is not one digit. */
const MAX_GROUP_WIDTH = 2.2;

/**
 * The search's weights, in units of log-probability: what a reading's probability is traded
 * against. Chosen on numbers of MNIST validation digits written as strokes (`npm run measure --
 * --digits validation`), never on the test split or the held-out sets.
 */
export const GROUPING_WEIGHTS = {
  /** Earned by every digit or separator read: without it the search would favour fewer, unsure groups. */
  perItem: 0.3,
  /** Per writing height of empty columns inside one group (a 1 and a 7 side by side are not a 4). */
  innerGap: 6,
  /** Per writing height of width beyond `wideFrom`. */
  wide: 4,
  wideFrom: 1.4,
  /** A digit much shorter than the writing is a mark: up to this much, from `shortBelow` heights down. */
  short: 4,
  shortBelow: 0.8,
  /** Two neighbouring groups where one's centre lies over the other's columns (a 4's two strokes). */
  centreOver: 1,
  /**
   * Per share beyond `sharedFrom` of the wider group's columns that the two share (the two loops
   * of an 8 share most; digits written overlapping share up to a quarter or so).
   */
  sharedColumns: 4,
  sharedFrom: 0.3,
  /** Two neighbouring groups whose strokes touch (a 4's strokes meet; digits seldom do). */
  touching: 0.5,
  /**
   * A group that splits one the previous reading made, or joins it to other strokes: hysteresis, so
   * that a finished digit keeps its reading unless new evidence is clearly better.
   */
  unsettles: 1.5,
  /**
   * The same once the pen rests, when the whole number is read again: lighter, so that the number
   * as a whole may regroup what was written piece by piece (a late bar), heavier than nothing, so
   * that a grouping that held while the person wrote is given up only for a clearly better one.
   */
  unsettlesAtPause: 0.75,
  /** A group that starts or ends where the pen skipped, parting a stroke from the rest of it (see continuesAfterSkip). */
  partsSkip: 4,
  /** A small stroke left out of the reading (flagged, not read as a digit). */
  leftOut: Math.log(0.05),
  /**
   * While the person writes, the digit being written (the newest stroke, alone or with the strokes
   * just before it that no reading has settled) scores at least this: it may not be finished (a
   * 7's bar, the first strokes of an 8), and alone reads as no digit in particular; it must not be
   * joined to the finished digit before it for want of a reading of its own (a 3 and a 7's bar
   * read as 5). Shown as provisional.
   */
  unfinished: -1,
  /**
   * A group whose first or last stroke, as tall as `redundantFrom` writing heights or more, adds
   * nothing to its reading: the group without it reads the same digit at least as surely. Such a
   * stroke is a digit of its own hidden in its neighbour's ink (a 1 written into a 0), not part of it.
   */
  redundant: 2,
  redundantFrom: 0.6,
};

/** The network's readings of a group without its first stroke and without its last (runs of one stroke less). */
export interface EndsDropped {
  first?: DigitPrediction;
  last?: DigitPrediction;
}

export type GroupReading =
  /**
   * `slashLean`: for one that leans far enough to be one where a date's form puts a slash, how far
   * beyond the hand's slant (dateSlashLean).
   */
  | { kind: 'digit'; prediction: DigitPrediction; score: number; slashLean?: number; unfinished?: boolean }
  | { kind: 'separator'; symbol: Separator; likelihood: number; score: number; slashLean?: number }
  | { kind: 'left-out'; score: number };

export interface Candidate {
  /** The run of strokes, [start, end) in the part's grouping order. */
  start: number;
  end: number;
  strokes: PenStroke[];
  extent: Extent;
  /** Whether the network reads it (dots and other small marks are left to their shape). */
  readAsDigit: boolean;
  /** It splits a group the previous reading made, or joins one to other strokes (see StrokeSet.settled). */
  unsettles: boolean;
  /** It starts or ends where the pen skipped inside a stroke, taking one piece of that stroke without the other. */
  partsSkip: boolean;
  /** It is the digit being written, while the person writes: perhaps unfinished (see GROUPING_WEIGHTS.unfinished). */
  inProgress?: boolean;
  /** It is one held group and the newest stroke, which touches it (see heldAgainst). */
  finishesHeld?: boolean;
}

/**
 * A held group and the newest stroke, touching it, read together as one digit at least this
 * surely: the stroke finishes that digit (a 4's stem written after its arm, just right of it),
 * and the hold does not weigh against joining them.
 */
const SURE_FINISH = 0.95;

/**
 * Strokes in progress wider than this many writing heights are digits side by side, however unsure
 * their readings, and not one digit still being written.
 */
const IN_PROGRESS_WIDTH = 1;

/**
 * Whether the hold (GROUPING_WEIGHTS.unsettles) weighs on a candidate: it splits or joins a held
 * group, and is not a held group finished by the newest stroke into one sure digit. Freeing every
 * group the newest stroke touches instead regrouped touching digits while they were written.
 * `held`: the network's reading of the held group alone. A stroke that leaves it the same digit, no
 * surer, adds nothing to it: more likely the next digit's start (a 7's bar begun beside a 6),
 * which, joined, would carry the held digit with it as the rest of the 7 comes (a 5).
 */
export function heldAgainst(candidate: Candidate, prediction?: DigitPrediction, held?: DigitPrediction): boolean {
  if (!candidate.unsettles) return false;
  if (!candidate.finishesHeld || prediction === undefined || prediction.confidence < SURE_FINISH) return true;
  return held !== undefined && held.digit === prediction.digit && held.confidence >= prediction.confidence;
}

/**
 * Every run of neighbouring strokes that could be one digit or one separator. `kept`: groups from
 * the previous reading that new ink has not reached (see StrokeSet.settled); a run that holds part
 * of one, or one and more, is marked as unsettling it. `inProgress`: the strokes of the digit being
 * written, the newest last (see GROUPING_WEIGHTS.unfinished).
 */
export function candidateGroups(
  part: readonly PenStroke[],
  line: PenLine,
  kept: readonly (readonly PenStroke[])[] = [],
  inProgress: readonly PenStroke[] = [],
): Candidate[] {
  const newest = inProgress[inProgress.length - 1];
  const candidates: Candidate[] = [];
  const h = line.height;
  const keptOf = new Map<PenStroke, readonly PenStroke[]>();
  for (const group of kept) for (const s of group) keptOf.set(s, group);
  const respectsKept = (strokes: readonly PenStroke[]) =>
    strokes.every((s) => {
      const group = keptOf.get(s);
      return !group || (group.length === strokes.length && group.every((g) => strokes.includes(g)));
    });
  // One held group, whole, and then the newest stroke, touching it.
  const finishesHeld = (strokes: readonly PenStroke[]) => {
    const rest = strokes.slice(0, -1);
    return (
      newest !== undefined && strokes[strokes.length - 1] === newest && keptOf.has(rest[0]) && respectsKept(rest) && rest.some((s) => touching(s, newest, h))
    );
  };
  // The newest stroke, alone or with strokes of the digit being written before it, no wider than one digit.
  const isInProgress = (strokes: readonly PenStroke[], extent: Extent) =>
    newest !== undefined &&
    strokes.includes(newest) &&
    strokes.every((s) => inProgress.includes(s)) &&
    (strokes.length === 1 || extent.right - extent.left <= IN_PROGRESS_WIDTH * h);
  const skipAfter = part.map((s, i) => i + 1 < part.length && continuesAfterSkip(s, part[i + 1], h));
  for (let start = 0; start < part.length; start++) {
    for (let end = start + 1; end <= Math.min(part.length, start + MAX_GROUP_STROKES); end++) {
      const strokes = part.slice(start, end);
      const extent = extentOf(strokes);
      if (end - start > 1 && extent.right - extent.left > MAX_GROUP_WIDTH * h) break;
      const longer = Math.max(extent.right - extent.left, extent.bottom - extent.top);
      candidates.push({
        start,
        end,
        strokes,
        extent,
        readAsDigit: longer > DOT_SIZE * h,
        unsettles: !respectsKept(strokes),
        partsSkip: (start > 0 && skipAfter[start - 1]) || skipAfter[end - 1],
        ...(isInProgress(strokes, extent) ? { inProgress: true } : {}),
        ...(end - start > 1 && finishesHeld(strokes) ? { finishesHeld: true } : {}),
      });
    }
  }
  return candidates;
}

/** Empty columns between a group's strokes, in canvas units. */
function innerGap(strokes: readonly PenStroke[]): number {
  const sorted = [...strokes].sort((a, b) => a.left - b.left);
  let covered = sorted[0].right,
    gap = 0;
  for (const s of sorted.slice(1)) {
    if (s.left > covered) gap += s.left - covered;
    covered = Math.max(covered, s.right);
  }
  return gap;
}

/** How the group's shape, against the writing's, weighs on reading it as one digit. `slash`: how much it looks like a slash. */
function digitGeometry(candidate: Candidate, line: PenLine, slash: number): number {
  const w = GROUPING_WEIGHTS;
  const h = line.height;
  const width = (candidate.extent.right - candidate.extent.left) / h;
  const height = (candidate.extent.bottom - candidate.extent.top) / h;
  let score = -w.innerGap * (innerGap(candidate.strokes) / h);
  if (width > w.wideFrom) score -= w.wide * (width - w.wideFrom);
  if (height < w.shortBelow) score -= (w.short * (w.shortBelow - height)) / w.shortBelow;
  if (slash > 0) score += Math.log(Math.max(1 - slash, 0.02));
  return score;
}

/**
 * The readings a group may have, best first. `prediction` is the network's, for groups it read;
 * `writing`: whether the person may still be writing (StrokeSet.writing), which weighs the hold
 * (see GROUPING_WEIGHTS.unsettlesAtPause).
 */
export function groupReadings(
  candidate: Candidate,
  line: PenLine,
  prediction: DigitPrediction | undefined,
  endsDropped: EndsDropped,
  writing: boolean,
): GroupReading[] {
  const w = GROUPING_WEIGHTS;
  const readings: GroupReading[] = [];
  const symbols = symbolReadings(candidate.strokes, line);
  const slashLean = candidate.strokes.length === 1 ? dateSlashLean(candidate.strokes[0], line) : undefined;
  const lean = slashLean === undefined ? {} : { slashLean };
  if (prediction) {
    const { strokes } = candidate;
    const adds = (stroke: PenStroke, without?: DigitPrediction) =>
      !without ||
      stroke.bottom - stroke.top < w.redundantFrom * line.height ||
      without.digit !== prediction.digit ||
      without.confidence < prediction.confidence;
    const redundant = strokes.length > 1 && (!adds(strokes[0], endsDropped.first) || !adds(strokes[strokes.length - 1], endsDropped.last));
    // Only where it may be read as one: a 1 leaning like a slash with nothing written on one side of
    // it is a 1, and taking its likelihood from its digit reading would join it to the next digit's
    // first stroke (a 1 and a 2's top read as 5).
    const slash = symbols.find((s) => s.symbol === '/')?.likelihood ?? 0;
    const score = Math.log(Math.max(prediction.confidence, 1e-4)) + w.perItem + digitGeometry(candidate, line, slash) - (redundant ? w.redundant : 0);
    const unfinished = Boolean(candidate.inProgress) && score < w.unfinished;
    readings.push({
      kind: 'digit',
      prediction,
      score: unfinished ? w.unfinished : score,
      ...lean,
      ...(unfinished ? { unfinished } : {}),
    });
  }
  for (const s of symbols) {
    readings.push({ kind: 'separator', symbol: s.symbol, likelihood: s.likelihood, score: Math.log(Math.max(s.likelihood, 1e-4)) + w.perItem, ...lean });
  }
  const longer = Math.max(candidate.extent.right - candidate.extent.left, candidate.extent.bottom - candidate.extent.top);
  // Every single stroke has some reading, so that every grouping can be completed.
  // A small start of the digit being written is no stray mark yet: it is left out for now, at no
  // more cost than an unfinished reading (or it would be joined to the digit before it).
  if (candidate.strokes.length === 1 && (longer < 0.5 * line.height || readings.length === 0))
    readings.push({ kind: 'left-out', score: candidate.inProgress ? Math.max(w.leftOut, w.unfinished) : w.leftOut });
  const hold = writing ? w.unsettles : w.unsettlesAtPause;
  if (heldAgainst(candidate, prediction, endsDropped.last)) for (const r of readings) r.score -= hold;
  if (candidate.partsSkip) for (const r of readings) r.score -= w.partsSkip;
  return readings.sort((a, b) => b.score - a.score);
}

/** An unsettling candidate's readings, scored while writing, as they will score once the pen rests (see Candidate.unsettles). */
export function atPause(readings: readonly GroupReading[]): GroupReading[] {
  const lighter = GROUPING_WEIGHTS.unsettles - GROUPING_WEIGHTS.unsettlesAtPause;
  return readings.map((r) => ({ ...r, score: r.score + lighter })).sort((a, b) => b.score - a.score);
}

function centreOver(a: Extent, b: Extent): boolean {
  const centre = (a.left + a.right) / 2;
  return centre >= b.left && centre <= b.right;
}

/** What it costs to read two neighbouring groups apart when they share columns. */
function apartCost(previous: Candidate, next: Candidate, touch: (a: PenStroke, b: PenStroke) => boolean): number {
  const w = GROUPING_WEIGHTS;
  const touches = previous.strokes.some((a) => next.strokes.some((b) => touch(a, b)));
  const [p, q] = [previous.extent, next.extent];
  const overlap = horizontalOverlap(p, q);
  if (overlap <= 0) return touches ? w.touching : 0;
  const wider = Math.max(p.right - p.left, q.right - q.left, 1e-6);
  const shared = Math.max(0, overlap / wider - w.sharedFrom) / (1 - w.sharedFrom);
  return (touches ? w.touching : 0) + w.sharedColumns * shared + (centreOver(p, q) || centreOver(q, p) ? w.centreOver : 0);
}

export interface ChosenGroup {
  candidate: Candidate;
  reading: GroupReading;
}

/**
 * The grouping of the part's strokes with the highest total score (and that score): dynamic programming over the
 * grouping order, its state the end of the last group and that group's length (so that the cost
 * of neighbours sharing columns can be charged).
 */
export function chooseGrouping(
  part: readonly PenStroke[],
  line: PenLine,
  candidates: readonly Candidate[],
  readings: readonly GroupReading[][],
): { groups: ChosenGroup[]; score: number } {
  const n = part.length;
  const touchCache = new Map<string, boolean>();
  const touch = (a: PenStroke, b: PenStroke) => {
    const key = a.index < b.index ? `${a.index}:${b.index}` : `${b.index}:${a.index}`;
    let known = touchCache.get(key);
    if (known === undefined) touchCache.set(key, (known = touching(a, b, line.height)));
    return known;
  };
  const byEnd = new Map<number, { candidate: Candidate; reading: GroupReading }[]>();
  candidates.forEach((candidate, i) => {
    const best = readings[i][0];
    if (!best) return;
    const list = byEnd.get(candidate.end) ?? [];
    list.push({ candidate, reading: best });
    byEnd.set(candidate.end, list);
  });
  // best.get(end) maps a last group (by its start) to the best score of a grouping of [0, end).
  type State = { score: number; group: ChosenGroup; previous?: State };
  const states: Map<number, State>[] = Array.from({ length: n + 1 }, () => new Map());
  for (let end = 1; end <= n; end++) {
    for (const option of byEnd.get(end) ?? []) {
      const { start } = option.candidate;
      let best: State | undefined;
      if (start === 0) best = { score: option.reading.score, group: option };
      for (const previous of states[start].values()) {
        const score = previous.score + option.reading.score - apartCost(previous.group.candidate, option.candidate, touch);
        if (!best || score > best.score) best = { score, group: option, previous };
      }
      if (best) states[end].set(start, best);
    }
  }
  let last: State | undefined;
  for (const state of states[n].values()) if (!last || state.score > last.score) last = state;
  const chosen: ChosenGroup[] = [];
  for (let s = last; s; s = s.previous) chosen.unshift(s.group);
  return { groups: chosen, score: last?.score ?? 0 };
}
