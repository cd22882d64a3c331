/**
 * npm run measure -- [--digits test|validation] [--count N] [--sets clean,touching,...] [--heights 20,60,150,300] [--live | --replay] [--model DIR] [--json] [--failures DIR]
 * Exact-string accuracy and character error rate of the recognition pipeline on synthetic numbers
 * made of MNIST digits (images, and pen strokes), and on the held-out pen sets (pen-sets.ts) and
 * webcam photo sets (photo-sets.ts; photo-blank has nothing to read and counts frames read as a number).
 * Reported figures use MNIST test digits; develop against --digits validation.
 * --live replays the pen sets at pen speed through the WebSocket protocol of a freshly started
 * server, six people at once, and adds flicker (changes to finished digits) and stroke-end latency;
 * --replay reads them stroke by stroke in this process instead, for the same flicker without the clock.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { parseCli, positiveInteger } from '../../server/cli-args.js';
import { loadMnist, splitTrainValidation } from '../../training/mnist.js';
import { seededRandom } from '../../training/random.js';
import { DigitClassifier, DEFAULT_MODEL_DIR, DEFAULT_PEN_MODEL_DIR } from '../../server/recognition/classifier.js';
import { recognizeGray, recognizeImage, type RecognitionResult } from '../../server/recognition/recognize.js';
import { recognizeStrokes } from '../../server/recognition/strokes.js';
import { rasterizeStrokes } from '../../server/recognition/pen/raster.js';
import { composeNumber, encodePng, SETS, type ComposedImage } from '../../training/compose.js';
import { writeNumber } from './strokes-from-mnist.js';
import { fontsAvailable, HELD_OUT_FONT_PACKAGES, PEN_SETS, penSample } from './pen-sets.js';
import { PHOTO_SETS, photoSample } from './photo-sets.js';
import { replayInProcess, replayLive, type LiveOutcome, type WrittenSample } from './live-replay.js';
import { startServerProcess } from './server-process.js';
import { editDistance, separatorScore } from './text-scores.js';

/**
 * Stroke sets as a person writes them on an 800x300 canvas, next to the image sets: the gap
 * between digits, in digit heights (people often write the next digit close, or overlapping).
 */
const STROKE_SETS: Record<string, [number, number]> = {
  strokes: [0.15, 0.45],
  'strokes-close': [0, 0.12],
  'strokes-overlapping': [-0.12, 0],
};
const ALL_SETS = [...Object.keys(SETS), ...Object.keys(STROKE_SETS), ...Object.keys(PEN_SETS), ...Object.keys(PHOTO_SETS)];
const PEN_WRITERS = 6;

const USAGE = `Usage: npm run measure -- [--digits test|validation] [--count N] [--sets NAMES] [--heights H,...] [--live | --replay] [--seed N] [--model DIR] [--pen-model DIR] [--baseline tesseract] [--json] [--failures DIR]
  --digits      MNIST test digits (default; for reported figures) or validation digits carved from train (for development)
  --count N     images per set (default 200)
  --sets        comma-separated, from: ${ALL_SETS.join(', ')} (default all)
  --heights     pen sets only: write every number at each of these digit heights (canvas units) and report each;
                default: heights drawn from 40 to 200
  --live        pen sets only: replay each number at pen speed through the WebSocket protocol (${PEN_WRITERS} writers at once),
                adding flicker per 100 numbers and stroke-end → reading latency
  --replay      pen sets only: read each number stroke by stroke in this process, as a session reads it (half drawn,
                finished, after the pause), adding flicker per 100 numbers: no server or clock, the same on every run
  --model       model folder for the image sets (default ${DEFAULT_MODEL_DIR})
  --pen-model   model folder for the pen and stroke sets (default ${DEFAULT_PEN_MODEL_DIR})
  --baseline    also read every image with Tesseract OCR (digits whitelisted) for comparison
  --failures    write misread images there as PNG, named with truth and reading`;

const { values } = parseCli(
  {
    digits: { type: 'string' },
    count: { type: 'string' },
    sets: { type: 'string' },
    seed: { type: 'string' },
    model: { type: 'string' },
    'pen-model': { type: 'string' },
    json: { type: 'boolean' },
    failures: { type: 'string' },
    baseline: { type: 'string' },
    heights: { type: 'string' },
    live: { type: 'boolean' },
    replay: { type: 'boolean' },
  },
  USAGE,
);
const source = values.digits ?? 'test';
if (source !== 'test' && source !== 'validation') {
  console.error(`--digits must be test or validation\n\n${USAGE}`);
  process.exit(2);
}
const count = positiveInteger(values.count, 'count', 200);
const seed = positiveInteger(values.seed, 'seed', 2026);
const setNames = values.sets ? values.sets.split(',') : ALL_SETS;
const heights = values.heights ? values.heights.split(',').map((h) => positiveInteger(h, 'heights', 60)) : [0];
if (values.live && values.replay) {
  console.error(`--live and --replay are two ways of the same replay: one at a time\n\n${USAGE}`);
  process.exit(2);
}
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
const penClassifier = await DigitClassifier.load(values['pen-model'] ?? DEFAULT_PEN_MODEL_DIR);
const run = promisify(execFile);
const liveServer = values.live
  ? await startServerProcess({
      SESSIONS_PER_ADDRESS_MAX: '100',
      ...(values.model ? { DIGIT_STREAM_MODEL: values.model } : {}),
      ...(values['pen-model'] ? { DIGIT_STREAM_PEN_MODEL: values['pen-model'] } : {}),
    }).then((server) => ({
      ...server,
      wsUrl: `${server.baseUrl.replace(/^http/, 'ws')}/ws`,
    }))
  : undefined;
if (setNames.includes('pen-fonts') && !(await fontsAvailable())) {
  console.error(`pen-fonts needs the held-out handwriting fonts (Debian: apt-get install ${HELD_OUT_FONT_PACKAGES})`);
  process.exit(2);
}
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
  /** Pen writing: what --live replays. */
  written?: WrittenSample;
}

/** Stroke sets drawn dark on white, for Tesseract and for --failures. */
function strokesPng(set: WrittenSample['set']): Promise<Buffer> {
  const { ink } = rasterizeStrokes(set);
  return sharp(
    Uint8Array.from(ink.intensity, (v) => 255 - v),
    { raw: { width: ink.width, height: ink.height, channels: 1 } },
  )
    .png()
    .toBuffer();
}

function imageSample(image: ComposedImage): Sample {
  return {
    text: image.text,
    png: () => encodePng(image),
    recognize: () => recognizeGray({ data: image.gray, width: image.width, height: image.height }, classifier),
  };
}

async function sample(name: string, random: () => number, height: number): Promise<Sample> {
  const pen = PEN_SETS[name];
  if (pen) {
    const written = await penSample(pen, digits, random, height || 40 + random() * 160);
    return { text: written.text, png: () => strokesPng(written.set), recognize: () => recognizeStrokes(written.set, penClassifier), written };
  }
  const photo = PHOTO_SETS[name];
  if (photo) {
    const { text, jpeg } = await photoSample(photo, digits, random);
    return { text, png: () => sharp(jpeg).png().toBuffer(), recognize: () => recognizeImage(jpeg, classifier) };
  }
  const gap = STROKE_SETS[name];
  if (!gap) return imageSample(await composeNumber(digits, random, SETS[name]));
  const written = writeNumber(digits, random, { length: 1 + Math.floor(random() * 10), width: 800, height: 300, digitHeight: 60 + random() * 120, gap });
  return {
    text: written.text,
    png: () => strokesPng(written.set),
    recognize: () => recognizeStrokes(written.set, penClassifier),
    written: { text: written.text, set: written.set, charOfStroke: written.digitOfStroke },
  };
}

/** Replays the samples through a fresh server, PEN_WRITERS at a time; outcomes in sample order. */
async function replayAll(samples: Sample[]): Promise<LiveOutcome[]> {
  const outcomes: LiveOutcome[] = new Array(samples.length);
  let next = 0;
  const writer = async () => {
    for (let i = next++; i < samples.length; i = next++) outcomes[i] = await replayLive(liveServer!.wsUrl, samples[i].written!);
  };
  await Promise.all(Array.from({ length: PEN_WRITERS }, writer));
  return outcomes;
}

interface Score {
  exact: number;
  cer: number;
}
interface SetReport {
  images: number;
  exact: number;
  cer: number;
  msMean: number;
  tesseract?: Score;
  /** Sets with separators: the share of them read in their place, and those read where none was written. */
  separators?: { right: number; spurious: number };
  /** --live: changes to finished digits per 100 numbers, and stroke-end → reading latency. */
  flickerPer100?: number;
  strokeEndMs?: { p50: number; p95: number };
}
const report: Record<string, SetReport> = {};
const pct = (v: number, digits = 1) => `${(100 * v).toFixed(digits).padStart(5)} %`;
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
for (const name of setNames) {
  const isPen = Boolean(PEN_SETS[name] || STROKE_SETS[name]);
  for (const height of PEN_SETS[name] ? heights : [0]) {
    const label = height ? `${name}@${height}px` : name;
    // The same numbers at every height: the seed does not depend on it.
    const random = seededRandom(seed + name.length * 7919 + name.charCodeAt(0));
    const samples: Sample[] = [];
    for (let i = 0; i < count; i++) samples.push(await sample(name, random, height));
    const live = !isPen
      ? undefined
      : values.live
        ? await replayAll(samples)
        : values.replay
          ? await Promise.all(samples.map((sample) => replayInProcess(sample.written!, penClassifier)))
          : undefined;
    let exact = 0,
      errors = 0,
      characters = 0,
      ms = 0,
      baselineExact = 0,
      baselineErrors = 0;
    const separators = { written: 0, right: 0, spurious: 0 };
    for (const [i, item] of samples.entries()) {
      let text: string;
      if (live) {
        text = live[i].text;
      } else {
        const start = performance.now();
        text = (await item.recognize()).text;
        ms += performance.now() - start;
      }
      const distance = editDistance(text, item.text);
      errors += distance;
      const sepScore = separatorScore(text, item.text);
      separators.written += sepScore.written;
      separators.right += sepScore.right;
      separators.spurious += sepScore.spurious;
      characters += item.text.length;
      if (distance === 0) exact++;
      else if (values.failures) {
        await mkdir(values.failures, { recursive: true });
        await writeFile(
          join(values.failures, `${label}-${i}-${item.text.replace(/[\n/]/g, '_')}-read-${text.replace(/[\n/]/g, '_') || 'nothing'}.png`),
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
    const entry: SetReport = { images: count, exact: exact / count, cer: characters === 0 ? errors : errors / characters, msMean: ms / count };
    if (values.baseline) entry.tesseract = { exact: baselineExact / count, cer: baselineErrors / characters };
    if (separators.written > 0) entry.separators = { right: separators.right / separators.written, spurious: separators.spurious };
    if (live) {
      const latencies = live.flatMap((o) => o.latencies).sort((a, b) => a - b);
      entry.flickerPer100 = (100 * live.reduce((sum, o) => sum + o.changes, 0)) / count;
      if (latencies.length > 0) entry.strokeEndMs = { p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95) };
    }
    report[label] = entry;
    if (!values.json) {
      // A set with nothing to read (photo-blank) counts the frames where a number was read at all.
      const score = characters === 0 ? `number read on ${count - exact} of ${count}` : `exact ${pct(entry.exact)}  CER ${pct(entry.cer, 2)}`;
      console.log(
        `${label.padEnd(16)} ${score}` +
          (live
            ? `  flicker ${entry.flickerPer100!.toFixed(1)}/100 numbers` +
              (entry.strokeEndMs ? `  stroke-end p50/p95 ${entry.strokeEndMs.p50.toFixed(1)}/${entry.strokeEndMs.p95.toFixed(1)} ms` : '')
            : `  ${entry.msMean.toFixed(1)} ms/input`) +
          (entry.separators ? `  separators ${pct(entry.separators.right)} right, ${entry.separators.spurious} spurious` : '') +
          (values.baseline ? `  | tesseract exact ${pct(baselineExact / count)}  CER ${pct(baselineErrors / characters, 2)}` : '') +
          `  (${count} inputs, MNIST ${source} digits${PEN_SETS[name]?.fonts ? ' / held-out fonts' : ''})`,
      );
    }
  }
}
await liveServer?.stop();
await rm(scratch, { recursive: true, force: true });
if (values.json) console.log(JSON.stringify({ digits: source, seed, report }));
