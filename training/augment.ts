/**
 * Training augmentation: turns an MNIST digit into one that looks like what the pipeline will cut
 * out of a canvas, a scan or a webcam frame, then sends it through the one normalisation.
 *
 * Work happens at twice MNIST's resolution so that thickening and thinning can change a stroke by
 * half an MNIST pixel rather than a whole one.
 */
import { cv, withMats, type Mat } from '../server/ml/opencv.js';
import { normalizeDigit, MODEL_INPUT_SIZE } from '../server/ml/normalize.js';
import { gaussian, uniform, type Random } from './random.js';
import { digitPixels, inkCrop, type DigitSet } from './mnist.js';

export interface AugmentOptions {
  /** Largest rotation either way, degrees. */
  maxRotationDegrees: number;
  /** Largest horizontal shear (x += shear * y) either way: slanted handwriting. */
  maxShear: number;
  /** Scale range of the whole digit, and of its width against its height (narrow or wide hands). */
  scaleRange: [number, number];
  aspectRange: [number, number];
  /** Probabilities of a thicker stroke (marker), a thinner one (fine pen). */
  thickenProbability: number;
  thinProbability: number;
  /** Probability of a hard-edged look: a thresholded photo, or a pen raster before anti-aliasing. */
  binarizeProbability: number;
  /** Probability of blur (out-of-focus camera, soft brush). */
  blurProbability: number;
  /** Probability of sensor-like noise. */
  noiseProbability: number;
  /** Largest shift of the normalised digit, pixels: segmentation never centres perfectly. */
  maxShiftPixels: number;
  /** Probability that a sample is left as MNIST drew it (still normalised). */
  cleanProbability: number;
}

export const DEFAULT_AUGMENT_OPTIONS: AugmentOptions = {
  maxRotationDegrees: 12,
  maxShear: 0.3,
  scaleRange: [0.85, 1.1],
  aspectRange: [0.8, 1.2],
  thickenProbability: 0.3,
  thinProbability: 0.15,
  binarizeProbability: 0.25,
  blurProbability: 0.15,
  noiseProbability: 0.1,
  maxShiftPixels: 1,
  cleanProbability: 0.15,
};

const UPSCALE = 2;
const CANVAS = 96;

/** `pixels`: one 28x28 MNIST digit, 0..255, white on black. Returns a normalised 28x28 input. */
export function augmentDigit(pixels: Uint8Array, random: Random, options: AugmentOptions = DEFAULT_AUGMENT_OPTIONS): Float32Array {
  const unit = Float32Array.from(pixels, (v) => v / 255);
  if (random() < options.cleanProbability) {
    return normalizeDigit({ width: MODEL_INPUT_SIZE, height: MODEL_INPUT_SIZE, data: unit }, 'light-on-dark');
  }
  const canvas = withMats(3, (large, warped, scratch) => {
    const source = cv.matFromArray(MODEL_INPUT_SIZE, MODEL_INPUT_SIZE, cv.CV_32F, unit);
    const size = MODEL_INPUT_SIZE * UPSCALE;
    cv.resize(source, large, new cv.Size(size, size), 0, 0, cv.INTER_LINEAR);
    source.delete();

    const angle = (uniform(random, -1, 1) * options.maxRotationDegrees * Math.PI) / 180;
    const shear = uniform(random, -1, 1) * options.maxShear;
    const scale = uniform(random, ...options.scaleRange);
    const aspect = uniform(random, ...options.aspectRange);
    const sx = scale * Math.sqrt(aspect);
    const sy = scale / Math.sqrt(aspect);
    // Rotation · shear · scale about the digit's centre, landing at the canvas centre.
    const cos = Math.cos(angle),
      sin = Math.sin(angle);
    const a = cos * sx,
      b = (cos * shear - sin) * sy;
    const c = sin * sx,
      d = (sin * shear + cos) * sy;
    const centre = size / 2,
      target = CANVAS / 2;
    const transform = cv.matFromArray(2, 3, cv.CV_64F, [a, b, target - a * centre - b * centre, c, d, target - c * centre - d * centre]);
    cv.warpAffine(large, warped, transform, new cv.Size(CANVAS, CANVAS), cv.INTER_LINEAR, cv.BORDER_CONSTANT, new cv.Scalar(0));
    transform.delete();

    const stroke = random();
    if (stroke < options.thickenProbability) {
      const radius = random() < 0.6 ? 1 : 2;
      morph(cv.MORPH_DILATE, warped, scratch, radius);
    } else if (stroke < options.thickenProbability + options.thinProbability) {
      morph(cv.MORPH_ERODE, warped, scratch, 1);
    }
    if (random() < options.binarizeProbability) {
      cv.threshold(warped, scratch, uniform(random, 0.3, 0.6), 1, cv.THRESH_BINARY);
      scratch.copyTo(warped);
    }
    if (random() < options.blurProbability) {
      const sigma = uniform(random, 0.6, 1.8);
      cv.GaussianBlur(warped, scratch, new cv.Size(0, 0), sigma, sigma, cv.BORDER_CONSTANT);
      scratch.copyTo(warped);
    }
    return Float32Array.from(warped.data32F);
  });

  const normalized = normalizeDigit({ width: CANVAS, height: CANVAS, data: canvas }, 'light-on-dark');
  // Noise after normalising: added before, it would widen the ink's bounding box, which a tight
  // segmentation crop never does.
  if (random() < options.noiseProbability) {
    const level = uniform(random, 0.02, 0.08);
    for (let i = 0; i < normalized.length; i++) normalized[i] = Math.min(1, Math.max(0, normalized[i] + level * gaussian(random)));
  }
  const shiftX = Math.round(uniform(random, -options.maxShiftPixels, options.maxShiftPixels));
  const shiftY = Math.round(uniform(random, -options.maxShiftPixels, options.maxShiftPixels));
  return shiftX === 0 && shiftY === 0 ? normalized : shift(normalized, shiftX, shiftY);
}

function morph(operation: number, image: Mat, scratch: Mat, radius: number): void {
  const kernel = cv.getStructuringElement(cv.MORPH_ELLIPSE, new cv.Size(2 * radius + 1, 2 * radius + 1));
  cv.morphologyEx(image, scratch, operation, kernel);
  kernel.delete();
  scratch.copyTo(image);
}

function shift(input: Float32Array, dx: number, dy: number): Float32Array {
  const size = MODEL_INPUT_SIZE;
  const output = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    const fromY = y - dy;
    if (fromY < 0 || fromY >= size) continue;
    for (let x = 0; x < size; x++) {
      const fromX = x - dx;
      if (fromX >= 0 && fromX < size) output[y * size + x] = input[fromY * size + fromX];
    }
  }
  return output;
}

/**
 * A training sample of the reject class, "not one digit": what a wrong cut hands the classifier.
 * Half are two digits touching or overlapping (an uncut pair), half a digit cut off at a column
 * between a quarter and three quarters of its width (a piece of a digit; only digits at least half as
 * wide as tall, since a piece of a 1 still reads as a 1).
 */
export function notOneDigit(set: DigitSet, random: Random): Float32Array {
  const pick = () => inkCrop(digitPixels(set, Math.floor(random() * set.labels.length)));
  if (random() < 0.5) {
    const a = pick(),
      b = pick();
    const gap = Math.round(uniform(random, -0.25, 0.05) * Math.max(a.height, b.height));
    const width = Math.max(a.width, a.width + gap + b.width, 1);
    const height = Math.max(a.height, b.height);
    const canvas = new Float32Array(width * height);
    const place = (crop: typeof a, left: number) => {
      const top = Math.floor((height - crop.height) / 2 + uniform(random, -0.1, 0.1) * (height - crop.height));
      for (let y = 0; y < crop.height; y++) {
        for (let x = 0; x < crop.width; x++) {
          const tx = left + x,
            ty = top + y;
          if (tx >= 0 && tx < width && ty >= 0 && ty < height) canvas[ty * width + tx] = Math.max(canvas[ty * width + tx], crop.values[y * crop.width + x]);
        }
      }
    };
    place(a, 0);
    place(b, Math.max(0, a.width + gap));
    return normalizeDigit({ width, height, data: canvas }, 'light-on-dark');
  }
  for (;;) {
    const digit = pick();
    // A sliver of a narrow digit (a 1, a slanted 7) is still that digit; teaching the model to
    // reject it would make it reject real ones.
    if (digit.width < 0.5 * digit.height) continue;
    const cut = Math.round(uniform(random, 0.25, 0.75) * digit.width);
    const keepLeft = random() < 0.5;
    const from = keepLeft ? 0 : cut,
      to = keepLeft ? cut : digit.width;
    if (to - from < 2) continue;
    const piece = new Float32Array((to - from) * digit.height);
    for (let y = 0; y < digit.height; y++) for (let x = from; x < to; x++) piece[y * (to - from) + x - from] = digit.values[y * digit.width + x];
    const input = normalizeDigit({ width: to - from, height: digit.height, data: piece }, 'light-on-dark');
    if (input.some((v) => v > 0.5)) return input;
  }
}
