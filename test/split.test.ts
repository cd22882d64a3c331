import { describe, expect, it } from 'vitest';
import type { InkImage } from '../server/recognition/binarize.js';
import { findComponents } from '../server/recognition/components.js';
import { chooseSplit, FINE_CUTS, FIRST_CUTS, splitCandidates, type SplitCandidates } from '../server/recognition/split.js';
import type { DigitPrediction } from '../server/recognition/classifier.js';
import { penWidth } from '../server/recognition/binarize.js';

/**
 * Two thick strokes leaning the same way, side by side and joined by a bridge at the foot: every
 * column through the middle crosses one of them, but a slanted line between them crosses neither.
 */
function leaningPair(): InkImage {
  const width = 90,
    height = 60;
  const mask = new Uint8Array(width * height);
  const stroke = (x0: number, y0: number, x1: number, y1: number) => {
    for (let t = 0; t <= 1; t += 0.002) {
      const cx = x0 + (x1 - x0) * t,
        cy = y0 + (y1 - y0) * t;
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) mask[Math.round(cy + dy) * width + Math.round(cx + dx)] = 255;
    }
  };
  stroke(10, 55, 40, 5);
  stroke(35, 55, 65, 5);
  stroke(10, 55, 40, 55);
  return { width, height, mask, intensity: mask.slice(), polarity: 'light-on-dark', method: 'otsu', threshold: 128 };
}

/** A 1 (a bar) pressed against a 0 (a ring): no column between them has less ink than its neighbours. */
function barAgainstRing(): InkImage {
  const width = 70,
    height = 50;
  const mask = new Uint8Array(width * height);
  for (let y = 5; y < 45; y++) for (let x = 10; x < 15; x++) mask[y * width + x] = 255;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const r = Math.hypot((x - 34) / 20, (y - 25) / 20);
      if (r >= 0.78 && r <= 1) mask[y * width + x] = 255;
    }
  }
  return { width, height, mask, intensity: mask.slice(), polarity: 'light-on-dark', method: 'otsu', threshold: 128 };
}

describe('splitting touching digits', () => {
  it('cuts finely, when asked, right beside a 1 pressed against a 0', () => {
    const ink = barAgainstRing();
    const components = findComponents(ink.mask, ink.width, ink.height);
    expect(components.components).toHaveLength(1);
    const piece = components.components[0];
    // The bar ends at column 15, the ring starts at 14: a cut between them runs at 14-16 in every row.
    const besideTheBar = (cuts: Int32Array[]) => cuts.some((path) => path.every((column) => column >= 14 && column <= 16));
    expect(besideTheBar(splitCandidates(ink, components, piece, 40, FINE_CUTS).cuts)).toBe(true);
    expect(besideTheBar(splitCandidates(ink, components, piece, 40, FIRST_CUTS).cuts)).toBe(false);
  });

  it('cuts along the gap between leaning digits where no straight column is free of ink', () => {
    const ink = leaningPair();
    const components = findComponents(ink.mask, ink.width, ink.height);
    expect(components.components).toHaveLength(1);
    const piece = components.components[0];
    const inkOn = (column: (row: number) => number) => {
      let pixels = 0;
      for (let row = 0; row < piece.height; row++) if (ink.mask[(piece.y + row) * ink.width + column(row)]) pixels++;
      return pixels;
    };
    let leastStraight = Infinity;
    for (let x = piece.x + 20; x < piece.x + piece.width - 20; x++)
      leastStraight = Math.min(
        leastStraight,
        inkOn(() => x),
      );
    const { cuts } = splitCandidates(ink, components, piece, piece.height);
    const interior = cuts.slice(1, -1);
    expect(interior.length).toBeGreaterThan(0);
    const leastCurved = Math.min(...interior.map((path) => inkOn((row) => path[row])));
    // Only the bridge at the foot is crossed (5 rows thick), far less than any straight column.
    expect(leastCurved).toBeLessThanOrEqual(6);
    expect(leastStraight).toBeGreaterThan(2 * leastCurved);
  });
});

describe('choosing a cutting', () => {
  const prediction = (digit: number, confidence: number): DigitPrediction => ({
    digit,
    confidence,
    notDigit: 1 - confidence,
    alternatives: [{ digit, p: confidence }],
  });
  const candidates = (columns: number[], keys: string[]): SplitCandidates => ({
    component: { x: columns[0], y: 0, width: columns.at(-1)! - columns[0], height: 40, labels: [1], area: 1000 },
    cuts: columns.map((c) => new Int32Array(40).fill(c)),
    segments: new Map(
      keys.map((key) => {
        const [i, j] = key.split(',').map(Number);
        const spans = { top: 0, from: new Int32Array(40).fill(columns[i]), to: new Int32Array(40).fill(columns[j]) };
        return [key, { box: { x: columns[i], y: 0, width: columns[j] - columns[i], height: 40 }, labels: [1], spans, input: new Float32Array(784) }];
      }),
    ),
    cutOptions: FIRST_CUTS,
  });

  it('prefers the likeliest reading as a whole over more pieces each read confidently', () => {
    // Two halves read as 6 and 1 at 0.9 each (0.81 together) lose to the whole read as 0 at 0.85;
    // the width (1.5 digits) favours neither.
    const c = candidates([0, 20, 40], ['0,1', '1,2', '0,2']);
    const predictions = new Map([
      ['0,1', prediction(6, 0.9)],
      ['1,2', prediction(1, 0.9)],
      ['0,2', prediction(0, 0.85)],
    ]);
    expect(chooseSplit(c, predictions, 40, 40 / 1.5).map((chosen) => chosen.prediction.digit)).toEqual([0]);
  });

  it('leaves out a stretch no piece covers and still reads the rest', () => {
    const c = candidates([0, 20, 24, 44], ['0,1', '2,3']);
    const predictions = new Map([
      ['0,1', prediction(1, 0.99)],
      ['2,3', prediction(7, 0.98)],
    ]);
    expect(chooseSplit(c, predictions, 40, 20).map((chosen) => chosen.prediction.digit)).toEqual([1, 7]);
  });
});

describe('pen width', () => {
  it('is the width of the strokes, not of a blob of shadow beside them', () => {
    const width = 300,
      height = 120;
    const mask = new Uint8Array(width * height);
    // Five vertical strokes 6 px wide, 80 px tall...
    for (let s = 0; s < 5; s++) for (let y = 20; y < 100; y++) for (let x = 20 + 30 * s; x < 26 + 30 * s; x++) mask[y * width + x] = 255;
    // ...and a shadow as large as all of them together.
    for (let y = 10; y < 110; y++) for (let x = 180; x < 180 + 24 + (y % 37); x++) mask[y * width + x] = 255;
    expect(penWidth(mask, width, height)).toBeGreaterThanOrEqual(5);
    expect(penWidth(mask, width, height)).toBeLessThanOrEqual(7);
    expect(penWidth(new Uint8Array(width * height), width, height)).toBe(0);
  });
});
