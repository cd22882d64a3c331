import { writeFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { initBackend } from './server/ml/backend.ts';
import { loadModel } from './server/ml/model-files.ts';
import { exportToOnnx } from './server/ml/onnx-export.ts';
import { loadMnist } from './server/ml/mnist.ts';
import { normalizedInputs, predictProbabilities } from './server/ml/evaluation.ts';
await initBackend(undefined, () => {});
const model = await loadModel('models/digit-cnn');
const { bytes, folded } = exportToOnnx(model);
console.log('bytes', bytes.length, 'folded', folded);
await writeFile('/tmp/model.onnx', bytes);
const test = await loadMnist('test');
const inputs = normalizedInputs(test);
const n = test.count ?? inputs.length / 784;
let t = performance.now();
const tf = predictProbabilities(model, inputs, 64);
console.log('tfjs', (n / ((performance.now() - t) / 1000)).toFixed(0), 'digits/s');
for (const threads of [1, 2]) {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  for (const batch of [1, 64, 256]) {
    const out = new Float32Array(n * 11);
    t = performance.now();
    for (let i = 0; i < n; i += batch) {
      const m = Math.min(batch, n - i);
      const x = new ort.Tensor('float32', inputs.subarray(i * 784, (i + m) * 784), [m, 28, 28, 1]);
      const r = await session.run({ input: x });
      out.set(r.probabilities.data as Float32Array, i * 11);
    }
    const rate = n / ((performance.now() - t) / 1000);
    let maxDiff = 0, argmaxDiff = 0;
    for (let i = 0; i < n; i++) {
      let a = 0, b = 0;
      for (let k = 0; k < 11; k++) { maxDiff = Math.max(maxDiff, Math.abs(out[i*11+k] - tf[i*11+k])); if (out[i*11+k] > out[i*11+a]) a = k; if (tf[i*11+k] > tf[i*11+b]) b = k; }
      if (a !== b) argmaxDiff++;
    }
    console.log(`ort threads ${threads} batch ${batch}: ${rate.toFixed(0)} digits/s, max diff ${maxDiff.toExponential(2)}, argmax differ ${argmaxDiff}`);
  }
}
