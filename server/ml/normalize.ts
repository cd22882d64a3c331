/**
 * The one digit normalisation: training, augmentation, evaluation and serving all turn a cropped
 * digit into model input through `normalizeDigit`, so the model never sees digits prepared two ways.
 *
 * MNIST's recipe: fit the ink into a 20x20 box keeping its aspect ratio (anti-aliased), then place it
 * in a 28x28 field so that its centre of mass sits at the centre; white ink on black, 0..1.
 */
import { cv, withMats } from './opencv.js';

export const MODEL_INPUT_SIZE = 28;
export const DIGIT_BOX_SIZE = 20;
/** Where MNIST puts the centre of mass, in pixel-index coordinates of the 28x28 field. */
const CENTRE_OF_MASS_TARGET = 14;
/** After contrast stretching, pixels brighter than this count as ink when finding the bounding box. */
const INK_THRESHOLD = 0.1;

export type Polarity = 'light-on-dark' | 'dark-on-light' | 'auto';

export interface GrayImage {
  width: number;
  height: number;
  /** Row-major intensities: 0..255 in a Uint8Array or 0..1 in a Float32Array. */
  data: Uint8Array | Uint8ClampedArray | Float32Array;
}

function toUnitFloat(image: GrayImage): Float32Array {
  const { data } = image;
  if (data instanceof Float32Array) return data.slice();
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] / 255;
  return out;
}

/** Background is what dominates the crop's outer frame; MNIST wants it dark. */
function inkIsDark(values: Float32Array, width: number, height: number): boolean {
  let sum = 0;
  let count = 0;
  for (let x = 0; x < width; x++) {
    sum += values[x] + values[(height - 1) * width + x];
    count += 2;
  }
  for (let y = 1; y < height - 1; y++) {
    sum += values[y * width] + values[y * width + width - 1];
    count += 2;
  }
  return sum / count > 0.5;
}

/**
 * Turns a cropped digit of any size and polarity into a 28x28 Float32Array for the model.
 * `polarity` says how ink looks in the crop; 'auto' infers it from the crop's border, which works
 * when the crop has some background around the ink. A crop with no contrast gives all zeros.
 */
export function normalizeDigit(image: GrayImage, polarity: Polarity = 'auto'): Float32Array {
  const { width, height } = image;
  if (width < 1 || height < 1 || image.data.length !== width * height) {
    throw new RangeError(`normalizeDigit: ${image.data.length} values do not make a ${width}x${height} image`);
  }
  const values = toUnitFloat(image);
  const invert = polarity === 'dark-on-light' || (polarity === 'auto' && inkIsDark(values, width, height));
  let lowest = Infinity;
  let highest = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (invert) values[i] = 1 - values[i];
    lowest = Math.min(lowest, values[i]);
    highest = Math.max(highest, values[i]);
  }
  const output = new Float32Array(MODEL_INPUT_SIZE * MODEL_INPUT_SIZE);
  if (!(highest - lowest > 1e-3)) return output;

  // Stretch so the background is 0 and the strongest ink 1, whatever the pen, paper or exposure.
  const range = highest - lowest;
  let top = height,
    bottom = -1,
    left = width,
    right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = (values[y * width + x] - lowest) / range;
      values[y * width + x] = v;
      if (v > INK_THRESHOLD) {
        if (y < top) top = y;
        if (y > bottom) bottom = y;
        if (x < left) left = x;
        if (x > right) right = x;
      }
    }
  }
  const boxWidth = right - left + 1;
  const boxHeight = bottom - top + 1;
  const scale = DIGIT_BOX_SIZE / Math.max(boxWidth, boxHeight);
  const fittedWidth = Math.max(1, Math.min(DIGIT_BOX_SIZE, Math.round(boxWidth * scale)));
  const fittedHeight = Math.max(1, Math.min(DIGIT_BOX_SIZE, Math.round(boxHeight * scale)));

  const fitted = withMats(1, (fittedMat) => {
    const source = cv.matFromArray(height, width, cv.CV_32F, values);
    const box = source.roi(new cv.Rect(left, top, boxWidth, boxHeight));
    try {
      // Area averaging when shrinking keeps thin strokes as grey instead of dropping them.
      const interpolation = scale < 1 ? cv.INTER_AREA : cv.INTER_LINEAR;
      cv.resize(box, fittedMat, new cv.Size(fittedWidth, fittedHeight), 0, 0, interpolation);
      return fittedMat.data32F.slice();
    } finally {
      box.delete();
      source.delete();
    }
  });

  let mass = 0,
    sumX = 0,
    sumY = 0;
  for (let y = 0; y < fittedHeight; y++) {
    for (let x = 0; x < fittedWidth; x++) {
      const v = Math.min(1, Math.max(0, fitted[y * fittedWidth + x]));
      fitted[y * fittedWidth + x] = v;
      mass += v;
      sumX += v * x;
      sumY += v * y;
    }
  }
  const centreX = mass > 0 ? sumX / mass : (fittedWidth - 1) / 2;
  const centreY = mass > 0 ? sumY / mass : (fittedHeight - 1) / 2;
  // Whole-pixel placement as MNIST did (no resampling blur); clamped so no ink leaves the field.
  const offsetX = clamp(Math.round(CENTRE_OF_MASS_TARGET - centreX), 0, MODEL_INPUT_SIZE - fittedWidth);
  const offsetY = clamp(Math.round(CENTRE_OF_MASS_TARGET - centreY), 0, MODEL_INPUT_SIZE - fittedHeight);
  for (let y = 0; y < fittedHeight; y++) {
    output.set(fitted.subarray(y * fittedWidth, (y + 1) * fittedWidth), (y + offsetY) * MODEL_INPUT_SIZE + offsetX);
  }
  return output;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
