/** Accuracy, per-class accuracy, confusion matrix and throughput of a digit model on a labelled set. */
import * as tf from '@tensorflow/tfjs';
import { digitPixels, type DigitSet } from './mnist.js';
import { normalizeDigit, MODEL_INPUT_SIZE } from '../server/ml/normalize.js';
import { DIGIT_CLASSES, outputClasses, predictProbabilities } from '../server/ml/model.js';

const INPUT_VALUES = MODEL_INPUT_SIZE * MODEL_INPUT_SIZE;

/** Every digit of the set through the one normalisation, as model input [count, 28, 28, 1]. */
export function normalizedInputs(set: DigitSet): Float32Array {
  const { width, height, count } = set.images;
  const out = new Float32Array(count * INPUT_VALUES);
  for (let i = 0; i < count; i++) {
    out.set(normalizeDigit({ width, height, data: digitPixels(set, i) }, 'light-on-dark'), i * INPUT_VALUES);
  }
  return out;
}

export interface ConfusedPair {
  label: number;
  predicted: number;
  count: number;
}

export interface EvaluationReport {
  count: number;
  accuracy: number;
  perClassAccuracy: number[];
  /** confusion[label][predicted] */
  confusion: number[][];
  mostConfused: ConfusedPair[];
  /** Indices of misclassified samples. */
  errors: number[];
}

/**
 * Scores digit predictions. `classes` is the width of a probability row; with a reject class the
 * digit read is still the likeliest of the ten digits, as the pipeline reads it.
 */
/** The likeliest of the ten digits in one row of probabilities (a reject output left aside). */
export function topDigit(probabilities: Float32Array): number {
  let best = 0;
  for (let c = 1; c < DIGIT_CLASSES; c++) if (probabilities[c] > probabilities[best]) best = c;
  return best;
}

export function scorePredictions(probabilities: Float32Array, labels: Uint8Array, classes = DIGIT_CLASSES): EvaluationReport {
  const confusion = Array.from({ length: DIGIT_CLASSES }, () => new Array<number>(DIGIT_CLASSES).fill(0));
  const errors: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < DIGIT_CLASSES; c++) {
      if (probabilities[i * classes + c] > probabilities[i * classes + best]) best = c;
    }
    confusion[labels[i]][best]++;
    if (best !== labels[i]) errors.push(i);
  }
  const perClassAccuracy = confusion.map(
    (row, c) =>
      row[c] /
      Math.max(
        1,
        row.reduce((a, b) => a + b, 0),
      ),
  );
  const mostConfused: ConfusedPair[] = [];
  confusion.forEach((row, label) =>
    row.forEach((count, predicted) => {
      if (label !== predicted && count > 0) mostConfused.push({ label, predicted, count });
    }),
  );
  mostConfused.sort((a, b) => b.count - a.count);
  return {
    count: labels.length,
    accuracy: (labels.length - errors.length) / labels.length,
    perClassAccuracy,
    confusion,
    mostConfused: mostConfused.slice(0, 10),
    errors,
  };
}

export function evaluateModel(model: tf.LayersModel, set: DigitSet, inputs = normalizedInputs(set)): EvaluationReport {
  return scorePredictions(predictProbabilities(model, inputs), set.labels, outputClasses(model));
}

export interface Throughput {
  batchDigitsPerSecond: number;
  batchSize: number;
  singleDigitsPerSecond: number;
  singleMsP50: number;
}

/** Something that turns normalised inputs into class probabilities: a tfjs model, an inference engine. */
export type Predict = (inputs: Float32Array) => Float32Array | Promise<Float32Array>;

/** A tfjs model as a Predict, in batches of `batchSize`. */
export function tfjsPredict(model: tf.LayersModel, batchSize = 256): Predict {
  return (inputs) => predictProbabilities(model, inputs, batchSize);
}

/** Digits per second in batches and one at a time (the live pen case). A benchmark, not a test. */
export async function measureThroughput(predict: Predict, inputs: Float32Array, batchSize = 64, singles = 300): Promise<Throughput> {
  const count = inputs.length / INPUT_VALUES;
  const inBatches = async () => {
    for (let start = 0; start < count; start += batchSize)
      await predict(inputs.subarray(start * INPUT_VALUES, Math.min(count, start + batchSize) * INPUT_VALUES));
  };
  await predict(inputs.subarray(0, Math.min(count, batchSize) * INPUT_VALUES));
  const batchStart = performance.now();
  await inBatches();
  const batchSeconds = (performance.now() - batchStart) / 1000;
  const times: number[] = [];
  for (let i = 0; i < Math.min(singles, count); i++) {
    const start = performance.now();
    await predict(inputs.subarray(i * INPUT_VALUES, (i + 1) * INPUT_VALUES));
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const total = times.reduce((a, b) => a + b, 0);
  return {
    batchDigitsPerSecond: count / batchSeconds,
    batchSize,
    singleDigitsPerSecond: times.length / (total / 1000),
    singleMsP50: times[Math.floor(times.length / 2)],
  };
}

/** How far two sets of probabilities for the same inputs differ: rows whose top class differs, and the largest difference. */
export function agreement(a: Float32Array, b: Float32Array, classes: number): { rows: number; topDiffers: number; maxDifference: number } {
  let topDiffers = 0,
    maxDifference = 0;
  for (let row = 0; row < a.length / classes; row++) {
    let topA = 0,
      topB = 0;
    for (let k = 0; k < classes; k++) {
      const i = row * classes + k;
      maxDifference = Math.max(maxDifference, Math.abs(a[i] - b[i]));
      if (a[i] > a[row * classes + topA]) topA = k;
      if (b[i] > b[row * classes + topB]) topB = k;
    }
    if (topA !== topB) topDiffers++;
  }
  return { rows: a.length / classes, topDiffers, maxDifference };
}
