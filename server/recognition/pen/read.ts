/**
 * Reading pen ink from its strokes: lines, then groups of strokes chosen by search (grouping.ts),
 * each group read by the network or as a separator, then numbers split at clear gaps.
 */
import type { DigitPrediction } from '../classifier.js';
import { UNCERTAIN_BELOW, type BoxTuple, type PlannedReading, type RecognitionResult, type RecognizedDigit, type RecognizedLine, type RecognizedSymbol } from '../recognize.js';
import type { StrokeSet } from '../strokes.js';
import { candidateGroups, chooseGrouping, groupReadings, type Candidate, type ChosenGroup } from './grouping.js';
import { groupingOrder, independentParts, penLines, penStroke, type Extent, type PenLine } from './ink.js';
import { drawGroup } from './raster.js';

/** Columns this many writing heights apart hold no digit across them: each side is grouped on its own. */
const PART_GAP = 0.1;
/** A gap this many writing heights wide between neighbours splits numbers ("48 17"). */
export const NUMBER_GAP = 0.9;

interface LineWork {
  line: PenLine;
  parts: { strokes: ReturnType<typeof groupingOrder>; candidates: Candidate[] }[];
}

function box(extent: Extent, pad: number): BoxTuple {
  const x = Math.round(extent.left - pad),
    y = Math.round(extent.top - pad);
  return [x, y, Math.round(extent.right + pad) - x, Math.round(extent.bottom + pad) - y];
}

function readLine(work: LineWork, chosen: ChosenGroup[]): RecognizedLine {
  const { line } = work;
  // Boxes take in the pen's width (a ninth of the writing's height), so a 1 has one.
  const pad = line.height / 18;
  const items = chosen.filter((g) => g.reading.kind !== 'left-out').sort((a, b) => a.candidate.extent.left + a.candidate.extent.right - (b.candidate.extent.left + b.candidate.extent.right));
  const digits: RecognizedDigit[] = [];
  const symbols: RecognizedSymbol[] = [];
  let text = '';
  let previous: Extent | undefined;
  for (const { candidate, reading } of items) {
    if (previous && candidate.extent.left - previous.right >= NUMBER_GAP * line.height) text += ' ';
    previous = candidate.extent;
    if (reading.kind === 'digit') {
      const { prediction } = reading;
      digits.push({
        digit: prediction.digit,
        confidence: Math.round(prediction.confidence * 1e4) / 1e4,
        box: box(candidate.extent, pad),
        alternatives: prediction.alternatives,
        uncertain: prediction.confidence < UNCERTAIN_BELOW,
      });
      text += String(prediction.digit);
    } else if (reading.kind === 'separator') {
      const uncertain = reading.likelihood < UNCERTAIN_BELOW;
      symbols.push({ symbol: reading.symbol, confidence: Math.round(reading.likelihood * 1e4) / 1e4, box: box(candidate.extent, pad), uncertain });
      // An unsure separator is flagged and left out of the text: never passed off as read.
      if (!uncertain) text += reading.symbol;
    }
  }
  const all = chosen.map((g) => g.candidate.extent);
  const extent = all.reduce((a, b) => ({ left: Math.min(a.left, b.left), right: Math.max(a.right, b.right), top: Math.min(a.top, b.top), bottom: Math.max(a.bottom, b.bottom) }));
  return { text: text.trim(), box: box(extent, pad), digits, ...(symbols.length ? { symbols } : {}) };
}

/**
 * The reading of a stroke set up to the network (see PlannedReading): every candidate group is
 * drawn and read in one batch, so that a worker reads many sessions' ink with one network call.
 */
export function planPenReading(set: StrokeSet): PlannedReading {
  const strokes = set.strokes.map((points, index) => penStroke(points, index));
  const work: LineWork[] = (strokes.length ? penLines(strokes) : []).map((line) => ({
    line,
    parts: independentParts(groupingOrder(line.strokes), PART_GAP * line.height).map((part) => ({ strokes: part, candidates: candidateGroups(part, line) })),
  }));
  const read = work.flatMap((w) => w.parts.flatMap((p) => p.candidates.filter((c) => c.readAsDigit)));
  return {
    inputs: read.map((c) => drawGroup(c.strokes)),
    complete(predictions: DigitPrediction[]): RecognitionResult {
      const predictionOf = new Map<Candidate, DigitPrediction>();
      read.forEach((c, i) => predictionOf.set(c, predictions[i]));
      const lines = work
        .map((w) =>
          readLine(
            w,
            w.parts.flatMap((part) =>
              chooseGrouping(
                part.strokes,
                w.line,
                part.candidates,
                part.candidates.map((c) => groupReadings(c, w.line, predictionOf.get(c))),
              ),
            ),
          ),
        )
        .filter((line) => line.text !== '' || line.digits.length > 0 || (line.symbols?.length ?? 0) > 0);
      return {
        text: lines.map((l) => l.text).join('\n'),
        lines,
        digits: lines.flatMap((l) => l.digits),
        width: set.width,
        height: set.height,
        polarity: 'light-on-dark',
        binarization: 'otsu',
      };
    },
  };
}
