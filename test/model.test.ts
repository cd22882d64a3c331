import * as tf from '@tensorflow/tfjs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../server/ml/backend.js';
import { normalizedInputs, scorePredictions } from '../training/evaluation.js';
import { loadMnist, splitTrainValidation, subset } from '../training/mnist.js';
import { buildDigitModel, DIGIT_CLASSES as NUM_CLASSES, predictProbabilities } from '../server/ml/model.js';
import { loadModel, saveModel } from '../server/ml/model-files.js';
import { DEFAULT_AUGMENT_OPTIONS } from '../training/augment.js';
import { trainDigitModel } from '../training/training.js';
import { ProgressLine } from '../training/progress.js';

beforeAll(async () => {
  await initBackend(undefined, () => {});
});

describe('digit model', () => {
  it('maps [n, 28, 28, 1] to n probability rows of 10', () => {
    const model = buildDigitModel();
    expect(model.inputs[0].shape).toEqual([null, 28, 28, 1]);
    expect(model.outputs[0].shape).toEqual([null, NUM_CLASSES]);
    const probabilities = predictProbabilities(model, new Float32Array(3 * 784).fill(0.3));
    expect(probabilities.length).toBe(3 * NUM_CLASSES);
    for (let row = 0; row < 3; row++) {
      const sum = probabilities.subarray(row * 10, row * 10 + 10).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 5);
    }
    model.dispose();
  });

  it('is the same model after a save/load round trip', async () => {
    const model = buildDigitModel({ seed: 3 });
    const inputs = Float32Array.from({ length: 4 * 784 }, (_, i) => (i % 13) / 13);
    const before = predictProbabilities(model, inputs);
    const dir = await mkdtemp(join(tmpdir(), 'model-'));
    await saveModel(model, dir);
    const loaded = await loadModel(dir);
    expect(loaded.countParams()).toBe(model.countParams());
    const after = predictProbabilities(loaded, inputs);
    after.forEach((p, i) => expect(p).toBeCloseTo(before[i], 6));
    model.dispose();
    loaded.dispose();
  });

  it('leaks no tensors when predicting', () => {
    const model = buildDigitModel();
    const inputs = new Float32Array(10 * 784).fill(0.5);
    predictProbabilities(model, inputs);
    const before = tf.memory().numTensors;
    predictProbabilities(model, inputs, 4);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('learns: a short training run on a few hundred digits lowers the loss', async () => {
    const train = await loadMnist('train');
    const split = splitTrainValidation(train, 200, 11);
    const small = subset(
      split.train,
      Array.from({ length: 384 }, (_, i) => i),
    );
    const quiet = new ProgressLine({ isTTY: false, write: () => true } as unknown as NodeJS.WriteStream);
    const result = await trainDigitModel(small, split.validation, {
      epochs: 3,
      batchSize: 32,
      learningRate: 2e-3,
      finalLearningRate: 1e-4,
      seed: 1,
      augment: DEFAULT_AUGMENT_OPTIONS,
      progress: quiet,
    });
    const [first, last] = [result.history[0], result.history[result.history.length - 1]];
    expect(result.history.length).toBe(3);
    expect(last.loss).toBeLessThan(first.loss);
    expect(last.validationAccuracy).toBeGreaterThan(0.5);
    result.model.dispose();
  });

  it('resumes from its last checkpoint where it stopped', async () => {
    const train = await loadMnist('train');
    const split = splitTrainValidation(train, 100, 12);
    const small = subset(
      split.train,
      Array.from({ length: 128 }, (_, i) => i),
    );
    const checkpointDir = await mkdtemp(join(tmpdir(), 'checkpoints-'));
    const quiet = new ProgressLine({ isTTY: false, write: () => true } as unknown as NodeJS.WriteStream);
    const options = { batchSize: 32, learningRate: 2e-3, finalLearningRate: 1e-4, seed: 2, augment: null, checkpointDir, progress: quiet };
    let batches = 0;
    const stopped = await trainDigitModel(small, split.validation, { ...options, epochs: 3, shouldStop: () => ++batches > 6 });
    expect(stopped.stoppedEarly).toBe(true);
    expect(stopped.history.map((h) => h.epoch)).toEqual([1]);
    stopped.model.dispose();
    const resumed = await trainDigitModel(small, split.validation, { ...options, epochs: 3, resume: true });
    expect(resumed.stoppedEarly).toBe(false);
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(resumed.history[0]).toEqual(stopped.history[0]);
    resumed.model.dispose();
  });
});

describe('scoring', () => {
  it('counts a confusion matrix, per-class accuracy and the most confused pairs', () => {
    const labels = new Uint8Array([1, 1, 7, 7, 7]);
    const predicted = [1, 7, 1, 1, 7];
    const probabilities = new Float32Array(labels.length * 10);
    predicted.forEach((p, i) => {
      probabilities[i * 10 + p] = 0.9;
    });
    const report = scorePredictions(probabilities, labels);
    expect(report.accuracy).toBeCloseTo(2 / 5);
    expect(report.confusion[7][1]).toBe(2);
    expect(report.confusion[1][7]).toBe(1);
    expect(report.perClassAccuracy[7]).toBeCloseTo(1 / 3);
    expect(report.mostConfused[0]).toEqual({ label: 7, predicted: 1, count: 2 });
    expect(report.errors).toEqual([1, 2, 3]);
  });

  it('normalises a whole set into model input', async () => {
    const test = await loadMnist('test');
    const few = subset(test, [0, 1, 2]);
    expect(normalizedInputs(few).length).toBe(3 * 784);
  });
});

describe('reject class', () => {
  it('adds a "not one digit" output that starts as the base model for the ten digits', async () => {
    const { withRejectClass } = await import('../server/ml/model.js');
    const base = buildDigitModel({ seed: 5 });
    const extended = withRejectClass(base);
    expect(extended.outputs[0].shape).toEqual([null, 11]);
    const inputs = Float32Array.from({ length: 3 * 784 }, (_, i) => ((i * 7) % 11) / 11);
    const before = predictProbabilities(base, inputs);
    const after = predictProbabilities(extended, inputs);
    for (let row = 0; row < 3; row++) {
      // Same logits for the digits; the new output (bias 0) only takes its share of the softmax.
      const ratio = after[row * 11] / before[row * 10];
      for (let d = 1; d < 10; d++) expect(after[row * 11 + d] / before[row * 10 + d]).toBeCloseTo(ratio, 4);
    }
    base.dispose();
    extended.dispose();
  });

  it('draws "not one digit" samples that are valid model input', async () => {
    const { notOneDigit } = await import('../training/augment.js');
    const { seededRandom } = await import('../training/random.js');
    const test = await loadMnist('test');
    const random = seededRandom(4);
    for (let i = 0; i < 50; i++) {
      const input = notOneDigit(test, random);
      expect(input.length).toBe(784);
      expect(Math.max(...input)).toBeGreaterThan(0.5);
      expect(Math.min(...input)).toBeGreaterThanOrEqual(0);
    }
  });
});
