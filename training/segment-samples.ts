/**
 * Training samples cut the way the pipeline cuts: numbers with touching digits are composed from
 * training digits, and the real binarisation, components and split candidates of the recognition
 * pipeline cut them into candidate pieces. Each piece is labelled by whose ink it holds: one digit's
 * ink, nearly all of it and little else, is that digit; anything else (a digit and half its
 * neighbour, half a digit, a sliver) is "not one digit". Made so that the classifier learns to
 * tell the pieces of a right cutting from those of a wrong one on the pieces it will be shown, not
 * on an idea of them.
 */
import { binarize, type InkImage } from '../server/recognition/binarize.js';
import { labelFlags, type ComponentImage, type InkComponent } from '../server/recognition/components.js';
import { digitInput, insideSpans, type RowSpans } from '../server/recognition/crops.js';
import { findPieces, SECOND_LOOK_MIN_WIDTH } from '../server/recognition/recognize.js';
import { FINE_CUTS, FIRST_CUTS, splitCandidates } from '../server/recognition/split.js';
import { composeNumber, SETS, type ComposeSpec, type ComposedImage } from './compose.js';
import type { DigitSet } from './mnist.js';
import { REJECT_CLASS } from '../server/ml/model.js';
import { MODEL_INPUT_SIZE } from '../server/ml/normalize.js';
import type { Random } from './random.js';

const INPUT_VALUES = MODEL_INPUT_SIZE * MODEL_INPUT_SIZE;

/**
 * A piece is a digit when it holds at least this share of that digit's ink and that digit is at
 * least this share of the piece's ink: touching digits overlap, so even the right cut leaves a
 * little of one digit with its neighbour.
 */
const DIGIT_SHARE = 0.9;
/** A piece is "not one digit" below this on either share; between the two it is left out as unclear. */
const REJECT_SHARE = 0.75;

/**
 * Numbers of 2-5 digits touching or overlapping, more and less than the measured sets do, written
 * the ways the measured sets are (a clean scan; slant, sizes, pens and polarity; a photo of paper),
 * one drawn at random per number.
 */
export const SEGMENT_SPECS: ComposeSpec[] = [
  { ...SETS.clean, length: [2, 5], height: [24, 72], gap: [-0.15, 0.08], thickness: [-0.5, 2], noise: 0.02 },
  { ...SETS.varied, length: [2, 5], gap: [-0.15, 0.08] },
  { ...SETS.photo, length: [2, 5], gap: [-0.15, 0.08] },
];

export interface SegmentSamples {
  /** count x 28 x 28 model inputs. */
  inputs: Float32Array;
  /** A digit 0-9, or REJECT_CLASS. */
  labels: Int32Array;
  count: number;
}

/**
 * Label of the ink of `piece` within `spans` (all of it without): a digit, REJECT_CLASS, or null
 * when neither clearly.
 */
export function segmentLabel(
  spans: RowSpans | undefined,
  piece: InkComponent,
  ink: InkImage,
  components: ComponentImage,
  owners: Int16Array,
  digits: number[],
): number | null {
  const own = labelFlags(components, piece.labels);
  const inPiece = new Map<number, number>(),
    inSegment = new Map<number, number>();
  let segmentInk = 0;
  for (let y = piece.y; y < piece.y + piece.height; y++) {
    for (let x = piece.x; x < piece.x + piece.width; x++) {
      const at = y * ink.width + x;
      const owner = owners[at];
      if (!own[components.labels[at]] || owner < 0) continue;
      inPiece.set(owner, (inPiece.get(owner) ?? 0) + 1);
      if (insideSpans(spans, x, y)) {
        inSegment.set(owner, (inSegment.get(owner) ?? 0) + 1);
        segmentInk++;
      }
    }
  }
  if (segmentInk === 0) return null;
  let main = -1,
    mainInk = 0;
  for (const [owner, count] of inSegment)
    if (count > mainInk) {
      main = owner;
      mainInk = count;
    }
  const cover = mainInk / inPiece.get(main)!,
    purity = mainInk / segmentInk;
  if (cover >= DIGIT_SHARE && purity >= DIGIT_SHARE) return digits[main];
  if (cover < REJECT_SHARE || purity < REJECT_SHARE) return REJECT_CLASS;
  return null;
}

/** Every labelled candidate piece of one composed number. */
export function samplesOf(image: ComposedImage): { input: Float32Array; label: number }[] {
  const digits = [...image.text.replace(/\n/g, '')].map(Number);
  const ink = binarize({ width: image.width, height: image.height, data: image.gray });
  const { componentImage, pieces, digitHeight } = findPieces(ink);
  const samples: { input: Float32Array; label: number }[] = [];
  for (const piece of pieces) {
    // Every piece is read whole first, in every look the writing has (a thick photographed 1 is a 1).
    const whole = segmentLabel(undefined, piece, ink, componentImage, image.owners, digits);
    if (whole !== null) samples.push({ input: digitInput(ink, componentImage, piece.labels, piece), label: whole });
    // The pipeline cuts only single components at least this wide (see planReading).
    if (piece.labels.length !== 1 || piece.width < SECOND_LOOK_MIN_WIDTH * digitHeight) continue;
    // Both kinds of cut the pipeline makes (see planReading): fine cuts hand the network other pieces.
    for (const cuts of [FIRST_CUTS, FINE_CUTS]) {
      for (const segment of splitCandidates(ink, componentImage, piece, digitHeight, cuts).segments.values()) {
        const label = segmentLabel(segment.spans, piece, ink, componentImage, image.owners, digits);
        if (label !== null) samples.push({ input: segment.input, label });
      }
    }
  }
  return samples;
}

/** Samples from `numbers` composed numbers; `onProgress` is told how many numbers are done. */
export async function makeSegmentSamples(set: DigitSet, random: Random, numbers: number, onProgress?: (done: number) => void): Promise<SegmentSamples> {
  const chunks: { input: Float32Array; label: number }[][] = [];
  let count = 0;
  for (let n = 0; n < numbers; n++) {
    const samples = samplesOf(await composeNumber(set, random, SEGMENT_SPECS[Math.floor(random() * SEGMENT_SPECS.length)]));
    chunks.push(samples);
    count += samples.length;
    onProgress?.(n + 1);
  }
  const inputs = new Float32Array(count * INPUT_VALUES),
    labels = new Int32Array(count);
  let i = 0;
  for (const sample of chunks.flat()) {
    inputs.set(sample.input, i * INPUT_VALUES);
    labels[i++] = sample.label;
  }
  return { inputs, labels, count };
}
