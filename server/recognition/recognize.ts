/** The recognition pipeline: ink → digits → lines of text, each digit with box, confidence and alternatives. */
import { binarize, penWidth, type GrayImage8, type InkImage } from './binarize.js';
import type { Alternative, DigitClassifier, DigitPrediction } from './classifier.js';
import { withoutDashedLines } from './dashes.js';
import {
  dropNonDigits,
  findComponents,
  mergeParts,
  SUBSTANTIAL_HEIGHT,
  typicalDigitHeight,
  type Box,
  type ComponentImage,
  type InkComponent,
} from './components.js';
import { digitInput } from './crops.js';
import { decodeImage, DEFAULT_DECODE_LIMITS, type DecodeLimits } from './decode.js';
import { groupLines } from './lines.js';
import { labelsOffPage } from './page.js';
import type { Separator } from './pen/symbols.js';
import { cv, withMats } from '../ml/opencv.js';
import { chooseSplit, FINE_CUTS, FIRST_CUTS, needsSplitCheck, splitCandidates, typicalDigitWidth, type SplitCandidates } from './split.js';

/** Digits read with less confidence than this are flagged as uncertain rather than passed off as read. */
export const UNCERTAIN_BELOW = 0.7;

/** [x, y, width, height] in the input's pixels. */
export type BoxTuple = [number, number, number, number];

export interface RecognizedDigit {
  digit: number;
  confidence: number;
  box: BoxTuple;
  alternatives: Alternative[];
  uncertain: boolean;
  /** Pen input: read from a stroke still being drawn (see StrokeSet.open). */
  provisional?: boolean;
}

/** A separator read from pen strokes (see pen/symbols.ts); unsure ones are flagged and left out of the text. */
export interface RecognizedSymbol {
  symbol: Separator;
  confidence: number;
  box: BoxTuple;
  uncertain: boolean;
}

export interface RecognizedLine {
  /** The line's digits, with separators and a space between numbers where the writing shows them. */
  text: string;
  box: BoxTuple;
  digits: RecognizedDigit[];
  symbols?: RecognizedSymbol[];
}

export interface RecognitionResult {
  /** Lines joined with "\n". */
  text: string;
  lines: RecognizedLine[];
  /** The digits of all lines, in reading order. */
  digits: RecognizedDigit[];
  /** Size of the input in its own pixels. */
  width: number;
  height: number;
  polarity: InkImage['polarity'];
  binarization: InkImage['method'];
  /** Pen input: the finished strokes (by key) of each digit and separator read, for the next reading's StrokeSet.settled. */
  groups?: string[][];
  /** Pen input read while the person may still be writing (StrokeSet.writing): a reading after a pause would read differently. */
  waitsForPause?: boolean;
  /** Images: the typical height of the writing found, in the input's pixels (0 when none), for the next frame's ReadingHints. */
  writingHeight?: number;
}

/** What the previous frame of the same camera said about the scene, to read the next one cheaper. */
export interface ReadingHints {
  /** RecognitionResult.writingHeight of that frame. */
  writingHeight?: number;
}

export interface InkOptions {
  /** Input pixels per pixel of the ink image. */
  scale?: number;
  /** Where the ink image's origin lies in the input, in input pixels. */
  offset?: { x: number; y: number };
}

function toTuple(box: Box, scale: number, offset = { x: 0, y: 0 }): BoxTuple {
  return [Math.round(offset.x + box.x * scale), Math.round(offset.y + box.y * scale), Math.round(box.width * scale), Math.round(box.height * scale)];
}

interface Located {
  box: Box;
  prediction: DigitPrediction;
}

/**
 * A reading in halves around the network: `inputs` are every piece of ink to classify, and
 * `complete` turns their predictions into the result, or into a further plan when the network said
 * some ink is not one digit and it is to be cut and read again. Split so that a worker can read
 * several sessions' ink with one call of the network per round (batching across sessions).
 */
export interface PlannedReading {
  inputs: Float32Array[];
  complete(predictions: DigitPrediction[]): RecognitionResult | PlannedReading;
}

/**
 * Ink read as a whole is cut and read again when the network (with a reject output) gives "not one
 * digit" more than this, if it is at least SECOND_LOOK_MIN_WIDTH digit heights wide: narrower than
 * the width test for touching digits, since a pair of narrow digits (11, 17) is not wide.
 */
const SECOND_LOOK_NOT_DIGIT = 0.5;
export const SECOND_LOOK_MIN_WIDTH = 0.5;
/**
 * A cutting that reads any of its digits with less confidence than this is tried again with fine
 * cuts (FINE_CUTS) and that reading is kept, if the ink is at most RECUT_MAX_WIDTH digit heights
 * wide: fine cuts cost pieces in proportion to the width, and ink wider than five or six digits is
 * more often a shadow or a paper edge than touching digits. (On 1,000 touching numbers of
 * validation digits: 90.8 % exact at 3, 91.9 % at 5, 92.0 % with no bound, which let a shadow
 * along a camera frame cost 700 ms.)
 */
const RECUT_BELOW = 0.9;
const RECUT_MAX_WIDTH = 5;
/**
 * Nor is ink cut finely whose first cutting read no piece as a digit with even this confidence:
 * that ink is a shadow's residue or a dark corner, not touching digits cut in the wrong places,
 * and fine cuts (several times the pieces, over 250 for such ink across a camera frame) read it
 * no better. (On the eleven image sets of validation digits, 73 of 487 fine cuttings started so,
 * and 5 of them ended with other digits; with them left as they were, every set read as many
 * numbers right as before, or one more.)
 */
const RECUT_MIN_CONFIDENCE = 0.05;

export function isPlan(value: RecognitionResult | PlannedReading): value is PlannedReading {
  return 'inputs' in value;
}

export interface InkPieces {
  componentImage: ComponentImage;
  /** Ink that may be one digit or several touching: components with their parts joined. */
  pieces: InkComponent[];
  digitHeight: number;
  digitWidth: number;
}

/**
 * At most this many components of one image go on to be joined, cut and read: a form full of
 * numbers has far fewer, while a textured surface or a page of print can have thousands, each a
 * cost for the joining (quadratic) and the network. Beyond it, those nearest the writing's height
 * are read.
 */
export const MAX_COMPONENTS = 300;

function mostDigitLike(components: InkComponent[], digitHeight: number): InkComponent[] {
  if (components.length <= MAX_COMPONENTS) return components;
  const distance = (c: InkComponent) => Math.abs(Math.log(Math.max(1, c.height) / Math.max(1, digitHeight)));
  const nearest = new Set([...components].sort((a, b) => distance(a) - distance(b)).slice(0, MAX_COMPONENTS));
  return components.filter((c) => nearest.has(c));
}

/**
 * No piece of a number is taller than this many times its writing's height: the substantial ink
 * that sets the height is at least SUBSTANTIAL_HEIGHT of the tallest (typicalDigitHeight), so only
 * slivers that it leaves out reach beyond.
 */
const MAX_PIECE_HEIGHT = 1 / SUBSTANTIAL_HEIGHT;

/** The ink's components made into pieces of about a digit each, and the size of its writing. */
export function findPieces(ink: InkImage): InkPieces {
  const componentImage = findComponents(ink.mask, ink.width, ink.height);
  const offPage = ink.notPaper ? labelsOffPage(componentImage.labels, ink.width, ink.height, ink.notPaper) : null;
  const onPage = offPage ? componentImage.components.filter((c) => !offPage.has(c.labels[0])) : componentImage.components;
  const { kept } = dropNonDigits(withoutDashedLines(onPage, componentImage).kept, componentImage);
  const digitHeight = typicalDigitHeight(kept);
  // Pieces still small or flat once parts are joined are punctuation, dashes or dirt, not digits;
  // ink far taller than the writing is a sliver that typicalDigitHeight left out of its height.
  const pieces = mergeParts(mostDigitLike(kept, digitHeight), digitHeight).filter(
    (p) => Math.max(p.width, p.height) >= 0.35 * digitHeight && p.height >= 0.3 * digitHeight && p.height <= MAX_PIECE_HEIGHT * digitHeight,
  );
  return { componentImage, pieces, digitHeight, digitWidth: typicalDigitWidth(pieces, digitHeight) };
}

/** `found`: the ink's pieces when the caller already has them (see recognizeGray). */
export function planReading(ink: InkImage, options: InkOptions = {}, found = findPieces(ink)): PlannedReading {
  const scale = options.scale ?? 1;
  const { componentImage, pieces, digitHeight, digitWidth } = found;
  // Pieces joined from parts above are one digit by that evidence; only whole ink is cut.
  const mayCut = (piece: InkComponent) => piece.labels.length === 1;
  const singles: { piece: InkComponent; input: Float32Array }[] = [];
  const splits: SplitCandidates[] = [];
  for (const piece of pieces) {
    if (mayCut(piece) && needsSplitCheck(piece, digitHeight, digitWidth)) {
      splits.push(splitCandidates(ink, componentImage, piece, digitHeight));
    } else {
      singles.push({ piece, input: digitInput(ink, componentImage, piece.labels, piece) });
    }
  }
  const segmentInputs = (candidates: SplitCandidates[]) => candidates.flatMap((c) => [...c.segments.values()].map((segment) => segment.input));
  const finish = (located: Located[]) => assemble(located, ink, scale, options.offset);
  // Chooses a cutting for each piece, and cuts again finely the pieces whose first cutting left a
  // digit unsure: a further round of the network, as many rounds as there are kinds of cut.
  const chooseCuttings = (candidates: SplitCandidates[], predictions: DigitPrediction[], located: Located[]): SplitCandidates[] => {
    const again: SplitCandidates[] = [];
    let offset = 0;
    for (const c of candidates) {
      const byKey = new Map<string, DigitPrediction>();
      for (const key of c.segments.keys()) byKey.set(key, predictions[offset++]);
      const chosen = chooseSplit(c, byKey, digitHeight, digitWidth);
      const confidences = chosen.map((piece) => piece.prediction.confidence);
      const unsure = chosen.length === 0 || Math.min(...confidences) < RECUT_BELOW;
      const hopeless = chosen.length > 0 && Math.max(...confidences) < RECUT_MIN_CONFIDENCE;
      if (unsure && !hopeless && c.cutOptions === FIRST_CUTS && c.component.width <= RECUT_MAX_WIDTH * digitHeight)
        again.push(splitCandidates(ink, componentImage, c.component, digitHeight, FINE_CUTS));
      else located.push(...chosen.map((piece) => ({ box: piece.segment.box, prediction: piece.prediction })));
    }
    return again;
  };
  const cuttingRounds = (candidates: SplitCandidates[], located: Located[]): PlannedReading | RecognitionResult => {
    if (candidates.length === 0) return finish(located);
    return {
      inputs: segmentInputs(candidates),
      complete: (predictions) => cuttingRounds(chooseCuttings(candidates, predictions, located), located),
    };
  };
  return {
    inputs: [...singles.map((s) => s.input), ...segmentInputs(splits)],
    complete(predictions): RecognitionResult | PlannedReading {
      const located: Located[] = [];
      const next = chooseCuttings(splits, predictions.slice(singles.length), located);
      singles.forEach((single, i) => {
        const prediction = predictions[i];
        if (prediction.notDigit > SECOND_LOOK_NOT_DIGIT && single.piece.width >= SECOND_LOOK_MIN_WIDTH * digitHeight && mayCut(single.piece)) {
          next.push(splitCandidates(ink, componentImage, single.piece, digitHeight));
        } else {
          located.push({ box: single.piece, prediction });
        }
      });
      return cuttingRounds(next, located);
    },
  };
}

/**
 * A line whose middle digit by confidence (the upper one of two) is read with less confidence than
 * LINE_MEDIAN_CONFIDENCE, and that the network calls "not one digit" by LINE_NOT_DIGIT on average,
 * is left out: what reads as no digit in particular, and as not digits at all, is a picture, a
 * pattern or a blot, not a number, and no number is better than a guess. So is such a line whose
 * confidences' geometric mean is under LINE_MEAN_CONFIDENCE: one shape that happens to look like a
 * digit (an arc of a ring cut by the frame's edge) must not carry the no-digits beside it into a
 * number. A line merely unsure between digits stays, its digits flagged.
 */
const LINE_MEDIAN_CONFIDENCE = 0.5;
const LINE_MEAN_CONFIDENCE = 0.3;
const LINE_NOT_DIGIT = 0.5;

export function isNumber(line: readonly DigitPrediction[]): boolean {
  const notDigit = line.reduce((sum, prediction) => sum + prediction.notDigit, 0) / line.length;
  if (notDigit < LINE_NOT_DIGIT) return true;
  const confidences = line.map((prediction) => prediction.confidence).sort((a, b) => a - b);
  const geometricMean = Math.exp(confidences.reduce((sum, c) => sum + Math.log(Math.max(c, 1e-6)), 0) / confidences.length);
  return confidences[Math.floor(confidences.length / 2)] >= LINE_MEDIAN_CONFIDENCE && geometricMean >= LINE_MEAN_CONFIDENCE;
}

/**
 * A piece shorter than this share of its line's median height that the network calls "not one
 * digit" is a speck beside the writing (dirt, a fleck of a desk's grain, a shadow's fringe), not a
 * digit of it: it is left out of the line before the line is judged, so that it neither shows as a
 * digit nor makes a clearly written number look like a picture.
 */
const SPECK_HEIGHT_SHARE = 0.5;

function withoutSpecks(items: Located[]): Located[] {
  const heights = items.map((item) => item.box.height).sort((a, b) => a - b);
  const median = heights[Math.floor(heights.length / 2)];
  return items.filter((item) => item.box.height >= SPECK_HEIGHT_SHARE * median || item.prediction.notDigit < LINE_NOT_DIGIT);
}

function assemble(located: Located[], ink: InkImage, scale: number, offset?: { x: number; y: number }): RecognitionResult {
  const lines = groupLines(located)
    .map(withoutSpecks)
    .filter((items) => isNumber(items.map((item) => item.prediction)))
    .map((items): RecognizedLine => {
      const digits = items.map(({ box, prediction }) => ({
        digit: prediction.digit,
        confidence: Math.round(prediction.confidence * 1e4) / 1e4,
        box: toTuple(box, scale, offset),
        alternatives: prediction.alternatives,
        uncertain: prediction.confidence < UNCERTAIN_BELOW,
      }));
      const extent = items
        .map((i) => i.box)
        .reduce((a, b) => ({
          x: Math.min(a.x, b.x),
          y: Math.min(a.y, b.y),
          width: Math.max(a.x + a.width, b.x + b.width) - Math.min(a.x, b.x),
          height: Math.max(a.y + a.height, b.y + b.height) - Math.min(a.y, b.y),
        }));
      return { text: digits.map((d) => d.digit).join(''), box: toTuple(extent, scale, offset), digits };
    });
  return {
    text: lines.map((l) => l.text).join('\n'),
    lines,
    digits: lines.flatMap((l) => l.digits),
    width: Math.round(ink.width * scale),
    height: Math.round(ink.height * scale),
    polarity: ink.polarity,
    binarization: ink.method,
  };
}

/** Reads several plans with one call of the network per round (a second round only for ink to cut again). */
export async function completeTogether(plans: PlannedReading[], classifier: DigitClassifier): Promise<RecognitionResult[]> {
  const outcomes: (RecognitionResult | PlannedReading)[] = [...plans];
  for (let pending = outcomes.map((_, i) => i); pending.length > 0; pending = pending.filter((i) => isPlan(outcomes[i]))) {
    const round = pending.map((i) => outcomes[i] as PlannedReading);
    const predictions = round.some((plan) => plan.inputs.length > 0) ? await classifier.classify(round.flatMap((plan) => plan.inputs)) : [];
    let offset = 0;
    round.forEach((plan, k) => {
      outcomes[pending[k]] = plan.complete(predictions.slice(offset, offset + plan.inputs.length));
      offset += plan.inputs.length;
    });
  }
  return outcomes as RecognitionResult[];
}

export async function recognizeInk(ink: InkImage, classifier: DigitClassifier, options: InkOptions = {}): Promise<RecognitionResult> {
  return (await completeTogether([planReading(ink, options)], classifier))[0];
}

/**
 * Writing taller than LARGE_WRITING pixels (a number held close to a camera) is read from a copy
 * scaled down so that its digits are WORKING_DIGIT_HEIGHT tall: the network sees them 20 px tall
 * anyway, and every step after binarising (cutting above all) costs per pixel.
 */
const WORKING_DIGIT_HEIGHT = 64;
const LARGE_WRITING = 1.5 * WORKING_DIGIT_HEIGHT;

function scaledDown(image: GrayImage8, factor: number): GrayImage8 {
  const width = Math.max(1, Math.round(image.width / factor)),
    height = Math.max(1, Math.round(image.height / factor));
  return withMats(1, (out) => {
    const source = cv.matFromArray(image.height, image.width, cv.CV_8U, image.data);
    cv.resize(source, out, new cv.Size(width, height), 0, 0, cv.INTER_AREA);
    source.delete();
    return { width, height, data: out.data.slice() };
  });
}

/**
 * Writing shorter than SMALL_WRITING pixels (a number far from the camera) is read again from the
 * part of the image around it, scaled up so its digits are about ENLARGED_DIGIT_HEIGHT tall: at
 * 15-20 pixels a pen stroke is a pixel or two wide, and thresholding breaks and merges strokes that
 * an interpolated enlargement keeps apart. Bounded by MAX_ENLARGED_PIXELS.
 */
const SMALL_WRITING = 26;
const ENLARGED_DIGIT_HEIGHT = 44;
const MAX_ENLARGED_PIXELS = 1_500_000;
/**
 * The enlarged part reaches this many of the writing's heights left and right of the pieces found
 * at full size (one above and below): faint digits that the full-size look missed lie beside the
 * ones it found, in their line.
 */
const ENLARGED_ASIDE = 3;
/**
 * A reading of the enlargement with an unsure digit, or with none at all, is looked at again
 * sharpened (an unsharp mask: the image plus its difference from a blur this share of the
 * enlarged digits' height wide): a camera's blur, enlarged with the digits, spreads a small
 * digit's strokes over its loops, and thresholded they fill them (a 9 read as 5, a 1 as 8; a bold
 * 796 whose every piece read "not one digit"). Sharpening narrows the strokes back to their dark
 * cores. Never the first look: sharpened, a pale picture's features (a face's eyes) can threshold
 * into rings that read as 0s.
 */
const SHARPEN_SIGMA_SHARE = 1 / 15;
/** The neighbourhood, in enlarged pixels, whose darkest and lightest grey the sharpened grey stays between. */
const SHARPEN_CLAMP_SIDE = 5;

function enlargedRegion(image: GrayImage8, found: InkPieces): { region: GrayImage8; x: number; y: number; factor: number } | null {
  if (found.pieces.length === 0 || found.digitHeight <= 0 || found.digitHeight >= SMALL_WRITING) return null;
  const margin = Math.ceil(found.digitHeight);
  const aside = Math.ceil(ENLARGED_ASIDE * found.digitHeight);
  const left = Math.max(0, Math.min(...found.pieces.map((p) => p.x)) - aside),
    top = Math.max(0, Math.min(...found.pieces.map((p) => p.y)) - margin),
    right = Math.min(image.width, Math.max(...found.pieces.map((p) => p.x + p.width)) + aside),
    bottom = Math.min(image.height, Math.max(...found.pieces.map((p) => p.y + p.height)) + margin);
  const factor = Math.min(3, ENLARGED_DIGIT_HEIGHT / found.digitHeight);
  const width = Math.round((right - left) * factor),
    height = Math.round((bottom - top) * factor);
  if (width * height > MAX_ENLARGED_PIXELS || width < 1 || height < 1) return null;
  const region = withMats(1, (out) => {
    const source = cv.matFromArray(image.height, image.width, cv.CV_8U, image.data);
    const crop = source.roi(new cv.Rect(left, top, right - left, bottom - top));
    cv.resize(crop, out, new cv.Size(width, height), 0, 0, cv.INTER_CUBIC);
    crop.delete();
    source.delete();
    return { width, height, data: out.data.slice() };
  });
  return { region, x: left, y: top, factor: width / (right - left) };
}

/** `region` sharpened (see SHARPEN_SIGMA_SHARE). */
function sharpened(region: GrayImage8): GrayImage8 {
  const { width, height, data: plain } = region;
  return withMats(3, (blurred, darkest, lightest) => {
    const grey = cv.matFromArray(height, width, cv.CV_8U, plain);
    try {
      cv.GaussianBlur(grey, blurred, new cv.Size(0, 0), SHARPEN_SIGMA_SHARE * ENLARGED_DIGIT_HEIGHT);
      // Held within the greys already there nearby: a plain unsharp mask overshoots at every edge,
      // and the dark fringe it draws along the sheet's edge or a shadow's reads as a stroke.
      const near = cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(SHARPEN_CLAMP_SIDE, SHARPEN_CLAMP_SIDE));
      cv.morphologyEx(grey, darkest, cv.MORPH_ERODE, near);
      cv.morphologyEx(grey, lightest, cv.MORPH_DILATE, near);
      near.delete();
    } finally {
      grey.delete();
    }
    // Twice the image less its blur (opencv-wasm's typings have no addWeighted).
    const blur = blurred.data,
      low = darkest.data,
      high = lightest.data,
      data = new Uint8Array(plain.length);
    for (let i = 0; i < data.length; i++) data[i] = Math.max(low[i], Math.min(high[i], 2 * plain[i] - blur[i]));
    return { width, height, data };
  });
}

/** The mean confidence of a reading's digits; 0 for none. */
function meanConfidence(result: RecognitionResult): number {
  return result.digits.length === 0 ? 0 : result.digits.reduce((sum, d) => sum + d.confidence, 0) / result.digits.length;
}

/**
 * A camera's previous frame whose writing was over CLEARLY_LARGE times LARGE_WRITING (a card held
 * close) says the next one is read from a smaller copy too, and binarising it at full size would
 * only measure the height again, at three to four times the cost of the smaller copy. If that copy
 * shows writing no longer large (another card, the camera moved back), the frame is read as any
 * other.
 */
const CLEARLY_LARGE = 1.25;

/**
 * A frame with no such hint (or one from a frame with no writing) is first measured on a copy
 * COARSE_FACTOR times smaller, at a quarter of the cost of binarising it whole: writing larger than
 * LARGE_WRITING (half the photos of a camera held over a sheet) then goes straight to the smaller
 * copy it is read from, and is never binarised at full size only to be measured. That copy is the one the full-size measure would
 * have chosen, not the coarse one: the coarse one is only a measure. Frames under COARSE_MIN_SIDE
 * on their short side are cheap enough as they are. The coarse measure is trusted only with pen
 * strokes at least COARSE_MIN_STROKE_SHARE of the writing's height wide: a thin line halved in
 * width is as wide as small writing's strokes, so the copy may leave a ruled or margin line joined
 * to the digits it crosses, and that tall piece of thin strokes passes for large writing (pens
 * write a tenth to a third of their digits' height wide; such pieces measured under 0.09). Not a
 * smaller copy: writing measured large in this one is at least 48 px tall there, the size from
 * which pictures are told from writing (shapes.ts); in a quarter-size copy a picture too small to
 * be judged passed for large writing and was read as digits.
 */
const COARSE_FACTOR = 2;
const COARSE_MIN_SIDE = 240;
const COARSE_MIN_STROKE_SHARE = 0.12;

/** The writing's height in `image`'s pixels measured on a coarse copy, if it is large; 0 otherwise. */
function coarseLargeWriting(image: GrayImage8): number {
  if (Math.min(image.width, image.height) < COARSE_MIN_SIDE) return 0;
  const coarse = scaledDown(image, COARSE_FACTOR);
  const ink = binarize(coarse);
  const { digitHeight } = findPieces(ink);
  const height = digitHeight * (image.width / coarse.width);
  return height > LARGE_WRITING && penWidth(ink.mask, ink.width, ink.height) >= COARSE_MIN_STROKE_SHARE * digitHeight ? height : 0;
}

export async function recognizeGray(image: GrayImage8, classifier: DigitClassifier, scale = 1, hints: ReadingHints = {}): Promise<RecognitionResult> {
  const hintedHeight = (hints.writingHeight ?? 0) / scale;
  let largeHeight = hintedHeight > CLEARLY_LARGE * LARGE_WRITING ? hintedHeight : 0;
  if (!hintedHeight) largeHeight = coarseLargeWriting(image);
  if (largeHeight > 0) {
    const smaller = scaledDown(image, largeHeight / WORKING_DIGIT_HEIGHT);
    const factor = image.width / smaller.width;
    const ink = binarize(smaller);
    const found = findPieces(ink);
    if (found.digitHeight * factor > LARGE_WRITING) return readSmaller(image, ink, found, factor, classifier, scale);
  }
  const ink = binarize(image);
  const found = findPieces(ink);
  const writingHeight = found.digitHeight * scale;
  const enlarged = enlargedRegion(image, found);
  if (enlarged) {
    const placed = { scale: scale / enlarged.factor, offset: { x: enlarged.x * scale, y: enlarged.y * scale } };
    let result = await recognizeInk(binarize(enlarged.region), classifier, placed);
    if (result.digits.length === 0 || result.digits.some((digit) => digit.uncertain)) {
      const again = await recognizeInk(binarize(sharpened(enlarged.region)), classifier, placed);
      if (meanConfidence(again) > meanConfidence(result)) result = again;
    }
    return { ...result, width: Math.round(image.width * scale), height: Math.round(image.height * scale), writingHeight };
  }
  if (found.digitHeight <= LARGE_WRITING) return { ...(await completeTogether([planReading(ink, { scale }, found)], classifier))[0], writingHeight };
  const smaller = scaledDown(image, found.digitHeight / WORKING_DIGIT_HEIGHT);
  const smallerInk = binarize(smaller);
  return readSmaller(image, smallerInk, findPieces(smallerInk), image.width / smaller.width, classifier, scale);
}

/** Reads `ink`, binarised from a copy of `image` `factor` times smaller, as `image`'s reading. */
async function readSmaller(
  image: GrayImage8,
  ink: InkImage,
  found: InkPieces,
  factor: number,
  classifier: DigitClassifier,
  scale: number,
): Promise<RecognitionResult> {
  const result = (await completeTogether([planReading(ink, { scale: scale * factor }, found)], classifier))[0];
  return { ...result, width: Math.round(image.width * scale), height: Math.round(image.height * scale), writingHeight: found.digitHeight * factor * scale };
}

export async function recognizeImage(
  bytes: Uint8Array,
  classifier: DigitClassifier,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
  hints: ReadingHints = {},
): Promise<RecognitionResult> {
  const decoded = await decodeImage(bytes, limits);
  const result = await recognizeGray(decoded, classifier, decoded.scale, hints);
  return { ...result, width: decoded.inputWidth, height: decoded.inputHeight };
}
