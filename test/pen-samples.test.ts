/** Training digits drawn as a pen writes them, and the model card's pictures. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { CARD_PICTURES, writeCardPictures } from '../training/card-pictures.js';
import { loadMnist, subset, type DigitSet } from '../training/mnist.js';
import type { ModelCard } from '../training/model-card.js';
import { makePenSamples } from '../training/pen-samples.js';
import { REJECT_CLASS } from '../server/ml/model.js';
import { notWriting } from '../training/pictures.js';
import { seededRandom } from '../training/random.js';
import { glyphStrokes } from '../training/trace.js';
import { cv } from '../server/ml/opencv.js';

let train: DigitSet;

beforeAll(async () => {
  const all = await loadMnist('train');
  train = subset(
    all,
    Array.from({ length: 200 }, (_, i) => i),
  );
});

describe('ink traced into pen strokes', () => {
  /** Where the traced strokes cross the row `y` (unit-box coordinates). */
  const crossings = (strokes: [number, number][][], y: number) =>
    strokes.flatMap((s) =>
      s.slice(1).flatMap(([x1, y1], i) => {
        const [x0, y0] = s[i];
        return y0 <= y !== y1 <= y ? [x0 + ((x1 - x0) * (y - y0)) / (y1 - y0)] : [];
      }),
    );

  it('traces a 9 whose loop the pen filled shut into a loop and a tail, not into a line', () => {
    const mat = new cv.Mat(28, 28, cv.CV_8U, new cv.Scalar(0));
    cv.circle(mat, new cv.Point(12, 10), 6, new cv.Scalar(255), -1, cv.LINE_AA);
    cv.line(mat, new cv.Point(17, 12), new cv.Point(16, 25), new cv.Scalar(255), 2, cv.LINE_AA);
    const ink = Float32Array.from(mat.data, (v) => v / 255);
    mat.delete();
    const strokes = glyphStrokes(ink, 28, 28);
    // Across the middle of the loop the pen passes twice, its width apart or more.
    const across = crossings(strokes, 0.2);
    expect(Math.max(...across) - Math.min(...across)).toBeGreaterThan(0.3);
  });

  it('traces a bold stroke into one line, not into a loop', () => {
    const mat = new cv.Mat(28, 28, cv.CV_8U, new cv.Scalar(0));
    cv.line(mat, new cv.Point(14, 4), new cv.Point(13, 24), new cv.Scalar(255), 4, cv.LINE_AA);
    const ink = Float32Array.from(mat.data, (v) => v / 255);
    mat.delete();
    const strokes = glyphStrokes(ink, 28, 28);
    for (const y of [0.2, 0.5, 0.8]) expect(crossings(strokes, y)).toHaveLength(1);
  });
});

describe('pen-drawn training digits', () => {
  it('makes normalised 28x28 inputs with digit labels, the same for the same seed', async () => {
    const options = { count: 40, fontShare: 0, fonts: [] };
    const a = await makePenSamples(train, seededRandom(5), options);
    const b = await makePenSamples(train, seededRandom(5), options);
    expect(a.count).toBe(40);
    expect(a.inputs).toHaveLength(40 * 784);
    expect(Array.from(a.labels).every((l) => l >= 0 && l <= 9)).toBe(true);
    expect(a.inputs.every((v) => v >= 0 && v <= 1)).toBe(true);
    // Every sample has ink, and it is a drawing of its training digit's class.
    for (let i = 0; i < a.count; i++) expect(a.inputs.subarray(i * 784, (i + 1) * 784).some((v) => v > 0.5)).toBe(true);
    expect(Array.from(a.inputs)).toEqual(Array.from(b.inputs));
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
  });

  it('draws the asked share as two digits close or overlapping, labelled "not one digit", wider than one digit', async () => {
    const count = 200;
    const samples = await makePenSamples(train, seededRandom(6), { count, fontShare: 0, fonts: [], rejectShare: 0.3 });
    const rejects = Array.from(samples.labels).filter((l) => l === REJECT_CLASS).length;
    expect(rejects).toBeGreaterThan(0.2 * count);
    expect(rejects).toBeLessThan(0.4 * count);
    // A pair is most often wider than tall (overlapping 1s may not be); a digit seldom is.
    const wide = (i: number) => {
      let top = 28,
        bottom = -1,
        left = 28,
        right = -1;
      samples.inputs.subarray(i * 784, (i + 1) * 784).forEach((v, k) => {
        if (v <= 0.3) return;
        const [x, y] = [k % 28, Math.floor(k / 28)];
        [top, bottom, left, right] = [Math.min(top, y), Math.max(bottom, y), Math.min(left, x), Math.max(right, x)];
      });
      return right - left > bottom - top;
    };
    const share = (reject: boolean) => {
      const indices = Array.from(samples.labels.keys()).filter((i) => (samples.labels[i] === REJECT_CLASS) === reject);
      return indices.filter(wide).length / indices.length;
    };
    expect(share(true)).toBeGreaterThan(0.5);
    expect(share(false)).toBeLessThan(0.3);
  });
});

describe('pictures that are not writing (reject-class training samples)', () => {
  it('are normalised like digits: ink fitted in the 20x20 box, inside the 28x28 field, the same for the same seed', () => {
    const a = seededRandom(9),
      b = seededRandom(9);
    for (let k = 0; k < 60; k++) {
      const picture = notWriting(a);
      expect(picture).toHaveLength(784);
      expect(Array.from(picture)).toEqual(Array.from(notWriting(b)));
      expect(picture.every((v) => v >= 0 && v <= 1)).toBe(true);
      let top = 28,
        bottom = -1,
        left = 28,
        right = -1;
      picture.forEach((v, i) => {
        if (v <= 0.1) return;
        const [x, y] = [i % 28, Math.floor(i / 28)];
        [top, bottom, left, right] = [Math.min(top, y), Math.max(bottom, y), Math.min(left, x), Math.max(right, x)];
      });
      // The longer side fills the box (give or take anti-aliasing), as normalizeDigit does for a digit.
      expect(Math.max(bottom - top, right - left) + 1).toBeGreaterThanOrEqual(19);
      expect(Math.max(bottom - top, right - left) + 1).toBeLessThanOrEqual(23);
    }
  });
});

describe('model card pictures', () => {
  it('draws the confusion matrix, the curves and the misread digits as PNGs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'card-'));
    try {
      const confusion = Array.from({ length: 10 }, (_, r) => Array.from({ length: 10 }, (_, c) => (r === c ? 95 : r + c === 9 ? 1 : 0)));
      const card = {
        test: { count: 1000, confusion },
        training: {
          history: [
            { epoch: 1, loss: 0.3, trainAccuracy: 0.9, validationAccuracy: 0.95, learningRate: 1e-3, seconds: 10 },
            { epoch: 2, loss: 0.2, trainAccuracy: 0.95, validationAccuracy: 0.97, learningRate: 1e-4, seconds: 10 },
          ],
        },
      } as unknown as ModelCard;
      await writeCardPictures(dir, card, train, [3, 7, 11], () => 4);
      for (const file of Object.values(CARD_PICTURES)) {
        const meta = await sharp(join(dir, file)).metadata();
        expect(meta.format).toBe('png');
        expect(meta.width).toBeGreaterThan(200);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
