import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../server/ml/backend.js';
import { buildDigitModel } from '../server/ml/model.js';
import { ProgressLine } from '../training/progress.js';
import { subset } from '../training/mnist.js';
import { trainDigitModel } from '../training/training.js';
import { composeNumber } from '../training/compose.js';
import { loadMnist, splitTrainValidation, type DigitSet } from '../training/mnist.js';
import { REJECT_CLASS } from '../server/ml/model.js';
import { seededRandom } from '../training/random.js';
import { makeSegmentSamples, samplesOf, SEGMENT_SPECS } from '../training/segment-samples.js';

let train: DigitSet;
beforeAll(async () => {
  await initBackend(undefined, () => {});
  train = splitTrainValidation(await loadMnist('train'), 6000, 1).train;
});

describe('pieces cut the way the pipeline cuts, for training', () => {
  it('labels the pieces of touching digits by whose ink they hold', async () => {
    const random = seededRandom(11);
    let digitsSeen = 0,
      digitsFound = 0;
    for (let n = 0; n < 20; n++) {
      const image = await composeNumber(train, random, { ...SEGMENT_SPECS[0], length: [2, 3], gap: [-0.1, -0.02] });
      const samples = samplesOf(image);
      const labels = samples.map((s) => s.label);
      const digits = [...image.text].map(Number);
      // A piece labelled a digit is a digit of this number, never one it does not hold.
      for (const label of labels) if (label !== REJECT_CLASS) expect(digits).toContain(label);
      for (const digit of new Set(digits)) {
        digitsSeen++;
        if (labels.includes(digit)) digitsFound++;
      }
      for (const sample of samples) {
        expect(sample.input.length).toBe(784);
        expect(Math.max(...sample.input)).toBeGreaterThan(0.3);
      }
    }
    // Most digits are cut out whole by some candidate (deep overlaps need not be), and the other
    // candidates (pairs, halves, slivers) outnumber them.
    expect(digitsFound / digitsSeen).toBeGreaterThan(0.8);
  });

  it('knows which digit each pixel is from in slanted and photographed numbers too', async () => {
    const random = seededRandom(3);
    for (const spec of SEGMENT_SPECS.slice(1)) {
      const image = await composeNumber(train, random, { ...spec, slant: [0.25, 0.25], lightOnDark: 0 });
      expect(image.owners.length).toBe(image.width * image.height);
      // Dark pixels are ink and have a digit; paper does not.
      let inkOwned = 0,
        ink = 0,
        paperOwned = 0,
        paper = 0;
      const sorted = [...image.gray].sort((a, b) => a - b);
      const inkBelow = sorted[Math.floor(sorted.length * 0.02)] + 20,
        paperAbove = sorted[Math.floor(sorted.length * 0.5)] - 10;
      image.gray.forEach((value, i) => {
        if (value <= inkBelow) {
          ink++;
          if (image.owners[i] >= 0) inkOwned++;
        }
        if (value >= paperAbove) {
          paper++;
          if (image.owners[i] >= 0) paperOwned++;
        }
      });
      expect(inkOwned / ink).toBeGreaterThan(0.8);
      expect(paperOwned / paper).toBeLessThan(0.1);
    }
  });

  it('gathers samples from many numbers into one batchable set, mostly "not one digit"', async () => {
    const samples = await makeSegmentSamples(train, seededRandom(5), 30);
    expect(samples.inputs.length).toBe(samples.count * 784);
    expect(samples.labels.length).toBe(samples.count);
    const rejects = samples.labels.filter((l) => l === REJECT_CLASS).length;
    expect(rejects).toBeGreaterThan(samples.count / 2);
    expect(rejects).toBeLessThan(samples.count);
    expect(new Set(samples.labels).size).toBeGreaterThan(8);
  });

  it('trains a model with a reject output on them, keeping the last epoch when told to', async () => {
    const samples = await makeSegmentSamples(train, seededRandom(6), 40);
    const digits = subset(
      train,
      Array.from({ length: 256 }, (_, i) => i),
    );
    const validation = subset(
      train,
      Array.from({ length: 100 }, (_, i) => 1000 + i),
    );
    const quiet = new ProgressLine({ isTTY: false, write: () => true } as unknown as NodeJS.WriteStream);
    const options = { epochs: 3, batchSize: 32, learningRate: 2e-3, finalLearningRate: 1e-4, seed: 3, augment: null, progress: quiet };
    await expect(trainDigitModel(digits, validation, { ...options, segmentSamples: samples, segmentFraction: 0.5 })).rejects.toThrow(/reject output/);
    const result = await trainDigitModel(digits, validation, {
      ...options,
      initialModel: buildDigitModel({ seed: 3, rejectClass: true }),
      segmentSamples: samples,
      segmentFraction: 0.5,
      keep: 'last',
      checkpointDir: await mkdtemp(join(tmpdir(), 'segment-training-')),
    });
    expect(result.keptEpoch).toBe(3);
    expect(result.keptValidationAccuracy).toBe(result.history[2].validationAccuracy);
    // Half of every batch is cut pieces (mostly "not one digit"), and the loss on the mix falls.
    expect(result.history[2].loss).toBeLessThan(result.history[0].loss);
    expect(result.model.outputs[0].shape).toEqual([null, 11]);
    result.model.dispose();
  });
});
