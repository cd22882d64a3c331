import { describe, expect, it } from 'vitest';
import { cv, withMats } from '../server/ml/opencv.js';
import { penWidth } from '../server/recognition/binarize.js';
import { closeSmallGaps, histogramOf, hysteresis, inkRows, labelInk } from '../server/recognition/masks.js';
import { seededRandom } from '../training/random.js';

/**
 * Grey levels of a `width` x `height` frame: mostly nothing, with blobs and strokes of every
 * strength here and there, some of them over the border, as a thresholded photo has.
 */
function speckled(width: number, height: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const values = new Uint8Array(width * height);
  for (let blob = 0; blob < 40; blob++) {
    const cx = Math.floor(random() * width),
      cy = Math.floor(random() * height),
      rx = 1 + Math.floor(random() * 6),
      ry = 1 + Math.floor(random() * 6),
      level = Math.floor(random() * 256);
    for (let y = Math.max(0, cy - ry); y <= Math.min(height - 1, cy + ry); y++)
      for (let x = Math.max(0, cx - rx); x <= Math.min(width - 1, cx + rx); x++) if (random() < 0.8) values[y * width + x] = level;
  }
  // Ink in each corner and along the edges, where the border rules apply.
  for (const [x, y] of [
    [0, 0],
    [width - 1, 0],
    [0, height - 1],
    [width - 1, height - 1],
    [0, height >> 1],
    [width >> 1, 0],
  ])
    values[y * width + x] = 200;
  return values;
}

const asMask = (values: Uint8Array) => Uint8Array.from(values, (v) => (v > 0 ? 255 : 0));

function openCvClosing(mask: Uint8Array, width: number, height: number): Uint8Array {
  return withMats(1, (closed) => {
    const source = cv.matFromArray(height, width, cv.CV_8U, mask);
    const kernel = cv.getStructuringElement(cv.MORPH_ELLIPSE, new cv.Size(3, 3));
    cv.morphologyEx(source, closed, cv.MORPH_CLOSE, kernel);
    kernel.delete();
    source.delete();
    return Uint8Array.from(closed.data);
  });
}

/** Hysteresis by OpenCV's labelling: the weak components that hold a strong pixel. */
function openCvHysteresis(intensity: Uint8Array, width: number, height: number, high: number, low: number): Uint8Array {
  return withMats(1, (labels) => {
    const weak = cv.matFromArray(
      height,
      width,
      cv.CV_8U,
      Uint8Array.from(intensity, (v) => (v > low ? 255 : 0)),
    );
    const count = cv.connectedComponents(weak, labels, 8, cv.CV_32S);
    weak.delete();
    const label = labels.data32S;
    const strong = new Uint8Array(count);
    intensity.forEach((v, i) => {
      if (v > high) strong[label[i]] = 1;
    });
    return Uint8Array.from(label, (l) => (l > 0 && strong[l] ? 255 : 0));
  });
}

/** OpenCV's 8-connected labelling with its stats, as plain arrays. */
function openCvLabels(mask: Uint8Array, width: number, height: number): { count: number; labels: Int32Array; stats: Int32Array } {
  return withMats(3, (labels, stats, centroids) => {
    const source = cv.matFromArray(height, width, cv.CV_8U, mask);
    const count = cv.connectedComponentsWithStats(source, labels, stats, centroids, 8, cv.CV_32S);
    source.delete();
    return { count, labels: labels.data32S.slice(), stats: stats.data32S.slice() };
  });
}

/** That `ours` labels the same pieces as `theirs`, with the same stats, whatever each numbers them. */
function expectSamePieces(ours: ReturnType<typeof labelInk>, theirs: ReturnType<typeof openCvLabels>): void {
  expect(ours.count).toBe(theirs.count);
  const theirsOf = new Map<number, number>();
  for (let i = 0; i < ours.labels.length; i++) {
    const [a, b] = [ours.labels[i], theirs.labels[i]];
    expect(a === 0).toBe(b === 0);
    if (a === 0) continue;
    if (!theirsOf.has(a)) theirsOf.set(a, b);
    expect(theirsOf.get(a)).toBe(b);
  }
  // One to one: no two of our pieces are one of theirs.
  expect(new Set(theirsOf.values()).size).toBe(theirsOf.size);
  for (const [a, b] of theirsOf) expect(Array.from(ours.stats.subarray(a * 5, a * 5 + 5))).toEqual(Array.from(theirs.stats.subarray(b * 5, b * 5 + 5)));
  expect(ours.stats[4]).toBe(theirs.stats[4]);
}

// Odd widths too: the closing reads the mask four bytes at a time where rows start on a word.
const SIZES = [
  [64, 48],
  [4, 6],
  [8, 1],
  [61, 37],
  [3, 5],
  [1, 9],
  [9, 1],
];

describe('mask passes written out', () => {
  it('close gaps exactly as OpenCV closes with a 3x3 ellipse', () => {
    for (const [width, height] of SIZES)
      for (let seed = 1; seed <= 5; seed++) {
        const mask = asMask(speckled(width, height, seed));
        const expected = openCvClosing(mask, width, height);
        closeSmallGaps(mask, width, height);
        expect(mask).toEqual(expected);
      }
  });

  it('close ink of any non-zero grey as ink', () => {
    const [width, height] = [64, 48];
    const greys = speckled(width, height, 9);
    const expected = openCvClosing(asMask(greys), width, height);
    closeSmallGaps(greys, width, height);
    expect(greys).toEqual(expected);
  });

  it('close a mask that is not aligned to four bytes as one that is', () => {
    const [width, height] = [61, 37];
    const mask = asMask(speckled(width, height, 7));
    const expected = openCvClosing(mask, width, height);
    const shifted = new Uint8Array(mask.length + 1).subarray(1);
    shifted.set(mask);
    closeSmallGaps(shifted, width, height);
    expect(shifted).toEqual(expected);
  });

  it('keep by hysteresis exactly the weak ink that OpenCV labels together with strong ink', () => {
    for (const [width, height] of SIZES)
      for (let seed = 1; seed <= 5; seed++) {
        const intensity = speckled(width, height, seed);
        for (const [high, low] of [
          [120, 60],
          [30, 10],
          [200, 199],
          // A low level above the high one: only what is above both counts.
          [50, 90],
          // Levels between whole greys, as a threshold's share gives them.
          [40.6, 20.3],
        ]) {
          const mask = new Uint8Array(width * height).fill(7);
          hysteresis(intensity, width, height, high, low, mask);
          expect(mask).toEqual(openCvHysteresis(intensity, width, height, high, low));
        }
      }
  });

  it('label the pieces of ink exactly as OpenCV does, numbered in the order they start', () => {
    for (const [width, height] of SIZES)
      for (let seed = 1; seed <= 5; seed++) {
        const mask = asMask(speckled(width, height, seed));
        const ours = labelInk(mask, width, height);
        expectSamePieces(ours, openCvLabels(mask, width, height));
        const firsts: number[] = [];
        for (const label of ours.labels) if (label > firsts.length) firsts.push(label);
        expect(firsts).toEqual(Array.from({ length: ours.count - 1 }, (_, k) => k + 1));
      }
    // Pieces that meet only further down (two Us) and only corner to corner (the pixel under the
    // gap between the Us joins both, and the two below it): three pieces and what holds no ink.
    const [width, height] = [9, 5];
    const shapes = asMask(Uint8Array.from('1.1.1.1.1' + '1.1.1.1.1' + '111.111.1' + '...1....1' + '1.1.1.111', (c) => (c === '1' ? 1 : 0)));
    expectSamePieces(labelInk(shapes, width, height), openCvLabels(shapes, width, height));
    expect(labelInk(shapes, width, height).count).toBe(4);
  });

  it('never join ink at the end of one row to ink at the start of the next (they are a frame apart)', () => {
    // Runs that fill whole rows, and runs that end at the right edge above ones that start at the left.
    const [width, height] = [5, 6];
    const rows = asMask(Uint8Array.from('....1' + '1....' + '11111' + '.....' + '...11' + '11...', (c) => (c === '1' ? 1 : 0)));
    const ours = labelInk(rows, width, height);
    expectSamePieces(ours, openCvLabels(rows, width, height));
    expect(ours.count).toBe(5);
  });

  it('label a mask that is not aligned to four bytes as one that is', () => {
    const [width, height] = [64, 48];
    const mask = asMask(speckled(width, height, 8));
    const shifted = new Uint8Array(mask.length + 3).subarray(3);
    shifted.set(mask);
    expect(labelInk(shifted, width, height)).toEqual(labelInk(mask, width, height));
  });

  it('find any strong pixel over a threshold between greys, wherever it lies in a word', () => {
    for (const high of [20.1, 40.6, 99.5])
      for (let grey = Math.ceil(high); grey < 256; grey++)
        for (let at = 0; at < 4; at++) {
          const intensity = new Uint8Array(8);
          intensity[at] = grey;
          const mask = new Uint8Array(8);
          hysteresis(intensity, 8, 1, high, high / 2, mask);
          expect(mask[at]).toBe(255);
        }
  });

  it('find the rows that hold ink', () => {
    const mask = new Uint8Array(4 * 5);
    mask[1 * 4 + 3] = 255;
    mask[4 * 4] = 1;
    expect(Array.from(inkRows(mask, 4, 5))).toEqual([0, 1, 0, 0, 1]);
    // Read byte by byte where rows do not start on a word.
    const odd = new Uint8Array(5 * 3);
    odd[2 * 5 + 4] = 255;
    expect(Array.from(inkRows(odd, 5, 3))).toEqual([0, 0, 1]);
    expect(Array.from(inkRows(odd.subarray(0), 5, 3))).toEqual([0, 0, 1]);
  });

  it('count every grey of a frame, smooth or speckled, aligned to four bytes or not', () => {
    const countOf = (data: Uint8Array) => {
      const counts = new Array<number>(256).fill(0);
      for (const value of data) counts[value]++;
      return counts;
    };
    const smooth = Uint8Array.from({ length: 64 * 48 + 3 }, (_, i) => 180 + Math.round(20 * Math.sin(i / 300)));
    const frames = [speckled(64, 48, 3), smooth, smooth.subarray(1), speckled(61, 47, 4).subarray(3)];
    for (const data of frames) expect(Array.from(histogramOf(data))).toEqual(countOf(data));
  });

  it('measure the pen four pixels at a time as pixel by pixel', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const [width, height] = [64, 48];
      const mask = asMask(speckled(width, height, seed));
      // Bars of a known width too, so that the commonest run is not left to the specks.
      for (let y = 10; y < 40; y++) mask.fill(255, y * width + 20 + seed, y * width + 26 + seed);
      const unaligned = new Uint8Array(mask.length + 1).subarray(1);
      unaligned.set(mask);
      expect(penWidth(mask, width, height)).toBe(penWidth(unaligned, width, height));
      expect(penWidth(mask, width, height)).toBeGreaterThan(0);
    }
    // Runs that end where a word without ink starts still count: forty dashes 3 px long against
    // twenty strokes 6 px tall.
    const [width, height] = [64, 48];
    const dashes = new Uint8Array(width * height);
    for (let n = 0; n < 40; n++)
      dashes.fill(255, (2 + 2 * (n % 20)) * width + 1 + 8 * Math.floor(n / 20), (2 + 2 * (n % 20)) * width + 4 + 8 * Math.floor(n / 20));
    for (let n = 0; n < 20; n++) for (let y = 2; y < 8; y++) dashes[(y + 8 * Math.floor(n / 10)) * width + 30 + 2 * (n % 10)] = 255;
    const unaligned = new Uint8Array(dashes.length + 1).subarray(1);
    unaligned.set(dashes);
    expect(penWidth(dashes, width, height)).toBe(3);
    expect(penWidth(unaligned, width, height)).toBe(3);
  });
});
