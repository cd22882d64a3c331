import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../server/ml/backend.js';
import { loadEngine } from '../server/ml/engine.js';
import { agreement, normalizedInputs, scorePredictions } from '../training/evaluation.js';
import { loadMnist } from '../training/mnist.js';
import { buildDigitModel, predictProbabilities } from '../server/ml/model.js';
import { loadModel, ONNX_FILE, saveModel } from '../server/ml/model-files.js';
import { exportToOnnx, writeOnnxModel } from '../training/onnx-export.js';

const MODEL_DIR = join('models', 'digit-cnn');

beforeAll(async () => {
  await initBackend(undefined, () => {});
});

/** Gives every batch normalisation statistics and scales far from the identity, so folding them is tested. */
function randomiseBatchNorms(model: tf.LayersModel, seed: number): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    layer.setWeights(
      layer.getWeights().map((w, i) => (i === 3 ? tf.randomUniform(w.shape, 0.5, 2, 'float32', seed++) : tf.randomNormal(w.shape, 0, 0.5, 'float32', seed++))),
    );
  }
}

describe('inference engines', () => {
  it('serves the committed model in ONNX Runtime with the same predictions as tfjs on the MNIST test split', async () => {
    const model = await loadModel(MODEL_DIR);
    const test = await loadMnist('test');
    const inputs = normalizedInputs(test);
    const engine = await loadEngine(MODEL_DIR, { engine: 'onnx' });
    expect(engine.name).toMatch(/^onnxruntime /);
    const fromOnnx = await engine.predict(inputs);
    const { rows, topDiffers, maxDifference } = agreement(predictProbabilities(model, inputs), fromOnnx, engine.classes);
    expect(rows).toBe(10000);
    expect(topDiffers).toBe(0);
    expect(maxDifference).toBeLessThan(1e-4);
    expect(scorePredictions(fromOnnx, test.labels, engine.classes).accuracy).toBeGreaterThanOrEqual(0.995);
    await engine.dispose();
    model.dispose();
  });

  it('has a model.onnx that is the export of the committed model.json (not stale after retraining)', async () => {
    const model = await loadModel(MODEL_DIR);
    const dir = await mkdtemp(join(tmpdir(), 'onnx-'));
    await writeOnnxModel(model, dir);
    expect(Buffer.compare(await readFile(join(dir, ONNX_FILE)), await readFile(join(MODEL_DIR, ONNX_FILE)))).toBe(0);
    model.dispose();
  });

  it('exports what it supports exactly: folded batch norms, same padding, biases, a reject output', async () => {
    const model = buildDigitModel({ seed: 5, rejectClass: true });
    randomiseBatchNorms(model, 17);
    const padded = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [28, 28, 1],
          filters: 4,
          kernelSize: 3,
          padding: 'same',
          useBias: true,
          activation: 'relu',
          biasInitializer: 'randomNormal',
        }),
        tf.layers.batchNormalization(),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    randomiseBatchNorms(padded, 3);
    const inputs = Float32Array.from({ length: 16 * 784 }, (_, i) => ((i * 7919) % 1000) / 1000);
    for (const [candidate, folded] of [
      [model, 4],
      [padded, 0],
    ] as const) {
      const dir = await mkdtemp(join(tmpdir(), 'export-'));
      await saveModel(candidate, dir);
      const exported = await writeOnnxModel(candidate, dir);
      // A batch norm after an activation cannot be folded into the layer before it; it stays a Mul and Add.
      expect(exported.folded.length).toBe(folded);
      const engine = await loadEngine(dir, { engine: 'onnx' });
      const { topDiffers, maxDifference } = agreement(predictProbabilities(candidate, inputs), await engine.predict(inputs), engine.classes);
      expect(topDiffers).toBe(0);
      expect(maxDifference).toBeLessThan(1e-4);
      await engine.dispose();
    }
    model.dispose();
    padded.dispose();
  });

  it('refuses to export a layer it does not know', () => {
    const model = tf.sequential({
      layers: [tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 2, kernelSize: 3 }), tf.layers.globalAveragePooling2d({}), tf.layers.dense({ units: 10 })],
    });
    expect(() => exportToOnnx(model)).toThrow(/GlobalAveragePooling2D.*not supported/);
    model.dispose();
  });

  it('falls back to tfjs, saying why, where there is no model.onnx; and leaks no tensors there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'no-onnx-'));
    const model = buildDigitModel({ seed: 2 });
    await saveModel(model, dir);
    const said: string[] = [];
    const engine = await loadEngine(dir, { log: (line) => said.push(line) });
    expect(engine.name).toMatch(/^tfjs \(\w+\), not ONNX Runtime: .*npm run export/);
    expect(said.join('\n')).toMatch(/not ONNX Runtime/);
    const inputs = new Float32Array(5 * 784).fill(0.2);
    await engine.predict(inputs);
    const before = tf.memory().numTensors;
    expect((await engine.predict(inputs)).length).toBe(5 * 10);
    expect(tf.memory().numTensors).toBe(before);
    await expect(loadEngine(dir, { engine: 'onnx' })).rejects.toThrow();
    await engine.dispose();
    model.dispose();
  });
});
