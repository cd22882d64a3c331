/**
 * npm run bench -- [--frames N] [--repeat N] [--model DIR] [--pen-model DIR] [--json]
 * Per-frame latency of the recognition pipeline on this machine: an 800x300 canvas of pen strokes
 * (every frame new, and live: one stroke more each frame), the same canvas as a PNG, a 640x480
 * JPEG photo, alone and as a camera's next frame of the same scene (the writing's height known
 * from the frame before), read as a server's worker reads them once its warm-up has run (warm-up.ts;
 * a cold worker's first frames cost two to three times as much); the JavaScript heap each reading
 * allocates (its garbage, which sets how often a worker collects); and the classifier's digits per
 * second. A benchmark: it reports, it asserts nothing. --repeat N reads the images in N passes and keeps
 * each one's least time: on a shared virtual machine a frame's time is its cost plus, now and then, tens
 * of milliseconds of the host's, and the least of a few readings leaves out most of the latter.
 */
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import sharp from 'sharp';
import { parseCli, positiveInteger } from '../../server/cli-args.js';
import { loadEngine, type EngineChoice } from '../../server/ml/engine.js';
import { measureThroughput, type Throughput } from '../../training/evaluation.js';
import { loadMnist } from '../../training/mnist.js';
import { seededRandom } from '../../training/random.js';
import { DigitClassifier, DEFAULT_MODEL_DIR, DEFAULT_PEN_MODEL_DIR } from '../../server/recognition/classifier.js';
import { recognizeImage } from '../../server/recognition/recognize.js';
import { recognizeStrokes, type StrokeSet } from '../../server/recognition/strokes.js';
import { rasterizeStrokes } from '../../server/recognition/pen/raster.js';
import { warmUp } from '../../server/recognition/warm-up.js';
import { asCameraFrame, composeNumber, SETS } from '../../training/compose.js';
import { writeNumber } from './strokes-from-mnist.js';

const USAGE = 'Usage: npm run bench -- [--frames N] [--repeat N] [--model DIR] [--pen-model DIR] [--engine onnx|tfjs] [--json]';
const { values } = parseCli(
  {
    frames: { type: 'string' },
    repeat: { type: 'string' },
    model: { type: 'string' },
    'pen-model': { type: 'string' },
    engine: { type: 'string' },
    json: { type: 'boolean' },
  },
  USAGE,
);
const frames = positiveInteger(values.frames, 'frames', 100);
const repeat = positiveInteger(values.repeat, 'repeat', 1);
const modelDir = values.model ?? DEFAULT_MODEL_DIR;
const penModelDir = values['pen-model'] ?? DEFAULT_PEN_MODEL_DIR;
const engineChoice = values.engine as EngineChoice | undefined;
const newClassifier = async (dir: string, cacheSize?: number) => new DigitClassifier(await loadEngine(dir, { engine: engineChoice, log: () => {} }), cacheSize);
const digits = await loadMnist('test');
const random = seededRandom(7);

function summary(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { frames: times.length, p50: at(0.5), p95: at(0.95), mean: times.reduce((a, b) => a + b, 0) / times.length };
}

async function time(work: () => unknown): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/**
 * Each item's least time over `repeat` passes through them all (see --repeat): passes, not readings
 * back to back, because the host's busy spells last seconds and would cover every reading of a frame.
 */
async function leastTimes<T>(items: T[], work: (item: T, index: number) => unknown): Promise<number[]> {
  const least = items.map(() => Infinity);
  for (let pass = 0; pass < repeat; pass++)
    for (const [index, item] of items.entries()) least[index] = Math.min(least[index], await time(() => work(item, index)));
  return least;
}

/** A person's canvas: 800x300 with a 4 to 8 digit number, digits 90 to 150 px tall. */
const canvases: StrokeSet[] = Array.from(
  { length: frames },
  () => writeNumber(digits, random, { length: 4 + Math.floor(random() * 5), width: 800, height: 300, digitHeight: 90 + random() * 60 }).set,
);

// Every frame a new number and no cache: the cost of reading a canvas from scratch.
const cold = await newClassifier(penModelDir, 0);
await recognizeStrokes(canvases[0], cold);
const strokesCold: number[] = [];
for (const set of canvases) strokesCold.push(await time(() => recognizeStrokes(set, cold)));

// Live: the same canvases written stroke by stroke, read after every stroke, as the server does.
const live = await newClassifier(penModelDir);
const strokesLive: number[] = [];
for (const set of canvases.slice(0, Math.max(1, Math.round(frames / 5)))) {
  for (let n = 1; n <= set.strokes.length; n++) {
    const partial = { ...set, strokes: set.strokes.slice(0, n) };
    strokesLive.push(await time(() => recognizeStrokes(partial, live)));
  }
}

// Pixels, as camera frames and uploads are read: with the image model, no cache, after the
// warm-up a server's worker runs before it takes work (see warm-up.ts).
const imageCold = await newClassifier(modelDir, 0);
await warmUp(imageCold, cold);
const canvasPngs = await Promise.all(
  canvases.map((set) => {
    const { ink } = rasterizeStrokes(set);
    return sharp(
      Uint8Array.from(ink.intensity, (v) => 255 - v),
      { raw: { width: ink.width, height: ink.height, channels: 1 } },
    )
      .resize({ width: 800, height: 300, fit: 'contain', background: '#ffffff' })
      .png()
      .toBuffer();
  }),
);
const canvasImage = await leastTimes(canvasPngs, (png) => recognizeImage(png, imageCold));

const photos: Buffer[] = [];
for (let i = 0; i < frames; i++) {
  photos.push((await asCameraFrame(await composeNumber(digits, random, SETS.photo))).jpeg);
}
const writingHeights: number[] = [];
const photo = await leastTimes(photos, async (jpeg, i) => {
  writingHeights[i] = (await recognizeImage(jpeg, imageCold)).writingHeight ?? 0;
});
// The same photos as a camera's next frame of an unchanged scene: the frame before told the writing's height.
const photoNextFrame = await leastTimes(photos, (jpeg, i) => recognizeImage(jpeg, imageCold, undefined, { writingHeight: writingHeights[i] }));

/**
 * Bytes of JavaScript heap that `work` allocates per input, dead or alive by the end: V8's sampling
 * heap profiler, keeping the samples of objects collected since (an estimate, from a sample every
 * 4 KiB on average).
 */
async function heapAllocatedPerInput<T>(items: T[], work: (item: T) => Promise<unknown>): Promise<number> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    for (const item of items) await work(item);
    const { profile } = await session.post('HeapProfiler.stopSampling');
    let bytes = 0;
    const pending = [profile.head];
    while (pending.length > 0) {
      const node = pending.pop()!;
      bytes += node.selfSize;
      pending.push(...node.children);
    }
    return bytes / items.length;
  } finally {
    session.disconnect();
  }
}
const garbage = {
  canvasStrokesNewFrameMB: (await heapAllocatedPerInput(canvases, (set) => recognizeStrokes(set, cold))) / 1e6,
  photoJpeg640x480MB: (await heapAllocatedPerInput(photos, (jpeg) => recognizeImage(jpeg, imageCold))) / 1e6,
};

const inputs = new Float32Array(2048 * 784);
for (let i = 0; i < 2048; i++) for (let j = 0; j < 784; j++) inputs[i * 784 + j] = digits.images.pixels[i * 784 + j] / 255;
// The classifier's speed on each engine that can run here, and ONNX Runtime on two threads.
const engines: Record<string, Throughput> = {};
for (const [label, options] of [
  ['tfjs', { engine: 'tfjs' }],
  ['onnx, 1 thread', { engine: 'onnx', threads: 1 }],
  ['onnx, 2 threads', { engine: 'onnx', threads: 2 }],
] as const) {
  const engine = await loadEngine(modelDir, { ...options, log: () => {} }).catch(() => null);
  if (!engine) continue;
  engines[`${label}: ${engine.name}`] = await measureThroughput((x) => engine.predict(x), inputs);
  await engine.dispose();
}

const results = {
  machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, pipeline engine ${cold.engine.name}`,
  imageReadingsPerFrame: repeat,
  canvasStrokesNewFrame: summary(strokesCold),
  canvasStrokesLivePerStroke: summary(strokesLive),
  canvasPng800x300: summary(canvasImage),
  photoJpeg640x480: summary(photo),
  photoJpeg640x480NextCameraFrame: summary(photoNextFrame),
  javascriptHeapAllocatedPerReading: garbage,
  digitsPerSecond: Object.fromEntries(
    Object.entries(engines).map(([name, t]) => [name, { batch64: t.batchDigitsPerSecond, single: t.singleDigitsPerSecond, singleMsP50: t.singleMsP50 }]),
  ),
};
if (values.json) {
  console.log(JSON.stringify(results));
} else {
  console.log(results.machine + (repeat > 1 ? `; images: the least of ${repeat} readings of each` : ''));
  const row = (name: string, s: ReturnType<typeof summary>) =>
    console.log(
      `${name.padEnd(44)} p50 ${s.p50.toFixed(1).padStart(6)} ms  p95 ${s.p95.toFixed(1).padStart(6)} ms  mean ${s.mean.toFixed(1).padStart(6)} ms  (${s.frames} frames)`,
    );
  row('800x300 canvas, strokes, every frame new', results.canvasStrokesNewFrame);
  row('800x300 canvas, strokes, live (+1 stroke)', results.canvasStrokesLivePerStroke);
  row('800x300 canvas as PNG (decode included)', results.canvasPng800x300);
  row('640x480 photo as JPEG (decode included)', results.photoJpeg640x480);
  row("640x480 photo, a camera's next frame", results.photoJpeg640x480NextCameraFrame);
  console.log(
    `JavaScript heap allocated per reading: canvas strokes ${garbage.canvasStrokesNewFrameMB.toFixed(2)} MB, 640x480 photo ${garbage.photoJpeg640x480MB.toFixed(2)} MB`,
  );
  for (const [name, t] of Object.entries(engines)) {
    console.log(
      `classifier, ${name}: ${t.batchDigitsPerSecond.toFixed(0)} digits/s in batches of 64, ${t.singleDigitsPerSecond.toFixed(0)} digits/s one at a time`,
    );
  }
}
