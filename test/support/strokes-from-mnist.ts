/**
 * Pen strokes made from real MNIST digits: each digit is thinned to its centre line and traced
 * into polylines (training/trace.ts), timed at a pen's pace, and placed on a canvas as a person
 * writes a number. Used to measure the stroke path and to drive benchmarks and load tests.
 */
import { digitPixels, type DigitSet } from '../../training/mnist.js';
import { glyphStrokes } from '../../training/trace.js';
import { uniform, type Random } from '../../training/random.js';
import type { StrokePoint, StrokeSet } from '../../server/recognition/strokes.js';

/** One MNIST digit as strokes in a unit box (x, y in 0..1 of the digit's height), in drawing order. */
export function digitStrokes(set: DigitSet, index: number): [number, number][][] {
  return glyphStrokes(
    Float32Array.from(digitPixels(set, index), (v) => v / 255),
    28,
    28,
  );
}

export interface WrittenNumber {
  text: string;
  set: StrokeSet;
  /** For each stroke, the position in `text` of the digit it belongs to. */
  digitOfStroke: number[];
}

/**
 * A number of `length` MNIST digits written on a canvas: digits about `digitHeight` units tall,
 * `gap` digit heights apart (from, to; negative overlaps), the pen moving at about `pointsEveryMs`
 * per point.
 */
export function writeNumber(
  set: DigitSet,
  random: Random,
  options: { length: number; width: number; height: number; digitHeight: number; pointsEveryMs?: number; gap?: [number, number] },
): WrittenNumber {
  const { length, width, height, digitHeight, pointsEveryMs = 12, gap = [0.15, 0.45] } = options;
  const strokes: StrokePoint[][] = [];
  const digitOfStroke: number[] = [];
  let text = '';
  let x = digitHeight * 0.4;
  let t = 0;
  const baseline = (height - digitHeight) / 2;
  for (let d = 0; d < length; d++) {
    const index = Math.floor(random() * set.labels.length);
    text += String(set.labels[index]);
    const digit = digitStrokes(set, index);
    const digitWidth = Math.max(...digit.flat().map((p) => p[0])) - Math.min(...digit.flat().map((p) => p[0]));
    const left = Math.min(...digit.flat().map((p) => p[0]));
    const size = digitHeight * uniform(random, 0.9, 1.1);
    const y0 = baseline + uniform(random, -0.06, 0.06) * digitHeight;
    for (const stroke of digit) {
      strokes.push(stroke.map(([px, py]): StrokePoint => [x + (px - left) * size, y0 + py * size, (t += pointsEveryMs)]));
      digitOfStroke.push(d);
      t += 120;
    }
    x += digitWidth * size + uniform(random, gap[0], gap[1]) * digitHeight;
    t += 250;
  }
  const scale = x > width ? width / (x + digitHeight * 0.2) : 1;
  const fitted = scale < 1 ? strokes.map((s) => s.map(([px, py, pt]): StrokePoint => [px * scale, height / 2 + (py - height / 2) * scale, pt])) : strokes;
  return { text, set: { width, height, strokes: fitted }, digitOfStroke };
}
