/**
 * npm run eval -- [--model DIR] [--json]
 * Evaluates a model on the 10k MNIST test split: accuracy, per-class accuracy, confusion matrix,
 * most confused pairs and inference throughput; and, where DIR holds model.onnx (what the server
 * runs), the same split read by ONNX Runtime: agreement with tfjs and throughput on one and two
 * threads.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend } from '../server/ml/backend.js';
import { parseCli } from '../server/cli-args.js';
import { loadEngine } from '../server/ml/engine.js';
import { agreement, evaluateModel, measureThroughput, normalizedInputs, scorePredictions, tfjsPredict, type Throughput } from './evaluation.js';
import { loadMnist } from './mnist.js';
import { loadModel, ONNX_FILE } from '../server/ml/model-files.js';
import { outputClasses, predictProbabilities } from '../server/ml/model.js';

const USAGE = `Usage: npm run eval -- [--model DIR] [--json]
  --model DIR   model folder (default models/digit-cnn)
  --json        print one JSON object instead of a report`;

const { values } = parseCli({ model: { type: 'string' }, json: { type: 'boolean' } }, USAGE);
const modelDir = values.model ?? 'models/digit-cnn';
const backend = await initBackend();
const model = await loadModel(modelDir).catch((error: Error) => {
  console.error(`cannot load a model from ${modelDir}: ${error.message}`);
  process.exit(1);
});
const test = await loadMnist('test');
const inputs = normalizedInputs(test);
const { errors, ...report } = evaluateModel(model, test, inputs);
const throughput = await measureThroughput(tfjsPredict(model, 64), inputs);

interface OnnxReport {
  engine: string;
  accuracy: number;
  topClassDiffersFromTfjs: number;
  maxProbabilityDifference: number;
  throughput: Throughput;
  twoThreads: Throughput;
}
let onnx: OnnxReport | undefined;
if (
  await access(join(modelDir, ONNX_FILE)).then(
    () => true,
    () => false,
  )
) {
  const engine = await loadEngine(modelDir, { engine: 'onnx', threads: 1 });
  const probabilities = await engine.predict(inputs);
  const compared = agreement(predictProbabilities(model, inputs), probabilities, outputClasses(model));
  const twoThreads = await loadEngine(modelDir, { engine: 'onnx', threads: 2 });
  onnx = {
    engine: engine.name,
    accuracy: scorePredictions(probabilities, test.labels, engine.classes).accuracy,
    topClassDiffersFromTfjs: compared.topDiffers,
    maxProbabilityDifference: compared.maxDifference,
    throughput: await measureThroughput((x) => engine.predict(x), inputs),
    twoThreads: await measureThroughput((x) => twoThreads.predict(x), inputs),
  };
  await Promise.all([engine.dispose(), twoThreads.dispose()]);
}

const rate = (t: Throughput) =>
  `${t.batchDigitsPerSecond.toFixed(0)} digits/s in batches of ${t.batchSize}, ${t.singleDigitsPerSecond.toFixed(0)} digits/s one at a time (p50 ${t.singleMsP50.toFixed(2)} ms)`;
if (values.json) {
  console.log(JSON.stringify({ model: modelDir, backend: backend.name, ...report, errorIndices: errors, throughput, onnx }));
} else {
  const pct = (v: number) => `${(v * 100).toFixed(2)} %`;
  console.log(`model ${modelDir} on the MNIST test split (${report.count} digits), backend ${backend.name}`);
  console.log(`accuracy ${pct(report.accuracy)} (${errors.length} errors)`);
  console.log(`per class: ${report.perClassAccuracy.map((a, c) => `${c} ${pct(a)}`).join(', ')}`);
  console.log(`most confused (label->predicted): ${report.mostConfused.map((p) => `${p.label}->${p.predicted} x${p.count}`).join(', ')}`);
  console.log('confusion matrix (rows: label, columns: predicted)');
  console.log(`      ${[...Array(10).keys()].map((c) => String(c).padStart(5)).join('')}`);
  report.confusion.forEach((row, label) => console.log(`  ${label}:  ${row.map((n) => String(n).padStart(5)).join('')}`));
  console.log(`throughput, tfjs (${backend.name}): ${rate(throughput)}`);
  if (onnx) {
    console.log(
      `${onnx.engine}: accuracy ${pct(onnx.accuracy)}; top class differs from tfjs on ${onnx.topClassDiffersFromTfjs} digits, probabilities within ${onnx.maxProbabilityDifference.toExponential(2)}`,
    );
    console.log(`throughput, ONNX Runtime, 1 thread: ${rate(onnx.throughput)}`);
    console.log(`throughput, ONNX Runtime, 2 threads: ${rate(onnx.twoThreads)}`);
  } else {
    console.log(`no ${ONNX_FILE} in ${modelDir}: npm run export writes it`);
  }
}
