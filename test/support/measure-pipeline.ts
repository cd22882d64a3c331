/**
 * npm run measure -- [--digits test|validation] [--count N] [--sets clean,touching,...] [--model DIR] [--json] [--failures DIR]
 * Exact-string accuracy and character error rate of the recognition pipeline on synthetic numbers
 * made of MNIST digits. Reported figures use MNIST test digits; develop against --digits validation.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend } from '../../server/ml/backend.js';
import { parseCli, positiveInteger } from '../../server/ml/cli-args.js';
import { loadMnist, splitTrainValidation } from '../../server/ml/mnist.js';
import { seededRandom } from '../../server/ml/random.js';
import { DigitClassifier, DEFAULT_MODEL_DIR } from '../../server/recognition/classifier.js';
import { recognizeGray } from '../../server/recognition/recognize.js';
import { composeNumber, encodePng, SETS } from './compose.js';

const USAGE = `Usage: npm run measure -- [--digits test|validation] [--count N] [--sets NAMES] [--seed N] [--model DIR] [--json] [--failures DIR]
  --digits      MNIST test digits (default; for reported figures) or validation digits carved from train (for development)
  --count N     images per set (default 200)
  --sets        comma-separated, from: ${Object.keys(SETS).join(', ')} (default all)
  --failures    write misread images there as PNG, named with truth and reading`;

export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

const { values } = parseCli({
  digits: { type: 'string' }, count: { type: 'string' }, sets: { type: 'string' }, seed: { type: 'string' },
  model: { type: 'string' }, json: { type: 'boolean' }, failures: { type: 'string' }, help: { type: 'boolean' },
}, USAGE);
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const source = values.digits ?? 'test';
if (source !== 'test' && source !== 'validation') {
  console.error(`--digits must be test or validation\n\n${USAGE}`);
  process.exit(2);
}
const count = positiveInteger(values.count, 'count', 200);
const seed = positiveInteger(values.seed, 'seed', 2026);
const setNames = values.sets ? values.sets.split(',') : Object.keys(SETS);
for (const name of setNames) {
  if (!SETS[name]) {
    console.error(`unknown set "${name}"\n\n${USAGE}`);
    process.exit(2);
  }
}

await initBackend();
const digits = source === 'test' ? await loadMnist('test') : splitTrainValidation(await loadMnist('train'), 6000, 1).validation;
const classifier = await DigitClassifier.load(values.model ?? DEFAULT_MODEL_DIR);
const report: Record<string, { images: number; exact: number; cer: number; msMean: number }> = {};
for (const name of setNames) {
  const random = seededRandom(seed + name.length * 7919 + name.charCodeAt(0));
  let exact = 0, errors = 0, characters = 0, ms = 0;
  for (let i = 0; i < count; i++) {
    const image = await composeNumber(digits, random, SETS[name]);
    const start = performance.now();
    const result = recognizeGray({ data: image.gray, width: image.width, height: image.height }, classifier);
    ms += performance.now() - start;
    const distance = editDistance(result.text, image.text);
    errors += distance;
    characters += image.text.length;
    if (distance === 0) exact++;
    else if (values.failures) {
      await mkdir(values.failures, { recursive: true });
      await writeFile(join(values.failures, `${name}-${i}-${image.text.replace('\n', '_')}-read-${result.text.replace(/\n/g, '_') || 'nothing'}.png`), await encodePng(image));
    }
  }
  report[name] = { images: count, exact: exact / count, cer: errors / characters, msMean: ms / count };
  if (!values.json) {
    console.log(`${name.padEnd(10)} exact ${(100 * exact / count).toFixed(1).padStart(5)} %  CER ${(100 * errors / characters).toFixed(2).padStart(5)} %  ${(ms / count).toFixed(1)} ms/image  (${count} images, MNIST ${source} digits)`);
  }
}
if (values.json) console.log(JSON.stringify({ digits: source, seed, report }));
