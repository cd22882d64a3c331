/**
 * npm run export -- [--model DIR]
 * Writes the tfjs model in DIR as DIR/model.onnx (what the server runs, in ONNX Runtime), then
 * reads the 10k MNIST test split with both and says how far they agree. `npm run train` exports
 * on its own; this is for a model trained before, or after changing the exporter.
 */
import { initBackend } from '../server/ml/backend.js';
import { parseCli } from '../server/cli-args.js';
import { loadEngine } from '../server/ml/engine.js';
import { agreement, normalizedInputs } from './evaluation.js';
import { loadMnist } from './mnist.js';
import { loadModel, ONNX_FILE } from '../server/ml/model-files.js';
import { outputClasses, predictProbabilities } from '../server/ml/model.js';
import { writeOnnxModel } from './onnx-export.js';

const USAGE = `Usage: npm run export -- [--model DIR]
  --model DIR   model folder (default models/digit-cnn); writes DIR/${ONNX_FILE}`;
const { values } = parseCli({ model: { type: 'string' } }, USAGE);
const modelDir = values.model ?? 'models/digit-cnn';
await initBackend();
const model = await loadModel(modelDir).catch((error: Error) => {
  console.error(`cannot load a model from ${modelDir}: ${error.message}`);
  process.exit(1);
});
const { bytes, folded } = await writeOnnxModel(model, modelDir);
console.log(`wrote ${modelDir}/${ONNX_FILE} (${bytes.length} bytes; ${folded.length} batch normalisations folded)`);

const inputs = normalizedInputs(await loadMnist('test'));
const engine = await loadEngine(modelDir, { engine: 'onnx' });
const { rows, topDiffers, maxDifference } = agreement(predictProbabilities(model, inputs), await engine.predict(inputs), outputClasses(model));
await engine.dispose();
console.log(
  `tfjs and ${engine.name} on the ${rows} MNIST test digits: the same top class on ${rows - topDiffers}, probabilities within ${maxDifference.toExponential(2)}`,
);
process.exit(topDiffers === 0 && maxDifference < 1e-4 ? 0 : 1);
