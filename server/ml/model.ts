/** The digit classifier's architecture. Built on demand (never at import time). */
import * as tf from '@tensorflow/tfjs';
import { MODEL_INPUT_SIZE } from './normalize.js';

/** Outputs 0-9 are the digits. */
export const DIGIT_CLASSES = 10;
/**
 * Models trained with a reject class have an eleventh output: "not one digit" (two touching
 * digits, a fragment of one), which the pipeline uses to tell a good cut from a bad one.
 */
export const REJECT_CLASS = 10;

export function outputClasses(model: tf.LayersModel): number {
  return model.outputs[0].shape[1] as number;
}

export interface DigitModelOptions {
  /** Seed for weight initialisation, so a run can be repeated. */
  seed?: number;
  denseUnits?: number;
  dropout?: number;
  /** Add the "not one digit" output. */
  rejectClass?: boolean;
}

/**
 * 32C5 - pool - 64C3 - 64C3 - pool - dense - softmax, with batch normalisation after every
 * convolution and the hidden dense layer. Chosen by training speed on the wasm backend (about
 * 220 images/s on one core): valid 5x5 then 3x3 convolutions on shrinking maps cost a third of the
 * usual two 3x3 blocks at full resolution, and batch normalisation makes a 20-epoch budget enough.
 */
export function buildDigitModel(options: DigitModelOptions = {}): tf.Sequential {
  const { seed = 1, denseUnits = 128, dropout = 0.4, rejectClass = false } = options;
  let layerSeed = seed;
  const init = () => tf.initializers.heNormal({ seed: layerSeed++ });
  const convBlock = (filters: number, kernelSize: number, extra: { inputShape?: number[] } = {}) => [
    tf.layers.conv2d({ filters, kernelSize, useBias: false, kernelInitializer: init(), ...extra }),
    tf.layers.batchNormalization(),
    tf.layers.activation({ activation: 'relu' }),
  ];
  return tf.sequential({
    name: 'digit_cnn',
    layers: [
      ...convBlock(32, 5, { inputShape: [MODEL_INPUT_SIZE, MODEL_INPUT_SIZE, 1] }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      ...convBlock(64, 3),
      ...convBlock(64, 3),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: denseUnits, useBias: false, kernelInitializer: init() }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.dropout({ rate: dropout, seed: layerSeed++ }),
      tf.layers.dense({
        units: DIGIT_CLASSES + (rejectClass ? 1 : 0),
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: layerSeed++ }),
      }),
    ],
  });
}

/**
 * A model of the same architecture with the reject output added, starting as `base` exactly: every
 * layer keeps its weights, and the output layer keeps its ten digit columns beside a freshly
 * initialised reject column. Fine-tuning from there changes the digits as little as it must.
 */
export function withRejectClass(base: tf.LayersModel, seed = 1): tf.Sequential {
  const model = buildDigitModel({ seed, rejectClass: true });
  const last = model.layers.length - 1;
  model.layers.forEach((layer, i) => {
    const weights = base.layers[i]?.getWeights() ?? [];
    if (weights.length === 0) return;
    if (i === last) {
      const [kernel] = layer.getWeights();
      const rejectColumn = tf.slice(kernel, [0, DIGIT_CLASSES], [-1, 1]);
      layer.setWeights([tf.concat([weights[0], rejectColumn], 1), tf.concat([weights[1], tf.zeros([1])], 0)]);
      rejectColumn.dispose();
      return;
    }
    layer.setWeights(weights);
  });
  return model;
}

export function compileForTraining(model: tf.LayersModel, learningRate: number): tf.AdamOptimizer {
  const optimizer = tf.train.adam(learningRate);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return optimizer;
}

const INPUT_VALUES = MODEL_INPUT_SIZE * MODEL_INPUT_SIZE;

/**
 * Class probabilities for `inputs` ([n*784] normalised values), predicted in batches: n rows of
 * the model's outputs (10, or 11 with a reject class).
 */
export function predictProbabilities(model: tf.LayersModel, inputs: Float32Array, batchSize = 256): Float32Array {
  const count = inputs.length / INPUT_VALUES;
  const classes = outputClasses(model);
  const out = new Float32Array(count * classes);
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(count, start + batchSize);
    const probabilities = tf.tidy(() => {
      const batch = tf.tensor4d(inputs.subarray(start * INPUT_VALUES, end * INPUT_VALUES), [end - start, MODEL_INPUT_SIZE, MODEL_INPUT_SIZE, 1]);
      return model.predict(batch) as tf.Tensor;
    });
    out.set(probabilities.dataSync(), start * classes);
    probabilities.dispose();
  }
  return out;
}
