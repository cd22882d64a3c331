/**
 * Held-out pen writing, made differently from anything the model or the grouping was tuned on:
 * MNIST test digits (or digits of handwriting fonts) traced, then joined into the long strokes a
 * pen makes (a person writes an 8 in one stroke, not the pieces a skeleton falls into), resampled
 * at a pen's uneven pace with a hand's tremor, and written as numbers in several ways: spaced,
 * close, touching, overlapping, with late strokes (the bar of a 4 added after the next digit), and
 * with separators (dates, times, decimals, negatives, two numbers on a line). Two sets leave the
 * pen's strokes as it would not: the tracer's pieces unjoined (another tracer's output), and
 * strokes broken where a stylus skipped.
 *
 * Sets are made from a seed, so a figure can be reproduced; `npm run measure` reports them.
 */
import { digitPixels, type DigitSet } from '../../training/mnist.js';
import { gaussian, uniform, type Random } from '../../training/random.js';
import type { StrokePoint, StrokeSet } from '../../server/recognition/strokes.js';
import { fontsInstalled, fontGlyphStrokes } from '../../training/fonts.js';
import { glyphStrokes } from '../../training/trace.js';

type Polyline = [number, number][];

/** Pieces whose ends lie this close (in digit heights) are one pen stroke. */
const JOIN_DISTANCE = 0.08;

/** Joins traced pieces end to end into the longer strokes a pen draws, starting at the top left. */
export function joinPieces(pieces: Polyline[]): Polyline[] {
  const left = pieces.map((p) => [...p]);
  const strokes: Polyline[] = [];
  while (left.length > 0) {
    let stroke = left.shift()!;
    // Start where a person starts: the end nearer the top.
    if (stroke[stroke.length - 1][1] < stroke[0][1]) stroke = stroke.reverse();
    for (;;) {
      const tail = stroke[stroke.length - 1];
      let best = -1,
        reverse = false,
        bestDistance = JOIN_DISTANCE;
      left.forEach((piece, i) => {
        const toStart = Math.hypot(piece[0][0] - tail[0], piece[0][1] - tail[1]);
        const toEnd = Math.hypot(piece[piece.length - 1][0] - tail[0], piece[piece.length - 1][1] - tail[1]);
        if (toStart < bestDistance) [best, reverse, bestDistance] = [i, false, toStart];
        if (toEnd < bestDistance) [best, reverse, bestDistance] = [i, true, toEnd];
      });
      if (best < 0) break;
      const [piece] = left.splice(best, 1);
      stroke = stroke.concat(reverse ? piece.reverse() : piece);
    }
    strokes.push(stroke);
  }
  return strokes;
}

/** A pen's pace: points every 0.01-0.05 digit heights, a little tremor. */
function penPath(stroke: Polyline, random: Random): Polyline {
  const out: Polyline = [];
  let carried = 0;
  let step = uniform(random, 0.01, 0.05);
  for (let i = 0; i < stroke.length; i++) {
    if (i > 0) carried += Math.hypot(stroke[i][0] - stroke[i - 1][0], stroke[i][1] - stroke[i - 1][1]);
    if (i === 0 || i === stroke.length - 1 || carried >= step) {
      out.push([stroke[i][0] + 0.004 * gaussian(random), stroke[i][1] + 0.004 * gaussian(random)]);
      carried = 0;
      step = uniform(random, 0.01, 0.05);
    }
  }
  return out;
}

/**
 * Held-out handwriting fonts: never used in training (training/fonts.ts lists those that are).
 * Every Debian handwriting font with Latin digits drawn as one line of ink per stroke. Not
 * femkeklaver: it draws each digit as a sketched outline, which traces into two strokes round the
 * digit, a way no one writes with a pen (it read 13 % exact where the others read 64-100 %).
 */
export const HELD_OUT_FONTS = [
  'DkgHandwriting',
  'Because We Learn',
  'Because We Mentor',
  'Dancing Script',
  'Rufscript',
  'Tomson Talks',
  'Humor Sans',
  'Yusei Magic',
  'SetoFont',
];

/** The Debian packages that hold HELD_OUT_FONTS. */
export const HELD_OUT_FONT_PACKAGES =
  'fonts-dkg-handwriting fonts-bwht fonts-dancingscript fonts-rufscript fonts-tomsontalks fonts-humor-sans fonts-yusei-magic fonts-seto';

/** Whether the held-out fonts are installed (Debian's fonts-* packages; see the README). */
export function fontsAvailable(): Promise<boolean> {
  return fontsInstalled(HELD_OUT_FONTS);
}

export interface PenSetStyle {
  /** Gap between digits in digit heights: [from, to]; negative overlaps. */
  gap: [number, number];
  /** Chance that a digit of two or more strokes gets its last stroke after the next digit. */
  late?: number;
  /** Numbers with separators instead of plain digit strings. */
  separators?: boolean;
  fonts?: boolean;
  /** Strokes as the tracer leaves them, in pieces between junctions, not joined as a pen draws them (another tracer's output). */
  traced?: boolean;
  /** Chance that a stroke is broken where the pen skipped a few samples (a stylus or touch screen that lost contact). */
  skips?: number;
  /** How far the hand leans the number, beyond its digits' own lean (tangent, right): [from, to]. */
  slant?: [number, number];
}

export const PEN_SETS: Record<string, PenSetStyle> = {
  'pen-spaced': { gap: [0.15, 0.5] },
  'pen-close': { gap: [0, 0.1] },
  'pen-touching': { gap: [-0.04, 0.02] },
  'pen-overlapping': { gap: [-0.15, -0.04] },
  'pen-late': { gap: [0.05, 0.4], late: 0.7 },
  'pen-fonts': { gap: [0.1, 0.4], fonts: true },
  'pen-separators': { gap: [0.1, 0.4], separators: true },
  'pen-traced': { gap: [0.05, 0.3], traced: true },
  'pen-skips': { gap: [0.05, 0.3], skips: 0.5 },
  // An italic hand: 17 to 31 degrees beyond the lean MNIST's writers give their digits.
  'pen-italic': { gap: [0.05, 0.3], slant: [0.3, 0.6] },
};

/**
 * A stroke broken once or twice where the pen lost one to three samples: its pieces, each with the
 * samples lost before it (0 for the first), so that its times carry on across the loss.
 */
function skipped(stroke: Polyline, random: Random): { points: Polyline; lost: number }[] {
  if (stroke.length < 12) return [{ points: stroke, lost: 0 }];
  const cuts = Array.from({ length: 1 + Math.floor(random() * 2) }, () => 3 + Math.floor(random() * (stroke.length - 9))).sort((a, b) => a - b);
  const pieces: { points: Polyline; lost: number }[] = [];
  let from = 0;
  let lost = 0;
  for (const cut of cuts) {
    if (cut > from + 1) {
      pieces.push({ points: stroke.slice(from, cut), lost });
      lost = 0;
    } else lost += Math.max(0, cut - from);
    const resume = Math.max(from, cut + 1 + Math.floor(random() * 3));
    lost += resume - Math.max(from, cut);
    from = resume;
  }
  if (stroke.length > from + 1) pieces.push({ points: stroke.slice(from), lost });
  return pieces;
}

/** What a number with separators looks like: a date, a time, a decimal, a negative, two numbers. */
function separatorTemplate(random: Random): string {
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  // Dates are days and months, written with two digits each as forms ask for them.
  const dayAndMonth = () => `${String(1 + Math.floor(random() * 31)).padStart(2, '0')}/${String(1 + Math.floor(random() * 12)).padStart(2, '0')}`;
  switch (Math.floor(random() * 6)) {
    case 0:
      return dayAndMonth();
    case 1:
      return `${dayAndMonth()}/${digits(2 + 2 * Math.floor(random() * 2))}`;
    case 2:
      return `${digits(2)}:${digits(2)}`;
    case 3:
      return `${digits(1 + Math.floor(random() * 3))}.${digits(1 + Math.floor(random() * 3))}`;
    case 4:
      return `-${digits(1 + Math.floor(random() * 3))}`;
    default:
      return `${digits(2 + Math.floor(random() * 2))} ${digits(2 + Math.floor(random() * 2))}`;
  }
}

/** A separator's strokes in a unit box whose height is the digits' (x from 0), and its width. */
function separatorStrokes(symbol: string, random: Random): { strokes: Polyline[]; width: number } {
  const dot = (x: number, y: number): Polyline => {
    const r = uniform(random, 0.02, 0.04);
    return Array.from({ length: 6 }, (_, i) => [x + r * Math.cos((i * Math.PI) / 3), y + r * Math.sin((i * Math.PI) / 3)]);
  };
  const line = (x0: number, y0: number, x1: number, y1: number): Polyline =>
    Array.from({ length: 12 }, (_, i) => [x0 + ((x1 - x0) * i) / 11, y0 + ((y1 - y0) * i) / 11]);
  switch (symbol) {
    case '.':
      return { strokes: [dot(0.05, uniform(random, 0.9, 1))], width: 0.1 };
    case ':':
      return { strokes: [dot(0.05, uniform(random, 0.3, 0.4)), dot(0.05, uniform(random, 0.75, 0.9))], width: 0.1 };
    case '-': {
      const width = uniform(random, 0.3, 0.55),
        y = uniform(random, 0.45, 0.6);
      return { strokes: [line(0, y, width, y + uniform(random, -0.04, 0.04))], width };
    }
    case '/': {
      const lean = uniform(random, 0.45, 0.8),
        over = uniform(random, 0, 0.15);
      return { strokes: [line(lean, -over, 0, 1 + over)], width: lean };
    }
    default:
      return { strokes: [], width: uniform(random, 0.9, 1.4) };
  }
}

export interface PenSample {
  text: string;
  set: StrokeSet;
  /** For each stroke, the position in `text` of the character it belongs to. */
  charOfStroke: number[];
}

/**
 * A number written as `style` says, digits `digitHeight` canvas units tall, on a canvas made big
 * enough for it (digits of any size are written at that size, never squeezed).
 */
export async function penSample(style: PenSetStyle, digits: DigitSet, random: Random, digitHeight: number): Promise<PenSample> {
  const text = style.separators ? separatorTemplate(random) : Array.from({ length: 1 + Math.floor(random() * 8) }, () => Math.floor(random() * 10)).join('');
  // `lost`: for each stroke, the samples the pen lost just before it (a skip; 0 for a new stroke).
  const glyphs: { strokes: Polyline[]; lost?: number[]; width: number }[] = [];
  for (const char of text) {
    if (!/[0-9]/.test(char)) {
      glyphs.push(separatorStrokes(char, random));
      continue;
    }
    const digit = Number(char);
    let pieces: Polyline[];
    if (style.fonts) {
      pieces = await fontGlyphStrokes(HELD_OUT_FONTS[Math.floor(random() * HELD_OUT_FONTS.length)], char);
    } else {
      // A random test digit of this class.
      let index = Math.floor(random() * digits.labels.length);
      while (digits.labels[index] !== digit) index = (index + 1) % digits.labels.length;
      pieces = glyphStrokes(
        Float32Array.from(digitPixels(digits, index), (v) => v / 255),
        28,
        28,
      );
    }
    const { traced, skips = 0 } = style;
    let strokes = (traced ? pieces : joinPieces(pieces)).map((s) => ({ points: penPath(s, random), lost: 0 }));
    if (skips > 0) strokes = strokes.flatMap((s) => (random() < skips ? skipped(s.points, random) : [s]));
    let left = Infinity,
      right = -Infinity;
    for (const s of strokes) for (const [x] of s.points) [left, right] = [Math.min(left, x), Math.max(right, x)];
    glyphs.push({
      strokes: strokes.map((s) => s.points.map(([x, y]): [number, number] => [x - left, y])),
      lost: strokes.map((s) => s.lost),
      width: right - left,
    });
  }
  // Place the glyphs left to right, each a little bigger or smaller, on a slightly wandering baseline.
  const placed: { strokes: Polyline[]; lost: number[]; order: number }[] = [];
  let x = 0.5;
  let order = 0;
  const slant = uniform(random, ...(style.slant ?? [-0.1, 0.25]));
  for (const glyph of glyphs) {
    const size = uniform(random, 0.9, 1.1);
    const baseline = uniform(random, -0.05, 0.05);
    const strokes = glyph.strokes.map((s) => s.map(([gx, gy]): [number, number] => [x + gx * size + slant * (1 - gy), 0.6 + baseline + gy * size]));
    placed.push({ strokes, lost: glyph.lost ?? strokes.map(() => 0), order: order++ });
    x += glyph.width * size + uniform(random, style.gap[0], style.gap[1]);
  }
  // Late strokes: the last stroke of a digit comes after the next digit's strokes.
  const sequence: Polyline[] = [];
  const lostBefore: number[] = [];
  const charOfStroke: number[] = [];
  let postponed: { stroke: Polyline; char: number } | undefined;
  for (const glyph of placed) {
    let strokes = glyph.strokes;
    const late = style.late !== undefined && strokes.length >= 2 && random() < style.late;
    if (late) strokes = strokes.slice(0, -1);
    sequence.push(...strokes);
    lostBefore.push(...glyph.lost.slice(0, strokes.length));
    charOfStroke.push(...strokes.map(() => glyph.order));
    if (postponed) {
      sequence.push(postponed.stroke);
      lostBefore.push(0);
      charOfStroke.push(postponed.char);
    }
    postponed = late ? { stroke: glyph.strokes[glyph.strokes.length - 1], char: glyph.order } : undefined;
  }
  if (postponed) {
    sequence.push(postponed.stroke);
    lostBefore.push(0);
    charOfStroke.push(postponed.char);
  }
  const width = Math.ceil((x + 0.5) * digitHeight);
  const height = Math.ceil(2.2 * digitHeight);
  let t = 0;
  const strokes = sequence.map((s, i) => {
    // Where the pen skipped, the samples it lost took their time and no more; a new stroke waits for the pen to come down.
    t += lostBefore[i] > 0 ? lostBefore[i] * uniform(random, 8, 16) : uniform(random, 150, 450);
    return s.map(([px, py]): StrokePoint => [px * digitHeight, py * digitHeight, (t += uniform(random, 8, 16))]);
  });
  return { text, set: { width: Math.max(width, 40), height, strokes }, charOfStroke };
}
