/**
 * npm run measure -- [--digits test|validation] [--count N] [--sets clean,touching,...] [--model DIR] [--json] [--failures DIR]
 * Exact-string accuracy and character error rate of the recognition pipeline on synthetic numbers
 * made of MNIST digits. Reported figures use MNIST test digits; develop against --digits validation.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { parseCli, positiveInteger } from '../../server/ml/cli-args.js';
import { loadMnist, splitTrainValidation } from '../../server/ml/mnist.js';
import { seededRandom } from '../../server/ml/random.js';
import { DigitClassifier, DEFAULT_MODEL_DIR } from '../../server/recognition/classifier.js';
import { recognizeGray, type RecognitionResult } from '../../server/recognition/recognize.js';
import { recognizeStrokes } from '../../server/recognition/strokes.js';
import { rasterizeStrokes } from '../../server/recognition/pen/raster.js';
import { composeNumber, encodePng, SETS, type ComposedImage } from '../../server/ml/compose.js';
import { writeNumber } from './strokes-from-mnist.js';

/**
 * Stroke sets as a person writes them on an 800x300 canvas, next to the image sets: the gap
 * between digits, in digit heights (people often write the next digit close, or overlapping).
 */
const STROKE_SETS: Record<string, [number, number]> = {
  strokes: [0.15, 0.45],
  'strokes-close': [0, 0.12],
  'strokes-overlapping': [-0.12, 0],
};
const ALL_SETS = [...Object.keys(SETS), ...Object.keys(STROKE_SETS)];

const USAGE = `Usage: npm run measure -- [--digits test|validation] [--count N] [--sets NAMES] [--seed N] [--model DIR] [--baseline tesseract] [--json] [--failures DIR]
  --digits      MNIST test digits (default; for reported figures) or validation digits carved from train (for development)
  --count N     images per set (default 200)
  --sets        comma-separated, from: ${ALL_SETS.join(', ')} (default all)
  --baseline    also read every image with Tesseract OCR (digits whitelisted) for comparison
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

const { values } = parseCli(
  {
    digits: { type: 'string' },
    count: { type: 'string' },
    sets: { type: 'string' },
    seed: { type: 'string' },
    model: { type: 'string' },
    json: { type: 'boolean' },
    failures: { type: 'string' },
    baseline: { type: 'string' },
    help: { type: 'boolean' },
  },
  USAGE,
);
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
const setNames = values.sets ? values.sets.split(',') : ALL_SETS;
if (values.baseline !== undefined && values.baseline !== 'tesseract') {
  console.error(`--baseline can only be tesseract\n\n${USAGE}`);
  process.exit(2);
}
for (const name of setNames) {
  if (!ALL_SETS.includes(name)) {
    console.error(`unknown set "${name}"\n\n${USAGE}`);
    process.exit(2);
  }
}

const digits = source === 'test' ? await loadMnist('test') : splitTrainValidation(await loadMnist('train'), 6000, 1).validation;
const classifier = await DigitClassifier.load(values.model ?? DEFAULT_MODEL_DIR);
const run = promisify(execFile);
const scratch = await mkdtemp(join(tmpdir(), 'measure-'));

/** The simplest baseline anyone would try: Tesseract with a digit whitelist, one block of text. */
async function tesseract(png: Buffer): Promise<string> {
  const file = join(scratch, 'image.png');
  await writeFile(file, png);
  const { stdout } = await run('tesseract', [file, 'stdout', '--psm', '6', '-c', 'tessedit_char_whitelist=0123456789']);
  return stdout
    .split('\n')
    .map((line) => line.replace(/\s+/g, ''))
    .filter(Boolean)
    .join('\n');
}

interface Sample {
  text: string;
  png: () => Promise<Buffer>;
  recognize: () => Promise<RecognitionResult>;
}

function imageSample(image: ComposedImage): Sample {
  return {
    text: image.text,
    png: () => encodePng(image),
    recognize: () => recognizeGray({ data: image.gray, width: image.width, height: image.height }, classifier),
  };
}

async function sample(name: string, random: () => number): Promise<Sample> {
  const gap = STROKE_SETS[name];
  if (!gap) return imageSample(await composeNumber(digits, random, SETS[name]));
  const written = writeNumber(digits, random, { length: 1 + Math.floor(random() * 10), width: 800, height: 300, digitHeight: 60 + random() * 120, gap });
  return {
    text: written.text,
    // Tesseract reads the same strokes drawn dark on white.
    png: () => {
      const { ink } = rasterizeStrokes(written.set);
      return sharp(
        Uint8Array.from(ink.intensity, (v) => 255 - v),
        { raw: { width: ink.width, height: ink.height, channels: 1 } },
      )
        .png()
        .toBuffer();
    },
    recognize: () => recognizeStrokes(written.set, classifier),
  };
}

interface Score {
  exact: number;
  cer: number;
}
const report: Record<string, { images: number; exact: number; cer: number; msMean: number; tesseract?: Score }> = {};
for (const name of setNames) {
  const random = seededRandom(seed + name.length * 7919 + name.charCodeAt(0));
  let exact = 0,
    errors = 0,
    characters = 0,
    ms = 0,
    baselineExact = 0,
    baselineErrors = 0;
  for (let i = 0; i < count; i++) {
    const item = await sample(name, random);
    const start = performance.now();
    const result = await item.recognize();
    ms += performance.now() - start;
    const distance = editDistance(result.text, item.text);
    errors += distance;
    characters += item.text.length;
    if (distance === 0) exact++;
    else if (values.failures) {
      await mkdir(values.failures, { recursive: true });
      await writeFile(
        join(values.failures, `${name}-${i}-${item.text.replace('\n', '_')}-read-${result.text.replace(/\n/g, '_') || 'nothing'}.png`),
        await item.png(),
      );
    }
    if (values.baseline) {
      const read = await tesseract(await item.png());
      const baselineDistance = editDistance(read, item.text);
      baselineErrors += baselineDistance;
      if (baselineDistance === 0) baselineExact++;
    }
  }
  const pct = (v: number, digits = 1) => `${(100 * v).toFixed(digits).padStart(5)} %`;
  report[name] = { images: count, exact: exact / count, cer: errors / characters, msMean: ms / count };
  if (values.baseline) report[name].tesseract = { exact: baselineExact / count, cer: baselineErrors / characters };
  if (!values.json) {
    console.log(
      `${name.padEnd(10)} exact ${pct(exact / count)}  CER ${pct(errors / characters, 2)}  ${(ms / count).toFixed(1)} ms/input` +
        (values.baseline ? `  | tesseract exact ${pct(baselineExact / count)}  CER ${pct(baselineErrors / characters, 2)}` : '') +
        `  (${count} inputs, MNIST ${source} digits)`,
    );
  }
}
await rm(scratch, { recursive: true, force: true });
if (values.json) console.log(JSON.stringify({ digits: source, seed, report }));
