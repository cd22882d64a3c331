import { describe, expect, it } from 'vitest';
import { augmentDigit } from '../training/augment.js';
import { digitPixels, loadMnist } from '../training/mnist.js';
import { DIGIT_BOX_SIZE, MODEL_INPUT_SIZE, normalizeDigit } from '../server/ml/normalize.js';
import { seededRandom } from '../training/random.js';

const SIZE = MODEL_INPUT_SIZE;

function inkBox(values: Float32Array, inkThreshold = 0.1) {
  let top = SIZE,
    bottom = -1,
    left = SIZE,
    right = -1,
    mass = 0,
    sx = 0,
    sy = 0;
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) {
      const v = values[y * SIZE + x];
      mass += v;
      sx += v * x;
      sy += v * y;
      if (v > inkThreshold) {
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
  return { width: right - left + 1, height: bottom - top + 1, centreX: sx / mass, centreY: sy / mass };
}

/** A dark bar on white paper, `w` x `h` pixels, inside a larger crop. */
function darkBarOnPaper(cropWidth: number, cropHeight: number, w: number, h: number): Uint8Array {
  const data = new Uint8Array(cropWidth * cropHeight).fill(235);
  const x0 = Math.floor((cropWidth - w) / 2),
    y0 = Math.floor((cropHeight - h) / 2);
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) data[y * cropWidth + x] = 20;
  return data;
}

describe('normalizeDigit', () => {
  it('gives 28x28 values in 0..1 with ink fitted into a 20 px box, aspect kept, centre of mass centred', () => {
    const out = normalizeDigit({ width: 90, height: 140, data: darkBarOnPaper(90, 140, 30, 100) }, 'dark-on-light');
    expect(out.length).toBe(SIZE * SIZE);
    expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...out)).toBeLessThanOrEqual(1);
    const box = inkBox(out);
    expect(box.height).toBe(DIGIT_BOX_SIZE);
    expect(box.width).toBe(6);
    expect(Math.abs(box.centreX - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(box.centreY - 14)).toBeLessThanOrEqual(0.5);
  });

  it('reads either polarity the same way, and infers it from the border', () => {
    const dark = darkBarOnPaper(40, 50, 10, 30);
    const light = dark.map((v) => 255 - v);
    const fromDark = normalizeDigit({ width: 40, height: 50, data: dark }, 'dark-on-light');
    expect(Array.from(normalizeDigit({ width: 40, height: 50, data: light }, 'light-on-dark'))).toEqual(Array.from(fromDark));
    expect(Array.from(normalizeDigit({ width: 40, height: 50, data: dark }))).toEqual(Array.from(fromDark));
    expect(Array.from(normalizeDigit({ width: 40, height: 50, data: light }))).toEqual(Array.from(fromDark));
  });

  it('leaves MNIST digits as MNIST drew them', async () => {
    const test = await loadMnist('test');
    for (let i = 0; i < 50; i++) {
      const pixels = digitPixels(test, i);
      const out = normalizeDigit({ width: 28, height: 28, data: pixels }, 'light-on-dark');
      let diff = 0;
      for (let j = 0; j < out.length; j++) diff += Math.abs(out[j] - pixels[j] / 255);
      expect(diff / out.length).toBeLessThan(0.01);
    }
  });

  it('stretches faint ink to full contrast', () => {
    const faint = new Float32Array(30 * 30).fill(0.5);
    for (let y = 5; y < 25; y++) for (let x = 12; x < 18; x++) faint[y * 30 + x] = 0.6;
    expect(Math.max(...normalizeDigit({ width: 30, height: 30, data: faint }, 'light-on-dark'))).toBeCloseTo(1, 5);
  });

  it('gives all zeros for a crop with no contrast, and rejects malformed images', () => {
    expect(Math.max(...normalizeDigit({ width: 10, height: 10, data: new Uint8Array(100).fill(200) }))).toBe(0);
    expect(() => normalizeDigit({ width: 10, height: 10, data: new Uint8Array(99) })).toThrow(RangeError);
    expect(() => normalizeDigit({ width: 0, height: 0, data: new Uint8Array(0) })).toThrow(RangeError);
  });
});

describe('augmentDigit', () => {
  it('is reproducible from its seed and always yields normalised input', async () => {
    const test = await loadMnist('test');
    const pixels = digitPixels(test, 0);
    const a = augmentDigit(pixels, seededRandom(5));
    const b = augmentDigit(pixels, seededRandom(5));
    expect(Array.from(a)).toEqual(Array.from(b));
    const random = seededRandom(9);
    let differs = 0;
    for (let i = 0; i < 200; i++) {
      const out = augmentDigit(digitPixels(test, i), random);
      expect(out.length).toBe(SIZE * SIZE);
      expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...out)).toBeLessThanOrEqual(1);
      // Past 0.5 so that the light noise some samples get does not count as ink.
      expect(inkBox(out, 0.5).height).toBeLessThanOrEqual(DIGIT_BOX_SIZE + 2);
      if (augmentDigit(digitPixels(test, i), seededRandom(i)).some((v, j) => Math.abs(v - digitPixels(test, i)[j] / 255) > 0.2)) differs++;
    }
    expect(differs).toBeGreaterThan(100);
  });
});
