/**
 * A recognition worker thread: holds its own TensorFlow.js backend, model and opencv-wasm, and
 * runs the pipeline on tasks from the pool, so no decoding, segmentation or inference ever runs on
 * the server's event loop.
 */
import { workerData } from 'node:worker_threads';
import type { BackendChoice } from '../ml/backend.js';
import { DigitClassifier } from './classifier.js';
import type { ImageSource } from './pool.js';
import type { DecodeLimits } from './decode.js';
import { RecognitionError, RecognitionErrorCode } from './errors.js';
import { completeTogether, recognizeImage, type PlannedReading, type ReadingHints, type RecognitionResult } from './recognize.js';
import { warmUp } from './warm-up.js';
import { parseStrokeSet, planStrokes, unpackStrokeSet, type PackedStrokeSet, type StrokeSet } from './strokes.js';

export interface WorkerSettings {
  modelDir: string;
  /** The model that reads pen strokes. */
  penModelDir: string;
  backend?: BackendChoice;
  decodeLimits: Record<ImageSource, DecodeLimits>;
}

export type RecognitionTask =
  | { kind: 'image'; bytes: Uint8Array; source: ImageSource; hints?: ReadingHints }
  | { kind: 'strokes'; sets: (StrokeSet | PackedStrokeSet)[] }
  | { kind: 'ready' };

/** Errors cross the thread boundary as data: an Error's class and code do not survive cloning. */
export type TaskOutcome =
  { ok: true; result: RecognitionResult | null; ms: number; engine?: string } | { ok: false; error: { code: RecognitionErrorCode; message: string } };

/** A stroke task reads several sets (several sessions' canvases) with one call of the network. */
export type TaskResult = TaskOutcome | { ok: true; outcomes: TaskOutcome[]; ms: number };

function failed(error: unknown): TaskOutcome & { ok: false } {
  if (error instanceof RecognitionError) return { ok: false, error: { code: error.code, message: error.message } };
  return { ok: false, error: { code: RecognitionErrorCode.Internal, message: `recognition failed: ${(error as Error)?.message ?? error}` } };
}

const settings = workerData as WorkerSettings;
// The engine's choice (ONNX Runtime, or tfjs and why) is reported by the warm-up task, for the
// server's log; that task also runs the pipeline once (warm-up.ts) before the worker takes work.
const classifier = DigitClassifier.load(settings.modelDir, { backend: settings.backend, log: () => {} });
const penClassifier = DigitClassifier.load(settings.penModelDir, { backend: settings.backend, log: () => {} });

export default async function run(task: RecognitionTask): Promise<TaskResult> {
  try {
    const [reader, penReader] = await Promise.all([classifier, penClassifier]);
    const start = performance.now();
    if (task.kind === 'image')
      return { ok: true, result: await recognizeImage(task.bytes, reader, settings.decodeLimits[task.source], task.hints), ms: performance.now() - start };
    if (task.kind === 'strokes') {
      // Each set is checked on its own (they come from different people); the valid ones share one network call.
      const plans = task.sets.map((set) => {
        try {
          return planStrokes(parseStrokeSet(unpackStrokeSet(set)));
        } catch (error) {
          return failed(error);
        }
      });
      const valid = plans.filter((p): p is PlannedReading => !('ok' in p));
      const results = await completeTogether(valid, penReader);
      const ms = performance.now() - start;
      let next = 0;
      return { ok: true, ms, outcomes: plans.map((p) => ('ok' in p ? p : { ok: true, result: results[next++], ms })) };
    }
    await warmUp(reader, penReader);
    return { ok: true, result: null, ms: performance.now() - start, engine: reader.engine.name };
  } catch (error) {
    return failed(error);
  }
}
