/**
 * npm run recognize -- [--json] FILE...              read numbers from image files
 * npm run recognize -- [--json] --strokes FILE.json  read stroke sets: [{id, width, height, strokes}]
 * With --json, one JSON object per input per line. A bad input gives an error object and the rest
 * still run; the exit code is 1 if any input failed.
 */
import { readFile } from 'node:fs/promises';
import { parseCli } from '../cli-args.js';
import { DigitClassifier, DEFAULT_MODEL_DIR, DEFAULT_PEN_MODEL_DIR } from './classifier.js';
import { RecognitionError } from './errors.js';
import { recognizeImage, type RecognitionResult } from './recognize.js';
import { parseStrokeSet, recognizeStrokes } from './strokes.js';

const USAGE = `Usage: npm run recognize -- [--json] [--model DIR] FILE...
       npm run recognize -- [--json] [--pen-model DIR] --strokes FILE.json
  --json      one JSON object per input per line: {file|id, text, digits: [{digit, confidence, box, alternatives, uncertain}], ms}
  --strokes   FILE.json holds a JSON array of {id, width, height, strokes: [[[x, y, tMs], ...], ...]}
  --model     model folder for images (default ${DEFAULT_MODEL_DIR})
  --pen-model model folder for strokes (default ${DEFAULT_PEN_MODEL_DIR})`;

const { values, positionals } = parseCli(
  {
    json: { type: 'boolean' },
    strokes: { type: 'string' },
    model: { type: 'string' },
    'pen-model': { type: 'string' },
  },
  USAGE,
);
if (positionals.length === 0 && !values.strokes) {
  console.log(USAGE);
  process.exit(2);
}

let failures = 0;

function report(source: Record<string, string>, outcome: { result: RecognitionResult; ms: number } | { error: unknown }): void {
  if ('error' in outcome) {
    failures++;
    const { error } = outcome;
    const code = error instanceof RecognitionError ? error.code : ((error as NodeJS.ErrnoException).code ?? 'error');
    const message = (error as Error).message ?? String(error);
    if (values.json) console.log(JSON.stringify({ ...source, error: { code, message } }));
    else console.error(`${Object.values(source)[0]}: error (${code}): ${message}`);
    return;
  }
  const { result, ms } = outcome;
  const digits = result.digits.map(({ digit, confidence, box, alternatives, uncertain }) => ({ digit, confidence, box, alternatives, uncertain }));
  if (values.json) {
    console.log(JSON.stringify({ ...source, text: result.text, digits, ms: Math.round(ms * 10) / 10 }));
  } else {
    const uncertain = digits.filter((d) => d.uncertain).length;
    console.log(
      `${Object.values(source)[0]}: ${result.text.replace(/\n/g, ' / ') || '(no digits)'}  ` +
        `[${digits.length} digits${uncertain ? `, ${uncertain} uncertain` : ''}, ${ms.toFixed(0)} ms]`,
    );
  }
}

async function timed(work: () => Promise<RecognitionResult> | RecognitionResult) {
  const start = performance.now();
  try {
    const result = await work();
    return { result, ms: performance.now() - start };
  } catch (error) {
    return { error };
  }
}

/** A model that cannot be read ends the run with one line saying which folder, not a stack from deep in a loader. */
async function loadModel(dir: string): Promise<DigitClassifier> {
  try {
    return await DigitClassifier.load(dir);
  } catch (error) {
    console.error(
      `cannot load the model in ${dir}: ${(error as Error).message ?? String(error)} (run from the project root, or name the folder with --model / --pen-model)`,
    );
    process.exit(2);
  }
}

if (values.strokes) {
  let sets: unknown;
  try {
    sets = JSON.parse(await readFile(values.strokes, 'utf8'));
    if (!Array.isArray(sets)) throw new Error('expected a JSON array of stroke sets');
  } catch (error) {
    report({ file: values.strokes }, { error });
    process.exit(1);
  }
  const penClassifier = await loadModel(values['pen-model'] ?? DEFAULT_PEN_MODEL_DIR);
  for (const [index, set] of (sets as unknown[]).entries()) {
    const id = typeof (set as { id?: unknown })?.id === 'string' ? (set as { id: string }).id : String(index);
    report({ id }, await timed(() => recognizeStrokes(parseStrokeSet(set), penClassifier)));
  }
}
if (positionals.length > 0) {
  const classifier = await loadModel(values.model ?? DEFAULT_MODEL_DIR);
  for (const file of positionals) report({ file }, await timed(async () => recognizeImage(await readFile(file), classifier)));
}
process.exit(failures > 0 ? 1 : 0);
