/**
 * A recognition worker thread: holds its own TensorFlow.js backend, model and opencv-wasm, and
 * runs the pipeline on tasks from the pool, so no decoding, segmentation or inference ever runs on
 * the server's event loop.
 */
import { workerData } from 'node:worker_threads';
import { initBackend, type BackendChoice } from '../ml/backend.js';
import { DigitClassifier } from './classifier.js';
import type { DecodeLimits } from './decode.js';
import { RecognitionError, RecognitionErrorCode } from './errors.js';
import { recognizeImage, type RecognitionResult } from './recognize.js';
import { parseStrokeSet, recognizeStrokes, type StrokeSet } from './strokes.js';

export interface WorkerSettings {
  modelDir: string;
  backend?: BackendChoice;
  decodeLimits: DecodeLimits;
}

export type RecognitionTask =
  | { kind: 'image'; bytes: Uint8Array }
  | { kind: 'strokes'; set: StrokeSet }
  | { kind: 'ready' };

/** Errors cross the thread boundary as data: an Error's class and code do not survive cloning. */
export type TaskOutcome =
  | { ok: true; result: RecognitionResult | null; ms: number }
  | { ok: false; error: { code: RecognitionErrorCode; message: string } };

const settings = workerData as WorkerSettings;
const classifier = initBackend(settings.backend, () => {}).then(() => DigitClassifier.load(settings.modelDir));

export default async function run(task: RecognitionTask): Promise<TaskOutcome> {
  try {
    const reader = await classifier;
    const start = performance.now();
    let result: RecognitionResult | null = null;
    if (task.kind === 'image') result = await recognizeImage(task.bytes, reader, settings.decodeLimits);
    else if (task.kind === 'strokes') result = recognizeStrokes(parseStrokeSet(task.set), reader);
    return { ok: true, result, ms: performance.now() - start };
  } catch (error) {
    if (error instanceof RecognitionError) return { ok: false, error: { code: error.code, message: error.message } };
    return { ok: false, error: { code: RecognitionErrorCode.Internal, message: `recognition failed: ${(error as Error)?.message ?? error}` } };
  }
}
