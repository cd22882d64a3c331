/** The training loop: augmented batches, cosine learning rate, validation each epoch, checkpoints. */
import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { augmentDigit, notOneDigit, type AugmentOptions } from './augment.js';
import { notWriting } from './pictures.js';
import { evaluateModel, normalizedInputs } from './evaluation.js';
import { digitPixels, type DigitSet } from './mnist.js';
import { buildDigitModel, compileForTraining, outputClasses, REJECT_CLASS } from '../server/ml/model.js';
import { loadModel, saveModel } from '../server/ml/model-files.js';
import { MODEL_INPUT_SIZE, normalizeDigit } from '../server/ml/normalize.js';
import { formatDuration, progressBar, ProgressLine } from './progress.js';
import { seededRandom, shuffledIndices } from './random.js';
import type { SegmentSamples } from './segment-samples.js';

const INPUT_VALUES = MODEL_INPUT_SIZE * MODEL_INPUT_SIZE;

export interface TrainingOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** The learning rate decays on a cosine from learningRate to this by the last step. */
  finalLearningRate: number;
  seed: number;
  augment: AugmentOptions | null;
  /**
   * Share of each batch drawn from the reject class ("not one digit"); needs a model with that
   * output (see `initialModel` and `withRejectClass`). 0 trains the ten digits only.
   */
  rejectFraction?: number;
  /** Share of those reject samples that are pictures, not writing (pictures.ts); the rest are bad cuts. */
  pictureShare?: number;
  /**
   * Pieces cut from composed numbers by the pipeline's segmenter, labelled by whose ink they hold
   * (see segment-samples.ts), drawn as `segmentFraction` of each batch; needs the reject output.
   */
  segmentSamples?: SegmentSamples;
  segmentFraction?: number;
  /** Digits drawn as a pen writes them (see pen-samples.ts), drawn as `penFraction` of each batch. */
  penSamples?: SegmentSamples;
  penFraction?: number;
  /**
   * Which weights to return: those of the epoch with the best validation accuracy (default), or
   * the last epoch's, when single-digit accuracy is not what the training is for (see train.ts).
   */
  keep?: 'best' | 'last';
  /** Start from this model (fine-tuning) instead of a new one; it is compiled here. */
  initialModel?: tf.LayersModel;
  /** Where checkpoints go; with `resume`, training continues from the last one there. */
  checkpointDir?: string;
  resume?: boolean;
  /** Asked between batches; true stops after saving what is needed to resume. */
  shouldStop?: () => boolean;
  progress?: ProgressLine;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  validationAccuracy: number;
  learningRate: number;
  seconds: number;
}

export interface TrainingResult {
  model: tf.LayersModel;
  history: EpochRecord[];
  bestEpoch: number;
  bestValidationAccuracy: number;
  /** The epoch whose weights `model` holds, and its validation accuracy. */
  keptEpoch: number;
  keptValidationAccuracy: number;
  trainingSeconds: number;
  imagesPerSecond: number;
  stoppedEarly: boolean;
}

interface CheckpointState {
  epochsDone: number;
  bestEpoch: number;
  bestValidationAccuracy: number;
  history: EpochRecord[];
  trainingSeconds: number;
  imagesSeen: number;
}

const LAST = 'last';
const BEST = 'best';
const STATE_FILE = 'state.json';

export function cosineLearningRate(options: Pick<TrainingOptions, 'learningRate' | 'finalLearningRate'>, progress: number): number {
  const { learningRate, finalLearningRate } = options;
  return finalLearningRate + 0.5 * (learningRate - finalLearningRate) * (1 + Math.cos(Math.PI * Math.min(1, progress)));
}

interface BatchMix {
  rejectFraction: number;
  pictureShare: number;
  segmentSamples?: SegmentSamples;
  segmentFraction: number;
  penSamples?: SegmentSamples;
  penFraction: number;
}

function fromPool(pool: SegmentSamples, random: () => number, inputs: Float32Array, labels: Int32Array, i: number): void {
  const k = Math.floor(random() * pool.count);
  inputs.set(pool.inputs.subarray(k * INPUT_VALUES, (k + 1) * INPUT_VALUES), i * INPUT_VALUES);
  labels[i] = pool.labels[k];
}

/**
 * A batch of inputs and one-hot labels, augmented through the one normalisation when asked, with
 * about `rejectFraction` of it replaced by "not one digit" samples and `segmentFraction` by pieces
 * the segmenter cut.
 */
function makeBatch(set: DigitSet, indices: ArrayLike<number>, augment: AugmentOptions | null, random: () => number, classes: number, mix: BatchMix) {
  const inputs = new Float32Array(indices.length * INPUT_VALUES);
  const labels = new Int32Array(indices.length);
  const { width, height } = set.images;
  const { rejectFraction, pictureShare, segmentSamples, segmentFraction, penSamples, penFraction } = mix;
  for (let i = 0; i < indices.length; i++) {
    const draw = random();
    if (segmentSamples && draw < segmentFraction) {
      fromPool(segmentSamples, random, inputs, labels, i);
      continue;
    }
    if (penSamples && draw >= 1 - penFraction) {
      fromPool(penSamples, random, inputs, labels, i);
      continue;
    }
    if (rejectFraction > 0 && draw < segmentFraction + rejectFraction) {
      inputs.set(random() < pictureShare ? notWriting(random) : notOneDigit(set, random), i * INPUT_VALUES);
      labels[i] = REJECT_CLASS;
      continue;
    }
    const pixels = digitPixels(set, indices[i]);
    inputs.set(augment ? augmentDigit(pixels, random, augment) : normalizeDigit({ width, height, data: pixels }, 'light-on-dark'), i * INPUT_VALUES);
    labels[i] = set.labels[indices[i]];
  }
  return tf.tidy(() => ({
    xs: tf.tensor4d(inputs, [indices.length, MODEL_INPUT_SIZE, MODEL_INPUT_SIZE, 1]),
    ys: tf.oneHot(tf.tensor1d(labels, 'int32'), classes).toFloat(),
  }));
}

async function readState(dir: string): Promise<CheckpointState> {
  return JSON.parse(await readFile(join(dir, LAST, STATE_FILE), 'utf8')) as CheckpointState;
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, LAST, STATE_FILE));
}

export async function trainDigitModel(train: DigitSet, validation: DigitSet, options: TrainingOptions): Promise<TrainingResult> {
  const { epochs, batchSize, seed, augment, checkpointDir, progress = new ProgressLine() } = options;
  let state: CheckpointState = { epochsDone: 0, bestEpoch: 0, bestValidationAccuracy: 0, history: [], trainingSeconds: 0, imagesSeen: 0 };
  let model: tf.LayersModel;
  if (options.resume && checkpointDir && hasCheckpoint(checkpointDir)) {
    state = await readState(checkpointDir);
    model = await loadModel(join(checkpointDir, LAST));
    progress.done(
      `resuming after epoch ${state.epochsDone} (best validation ${(state.bestValidationAccuracy * 100).toFixed(2)} % at epoch ${state.bestEpoch})`,
    );
  } else {
    model = options.initialModel ?? buildDigitModel({ seed });
    compileForTraining(model, options.learningRate);
  }
  const classes = outputClasses(model);
  const rejectFraction = options.rejectFraction ?? 0;
  const segmentFraction = options.segmentSamples ? (options.segmentFraction ?? 0) : 0;
  if ((rejectFraction > 0 || segmentFraction > 0) && classes <= REJECT_CLASS)
    throw new Error('rejectFraction and segmentFraction need a model with a reject output');
  const penFraction = options.penSamples ? (options.penFraction ?? 0) : 0;
  if (rejectFraction + segmentFraction + penFraction > 1)
    throw new Error('rejectFraction, segmentFraction and penFraction together are more than the whole batch');
  const mix: BatchMix = {
    rejectFraction,
    pictureShare: options.pictureShare ?? 0,
    segmentSamples: options.segmentSamples,
    segmentFraction,
    penSamples: options.penSamples,
    penFraction,
  };
  // tfjs reads `learningRate` on every update but offers no public setter for a schedule.
  const optimizer = model.optimizer as unknown as { learningRate: number };
  const validationInputs = normalizedInputs(validation);
  const stepsPerEpoch = Math.ceil(train.labels.length / batchSize);
  const totalSteps = stepsPerEpoch * epochs;
  let stoppedEarly = false;

  for (let epoch = state.epochsDone + 1; epoch <= epochs && !stoppedEarly; epoch++) {
    const epochStart = performance.now();
    // Seeded per epoch, so a resumed run sees the same data order it would have seen.
    const random = seededRandom(seed * 1000 + epoch);
    const order = shuffledIndices(train.labels.length, random);
    let lossSum = 0,
      accuracySum = 0,
      seen = 0,
      learningRate = options.learningRate;
    for (let step = 0; step < stepsPerEpoch; step++) {
      if (options.shouldStop?.()) {
        stoppedEarly = true;
        break;
      }
      learningRate = cosineLearningRate(options, ((epoch - 1) * stepsPerEpoch + step) / totalSteps);
      optimizer.learningRate = learningRate;
      const indices = order.subarray(step * batchSize, Math.min(order.length, (step + 1) * batchSize));
      const { xs, ys } = makeBatch(train, indices, augment, random, classes, mix);
      const [loss, accuracy] = (await model.trainOnBatch(xs, ys)) as number[];
      xs.dispose();
      ys.dispose();
      lossSum += loss * indices.length;
      accuracySum += accuracy * indices.length;
      seen += indices.length;
      const elapsed = (performance.now() - epochStart) / 1000;
      const rate = seen / elapsed;
      const remaining = (train.labels.length - seen + (epochs - epoch) * train.labels.length) / rate;
      progress.update(
        `epoch ${epoch}/${epochs} ${progressBar(seen / train.labels.length)} loss ${(lossSum / seen).toFixed(4)} ` +
          `acc ${((accuracySum / seen) * 100).toFixed(2)}% lr ${learningRate.toExponential(1)} ${rate.toFixed(0)} img/s ETA ${formatDuration(remaining)}`,
      );
    }
    if (stoppedEarly) break;
    const validationAccuracy = evaluateModel(model, validation, validationInputs).accuracy;
    const seconds = (performance.now() - epochStart) / 1000;
    state.trainingSeconds += seconds;
    state.imagesSeen += seen;
    state.epochsDone = epoch;
    state.history.push({ epoch, loss: lossSum / seen, trainAccuracy: accuracySum / seen, validationAccuracy, learningRate, seconds });
    const improved = validationAccuracy > state.bestValidationAccuracy;
    if (improved) {
      state.bestValidationAccuracy = validationAccuracy;
      state.bestEpoch = epoch;
    }
    if (checkpointDir) {
      await mkdir(checkpointDir, { recursive: true });
      if (improved) await saveModel(model, join(checkpointDir, BEST));
      await saveModel(model, join(checkpointDir, LAST), { includeOptimizer: true });
      await writeFile(join(checkpointDir, LAST, STATE_FILE), JSON.stringify(state, null, 2));
    }
    progress.done(
      `epoch ${epoch}/${epochs} loss ${(lossSum / seen).toFixed(4)} train ${((accuracySum / seen) * 100).toFixed(2)}% ` +
        `validation ${(validationAccuracy * 100).toFixed(2)}%${improved ? ' (best)' : ''} ${formatDuration(seconds)}`,
    );
  }

  let kept = model,
    keptEpoch = state.epochsDone;
  if (options.keep !== 'last' && checkpointDir && state.bestEpoch > 0 && state.bestEpoch !== state.epochsDone) {
    kept = await loadModel(join(checkpointDir, BEST));
    keptEpoch = state.bestEpoch;
    model.dispose();
  }
  return {
    model: kept,
    history: state.history,
    bestEpoch: state.bestEpoch,
    bestValidationAccuracy: state.bestValidationAccuracy,
    keptEpoch,
    keptValidationAccuracy: state.history.find((h) => h.epoch === keptEpoch)?.validationAccuracy ?? state.bestValidationAccuracy,
    trainingSeconds: state.trainingSeconds,
    imagesPerSecond: state.imagesSeen / Math.max(1e-9, state.trainingSeconds),
    stoppedEarly,
  };
}
