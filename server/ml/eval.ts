/**
 * npm run eval -- [--model DIR] [--json]
 * Evaluates a model on the 10k MNIST test split: accuracy, per-class accuracy, confusion matrix,
 * most confused pairs and inference throughput.
 */
import { initBackend } from './backend.js';
import { parseCli } from './cli-args.js';
import { evaluateModel, measureThroughput, normalizedInputs } from './evaluation.js';
import { loadMnist } from './mnist.js';
import { loadModel } from './model-files.js';

const USAGE = `Usage: npm run eval -- [--model DIR] [--json]
  --model DIR   model folder (default models/digit-cnn)
  --json        print one JSON object instead of a report`;

const { values } = parseCli({ model: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } }, USAGE);
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const modelDir = values.model ?? 'models/digit-cnn';
const backend = await initBackend();
const model = await loadModel(modelDir).catch((error: Error) => {
  console.error(`cannot load a model from ${modelDir}: ${error.message}`);
  process.exit(1);
});
const test = await loadMnist('test');
const inputs = normalizedInputs(test);
const { errors, ...report } = evaluateModel(model, test, inputs);
const throughput = measureThroughput(model, inputs);

if (values.json) {
  console.log(JSON.stringify({ model: modelDir, backend: backend.name, ...report, errorIndices: errors, throughput }));
} else {
  const pct = (v: number) => `${(v * 100).toFixed(2)} %`;
  console.log(`model ${modelDir} on the MNIST test split (${report.count} digits), backend ${backend.name}`);
  console.log(`accuracy ${pct(report.accuracy)} (${errors.length} errors)`);
  console.log(`per class: ${report.perClassAccuracy.map((a, c) => `${c} ${pct(a)}`).join(', ')}`);
  console.log(`most confused (label->predicted): ${report.mostConfused.map((p) => `${p.label}->${p.predicted} x${p.count}`).join(', ')}`);
  console.log('confusion matrix (rows: label, columns: predicted)');
  console.log(`      ${[...Array(10).keys()].map((c) => String(c).padStart(5)).join('')}`);
  report.confusion.forEach((row, label) => console.log(`  ${label}:  ${row.map((n) => String(n).padStart(5)).join('')}`));
  console.log(`throughput: ${throughput.batchDigitsPerSecond.toFixed(0)} digits/s in batches of ${throughput.batchSize}, ` +
    `${throughput.singleDigitsPerSecond.toFixed(0)} digits/s one at a time (p50 ${throughput.singleMsP50.toFixed(2)} ms)`);
}
