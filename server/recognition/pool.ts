/**
 * Recognition worker threads (piscina) in two lanes. The image lane (one thread per core by
 * default) reads camera frames and uploads, with a bounded queue: when it is full a frame or file
 * is refused at once as `busy` instead of waiting without limit. The pen lane (one thread by
 * default) reads only pen strokes, which are small and latency-critical, so a pen reading never
 * waits behind image work; pen readings also use an image worker that has nothing to do.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { DEFAULT_MODEL_DIR, DEFAULT_PEN_MODEL_DIR } from './classifier.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './decode.js';
import { RecognitionError, RecognitionErrorCode } from './errors.js';
import type { ReadingHints, RecognitionResult } from './recognize.js';
import type { PackedStrokeSet, StrokeSet } from './strokes.js';
import type { RecognitionTask, TaskOutcome, TaskResult, WorkerSettings } from './worker.js';
import type { BackendChoice } from '../ml/backend.js';

/** Where an image comes from: each has its own decode limits (a camera frame is small). */
export type ImageSource = 'upload' | 'camera';

export interface RecognitionPoolOptions {
  /** Image-lane worker threads; default: one per core. */
  threads: number;
  /** Pen-lane worker threads; 0 puts pen readings on the image workers. */
  penThreads: number;
  /** Image tasks that may wait for a worker, and stroke sets that may wait; more are refused as `busy`. */
  maxQueue: number;
  modelDir: string;
  /** The model that reads pen strokes. */
  penModelDir: string;
  backend?: BackendChoice;
  decodeLimits: Record<ImageSource, DecodeLimits>;
}

export const DEFAULT_POOL_OPTIONS: RecognitionPoolOptions = {
  threads: availableParallelism(),
  penThreads: 1,
  maxQueue: 64,
  modelDir: DEFAULT_MODEL_DIR,
  penModelDir: DEFAULT_PEN_MODEL_DIR,
  decodeLimits: { upload: DEFAULT_DECODE_LIMITS, camera: DEFAULT_DECODE_LIMITS },
};

export interface TimedResult {
  result: RecognitionResult;
  /** Time the worker spent, without queueing. */
  ms: number;
}

/**
 * Stroke sets read together in one task at most: enough to share one network call, few enough
 * (about 3 ms each) that a stroke end arriving meanwhile does not wait long for the next worker.
 */
const MAX_STROKE_BATCH = 8;

/** `urgent`: a change the person waits to see read (stroke end, undo, clear); `live`: ink still being drawn. */
export type StrokePriority = 'urgent' | 'live';

interface WaitingStrokes {
  set: StrokeSet | PackedStrokeSet;
  resolve: (result: TimedResult) => void;
  reject: (error: unknown) => void;
}

/** One piscina and the tasks handed to it and not yet answered (running or in its queue). */
interface Lane {
  piscina: Piscina;
  threads: number;
  inFlight: number;
}

/**
 * A worker's young generation (where V8 puts new objects), in MiB: about three semi-spaces. Left
 * to itself it grows under load, and V8's memory reducer, whose watchdog fires 100 s after the
 * last full collection whatever the load, shrinks it again in every worker at once; regrowing
 * took two minutes, a drop and climb of about 56 MiB in the server's memory (`npm run soak`, every
 * run). A photo makes about 2.5 MB of garbage, so this still holds a few frames' worth, and the
 * bench showed no cost (README, "Limits and security").
 */
const WORKER_YOUNG_GENERATION_MB = 12;

function startLane(threads: number, maxQueue: number, workerData: WorkerSettings): Lane {
  const filename = new URL(`./worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href;
  const piscina = new Piscina({
    filename,
    workerData,
    minThreads: threads,
    maxThreads: threads,
    maxQueue,
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    // A TypeScript worker needs tsx's loader: present in execArgv under the tsx CLI, absent
    // where TypeScript is compiled on the fly otherwise (Vitest).
    execArgv: filename.endsWith('.ts') && !process.execArgv.some((a) => a.includes('tsx')) ? [...process.execArgv, '--import', 'tsx'] : process.execArgv,
  });
  return { piscina, threads, inFlight: 0 };
}

export class RecognitionPool {
  private readonly image: Lane;
  private readonly pen: Lane | null;
  private readonly maxQueue: number;
  /** Stroke sets waiting while every worker they may use is busy; sent as one batch when one frees up. */
  private readonly waitingStrokes: Record<StrokePriority, WaitingStrokes[]> = { urgent: [], live: [] };
  /** Stroke sets read, tasks that read them, and those tasks run by an idle image worker, for metrics and tests. */
  readonly strokeStats = { sets: 0, tasks: 0, onImageLane: 0 };
  /** Time workers spent on tasks, summed over workers: against threads x wall time, how busy they are. */
  busySeconds = 0;
  /** What runs the network in the workers ("onnxruntime … (cpu, 1 thread)", or tfjs), as the first worker reported it. */
  engine = 'unknown';

  private constructor(options: RecognitionPoolOptions) {
    this.maxQueue = options.maxQueue;
    const workerData: WorkerSettings = {
      modelDir: options.modelDir,
      penModelDir: options.penModelDir,
      backend: options.backend,
      decodeLimits: options.decodeLimits,
    };
    this.image = startLane(options.threads, options.maxQueue, workerData);
    this.pen = options.penThreads > 0 ? startLane(options.penThreads, options.maxQueue, workerData) : null;
  }

  /** Starts the workers and waits until each has loaded its backend and model. */
  static async start(options: Partial<RecognitionPoolOptions> = {}): Promise<RecognitionPool> {
    const merged = { ...DEFAULT_POOL_OPTIONS, ...options };
    const pool = new RecognitionPool(merged);
    const lanes = [pool.image, ...(pool.pen ? [pool.pen] : [])];
    const warmups = lanes.flatMap((lane) => Array.from({ length: lane.threads }, () => pool.submit(lane, { kind: 'ready' })));
    try {
      const [first] = await Promise.all(warmups);
      pool.engine = ('engine' in first && first.engine) || pool.engine;
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Image-lane worker threads. */
  get threads(): number {
    return this.image.piscina.threads.length;
  }

  /** Pen-lane worker threads. */
  get penThreads(): number {
    return this.pen?.piscina.threads.length ?? 0;
  }

  /** Tasks and stroke sets waiting for a worker right now. */
  get queued(): number {
    return this.image.piscina.queueSize + (this.pen?.piscina.queueSize ?? 0) + this.waitingStrokes.urgent.length + this.waitingStrokes.live.length;
  }

  private async submit(lane: Lane, task: RecognitionTask, transfer?: ArrayBuffer[]): Promise<TaskResult & { ok: true }> {
    let outcome: TaskResult;
    lane.inFlight++;
    try {
      outcome = (await lane.piscina.run(task, { transferList: transfer })) as TaskResult;
    } catch (error) {
      const message = (error as Error)?.message ?? String(error);
      if (/queue is at limit/i.test(message)) {
        throw new RecognitionError(RecognitionErrorCode.Busy, 'every recognition worker is busy; try again shortly', { cause: error });
      }
      throw new RecognitionError(RecognitionErrorCode.Internal, `recognition worker failed: ${message}`, { cause: error });
    } finally {
      lane.inFlight--;
      this.sendWaitingStrokes();
    }
    if ('ms' in outcome) this.busySeconds += outcome.ms / 1000;
    if (!outcome.ok) throw new RecognitionError(outcome.error.code, outcome.error.message);
    return outcome;
  }

  /**
   * Reads an image's bytes in an image worker, under the decode limits of its source. The bytes
   * are moved to the worker, not copied. `hints`: what a camera's previous frame said (see ReadingHints).
   */
  async recognizeImage(bytes: Uint8Array, source: ImageSource = 'upload', hints?: ReadingHints): Promise<TimedResult> {
    const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
    const outcome = await this.submit(this.image, { kind: 'image', bytes: owned, source, ...(hints ? { hints } : {}) }, [owned.buffer as ArrayBuffer]);
    return { result: (outcome as TaskOutcome & { ok: true }).result!, ms: outcome.ms };
  }

  /** The lane a stroke batch can start on at once: the pen lane, else an image worker with nothing to do. */
  private freeStrokeLane(): Lane | null {
    if (this.pen && this.pen.inFlight < this.pen.threads) return this.pen;
    if (this.image.inFlight < this.image.threads) return this.image;
    return null;
  }

  /**
   * Reads a stroke set. While every worker it may use is busy, `urgent` sets (the canvas after a
   * stroke end, undo or clear: what the person waits for) from all sessions wait together and go
   * to the next free worker as one task, whose network call classifies all their digits at once.
   * A `live` set (ink still being drawn) is read only by a worker with nothing else to do, else
   * refused as busy: its session reads again a moment later, and a saturated server spends its
   * workers on what people wait for.
   */
  recognizeStrokes(set: StrokeSet | PackedStrokeSet, priority: StrokePriority = 'urgent'): Promise<TimedResult> {
    return new Promise((resolve, reject) => {
      const waiting = this.waitingStrokes.urgent.length + this.waitingStrokes.live.length;
      if (priority === 'live' ? waiting > 0 || !this.freeStrokeLane() : waiting >= this.maxQueue) {
        reject(new RecognitionError(RecognitionErrorCode.Busy, 'every recognition worker is busy; try again shortly'));
        return;
      }
      this.waitingStrokes[priority].push({ set, resolve, reject });
      this.sendWaitingStrokes();
    });
  }

  private sendWaitingStrokes(): void {
    const { urgent, live } = this.waitingStrokes;
    for (let lane = this.freeStrokeLane(); lane && urgent.length + live.length > 0; lane = this.freeStrokeLane()) {
      const batch = urgent.splice(0, MAX_STROKE_BATCH);
      batch.push(...live.splice(0, MAX_STROKE_BATCH - batch.length));
      this.strokeStats.tasks++;
      this.strokeStats.sets += batch.length;
      if (lane === this.image) this.strokeStats.onImageLane++;
      this.submit(lane, { kind: 'strokes', sets: batch.map((w) => w.set) }).then(
        (outcome) => {
          const { outcomes } = outcome as { outcomes: TaskOutcome[] };
          batch.forEach((waiting, i) => {
            const own = outcomes[i];
            if (own.ok) waiting.resolve({ result: own.result!, ms: own.ms });
            else waiting.reject(new RecognitionError(own.error.code, own.error.message));
          });
        },
        (error: unknown) => batch.forEach((waiting) => waiting.reject(error)),
      );
    }
  }

  /** Finishes the tasks in flight and stops the workers. */
  async close(): Promise<void> {
    await Promise.all([this.image.piscina.close(), this.pen?.piscina.close()]);
  }
}
