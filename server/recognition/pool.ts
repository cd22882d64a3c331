/**
 * A pool of recognition worker threads (piscina), sized to the machine's cores, with a bounded
 * queue: when every worker is busy and the queue is full, a task is refused at once with a `busy`
 * error instead of waiting without limit.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { DEFAULT_MODEL_DIR } from './classifier.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './decode.js';
import { RecognitionError, RecognitionErrorCode } from './errors.js';
import type { RecognitionResult } from './recognize.js';
import type { StrokeSet } from './strokes.js';
import type { RecognitionTask, TaskOutcome, TaskResult, WorkerSettings } from './worker.js';
import type { BackendChoice } from '../ml/backend.js';

export interface RecognitionPoolOptions {
  /** Worker threads; default: one per core. */
  threads: number;
  /** Tasks that may wait for a worker; more are refused as `busy`. */
  maxQueue: number;
  modelDir: string;
  backend?: BackendChoice;
  decodeLimits: DecodeLimits;
}

export const DEFAULT_POOL_OPTIONS: RecognitionPoolOptions = {
  threads: availableParallelism(),
  maxQueue: 64,
  modelDir: DEFAULT_MODEL_DIR,
  decodeLimits: DEFAULT_DECODE_LIMITS,
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
  set: StrokeSet;
  resolve: (result: TimedResult) => void;
  reject: (error: unknown) => void;
}

export class RecognitionPool {
  private readonly piscina: Piscina;
  private readonly maxQueue: number;
  /** Tasks handed to workers and not yet answered. */
  private inFlight = 0;
  /** Stroke sets waiting while every worker is busy; sent as one batch when one frees up. */
  private readonly waitingStrokes: Record<StrokePriority, WaitingStrokes[]> = { urgent: [], live: [] };
  /** Stroke sets read and tasks that read them, for metrics and tests. */
  readonly strokeStats = { sets: 0, tasks: 0 };
  /** Time workers spent on tasks, summed over workers: against threads x wall time, how busy they are. */
  busySeconds = 0;

  private constructor(options: RecognitionPoolOptions) {
    this.maxQueue = options.maxQueue;
    const workerData: WorkerSettings = { modelDir: options.modelDir, backend: options.backend, decodeLimits: options.decodeLimits };
    const filename = new URL(`./worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href;
    this.piscina = new Piscina({
      filename,
      workerData,
      minThreads: options.threads,
      maxThreads: options.threads,
      maxQueue: options.maxQueue,
      // A TypeScript worker needs tsx's loader: present in execArgv under the tsx CLI, absent
      // where TypeScript is compiled on the fly otherwise (Vitest).
      execArgv: filename.endsWith('.ts') && !process.execArgv.some((a) => a.includes('tsx')) ? [...process.execArgv, '--import', 'tsx'] : process.execArgv,
    });
  }

  /** Starts the workers and waits until each has loaded its backend and model. */
  static async start(options: Partial<RecognitionPoolOptions> = {}): Promise<RecognitionPool> {
    const merged = { ...DEFAULT_POOL_OPTIONS, ...options };
    const pool = new RecognitionPool(merged);
    const warmups = Array.from({ length: merged.threads }, () => pool.submit({ kind: 'ready' }));
    try {
      await Promise.all(warmups);
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get threads(): number {
    return this.piscina.threads.length;
  }

  /** Tasks and stroke sets waiting for a worker right now. */
  get queued(): number {
    return this.piscina.queueSize + this.waitingStrokes.urgent.length + this.waitingStrokes.live.length;
  }

  private async submit(task: RecognitionTask, transfer?: ArrayBuffer[]): Promise<TaskResult & { ok: true }> {
    let outcome: TaskResult;
    this.inFlight++;
    try {
      outcome = (await this.piscina.run(task, { transferList: transfer })) as TaskResult;
    } catch (error) {
      const message = (error as Error)?.message ?? String(error);
      if (/queue is at limit/i.test(message)) {
        throw new RecognitionError(RecognitionErrorCode.Busy, 'every recognition worker is busy; try again shortly', { cause: error });
      }
      throw new RecognitionError(RecognitionErrorCode.Internal, `recognition worker failed: ${message}`, { cause: error });
    } finally {
      this.inFlight--;
      this.sendWaitingStrokes();
    }
    if ('ms' in outcome) this.busySeconds += outcome.ms / 1000;
    if (!outcome.ok) throw new RecognitionError(outcome.error.code, outcome.error.message);
    return outcome;
  }

  /** Reads an image's bytes in a worker. The bytes are moved to the worker, not copied. */
  async recognizeImage(bytes: Uint8Array): Promise<TimedResult> {
    const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
    const outcome = await this.submit({ kind: 'image', bytes: owned }, [owned.buffer as ArrayBuffer]);
    return { result: (outcome as TaskOutcome & { ok: true }).result!, ms: outcome.ms };
  }

  /**
   * Reads a stroke set. While every worker is busy, `urgent` sets (the canvas after a stroke end,
   * undo or clear: what the person waits for) from all sessions wait together and go to the next
   * free worker as one task, whose network call classifies all their digits at once. A `live` set
   * (ink still being drawn) is read only by a worker with nothing else to do, else refused as
   * busy: its session reads again a moment later, and a saturated server spends its workers on
   * what people wait for.
   */
  recognizeStrokes(set: StrokeSet, priority: StrokePriority = 'urgent'): Promise<TimedResult> {
    return new Promise((resolve, reject) => {
      const waiting = this.waitingStrokes.urgent.length + this.waitingStrokes.live.length;
      if (priority === 'live' ? this.inFlight + waiting >= this.threads : waiting >= this.maxQueue) {
        reject(new RecognitionError(RecognitionErrorCode.Busy, 'every recognition worker is busy; try again shortly'));
        return;
      }
      this.waitingStrokes[priority].push({ set, resolve, reject });
      this.sendWaitingStrokes();
    });
  }

  private sendWaitingStrokes(): void {
    const { urgent, live } = this.waitingStrokes;
    while (urgent.length + live.length > 0 && this.inFlight < this.threads) {
      const batch = urgent.splice(0, MAX_STROKE_BATCH);
      batch.push(...live.splice(0, MAX_STROKE_BATCH - batch.length));
      this.strokeStats.tasks++;
      this.strokeStats.sets += batch.length;
      this.submit({ kind: 'strokes', sets: batch.map((w) => w.set) }).then(
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
    await this.piscina.close();
  }
}
