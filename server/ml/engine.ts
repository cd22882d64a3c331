/**
 * The network that reads digits, behind one interface: normalised 28x28 inputs in, class
 * probabilities out. Serving runs the model exported to ONNX (model.onnx beside the tfjs model)
 * in ONNX Runtime, about ten times faster on a CPU than TensorFlow.js on its wasm backend, which
 * stays for training and as the fallback when there is no model.onnx or ONNX Runtime does not load.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend, type BackendChoice } from './backend.js';
import { loadModel, ONNX_FILE, ONNX_INPUT, ONNX_OUTPUT } from './model-files.js';
import { outputClasses, predictProbabilities } from './model.js';
import { MODEL_INPUT_SIZE } from './normalize.js';

export const ENGINE_ENV = 'DIGIT_STREAM_ENGINE';
export const ONNX_THREADS_ENV = 'DIGIT_STREAM_ONNX_THREADS';
export type EngineChoice = 'onnx' | 'tfjs';

export interface DigitEngine {
  /** What runs the network, for logs: "onnxruntime (1 thread)", "tfjs (wasm)". */
  readonly name: string;
  /** Outputs per input: ten digits, and "not one digit" for models with a reject class. */
  readonly classes: number;
  /** Probabilities for `inputs` ([n*784] normalised values): n rows of `classes`. */
  predict(inputs: Float32Array): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export interface EngineOptions {
  /** Default: DIGIT_STREAM_ENGINE, else ONNX Runtime when model.onnx is there and loads, else tfjs. */
  engine?: EngineChoice;
  /** ONNX Runtime intra-op threads per engine (default DIGIT_STREAM_ONNX_THREADS, else 1: one worker per core). */
  threads?: number;
  /** The tfjs backend, when tfjs runs. */
  backend?: BackendChoice;
  log?: (line: string) => void;
}

/** Inputs per run: enough to fill the CPU's vector units, few enough to bound the memory of one run. */
const MAX_BATCH = 256;
const INPUT_VALUES = MODEL_INPUT_SIZE * MODEL_INPUT_SIZE;
/** The model's input: a batch of normalised digits, channels last as in training. */
const inputShape = (count: number) => [count, MODEL_INPUT_SIZE, MODEL_INPUT_SIZE, 1];

type Ort = typeof import('onnxruntime-node');

class OnnxEngine implements DigitEngine {
  private constructor(
    private readonly ort: Ort,
    private readonly session: import('onnxruntime-node').InferenceSession,
    readonly classes: number,
    readonly name: string,
  ) {}

  static async load(dir: string, threads: number): Promise<OnnxEngine> {
    // Imported when used: a machine where its native library does not load still serves with tfjs.
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(join(dir, ONNX_FILE), {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    const probe = await session.run({ [ONNX_INPUT]: new ort.Tensor('float32', new Float32Array(INPUT_VALUES), inputShape(1)) });
    const classes = probe[ONNX_OUTPUT].dims[1];
    return new OnnxEngine(ort, session, classes, `onnxruntime ${ort.env.versions.node} (cpu, ${threads} thread${threads === 1 ? '' : 's'})`);
  }

  async predict(inputs: Float32Array): Promise<Float32Array> {
    const count = inputs.length / INPUT_VALUES;
    const out = new Float32Array(count * this.classes);
    for (let start = 0; start < count; start += MAX_BATCH) {
      const size = Math.min(MAX_BATCH, count - start);
      const batch = inputs.subarray(start * INPUT_VALUES, (start + size) * INPUT_VALUES);
      const result = await this.session.run({ [ONNX_INPUT]: new this.ort.Tensor('float32', batch, inputShape(size)) });
      out.set(result[ONNX_OUTPUT].data as Float32Array, start * this.classes);
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

class TfjsEngine implements DigitEngine {
  private constructor(
    private readonly model: import('@tensorflow/tfjs').LayersModel,
    readonly name: string,
  ) {}

  /** `instead`: why ONNX Runtime is not used, when it was wanted; it becomes part of the name, for the logs. */
  static async load(dir: string, backend: BackendChoice | undefined, log: (line: string) => void, instead?: string): Promise<TfjsEngine> {
    const info = await initBackend(backend, log);
    return new TfjsEngine(await loadModel(dir), `tfjs (${info.name})${instead ? `, not ONNX Runtime: ${instead}` : ''}`);
  }

  get classes(): number {
    return outputClasses(this.model);
  }

  async predict(inputs: Float32Array): Promise<Float32Array> {
    return predictProbabilities(this.model, inputs);
  }

  async dispose(): Promise<void> {
    this.model.dispose();
  }
}

function threadsFromEnvironment(): number {
  const raw = process.env[ONNX_THREADS_ENV];
  if (raw === undefined || raw === '') return 1;
  const threads = Number(raw);
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`${ONNX_THREADS_ENV}=${raw}: expected a whole number of threads`);
  return threads;
}

/** The engine for the model in `dir`; the reason is logged when ONNX Runtime is not the one. */
export async function loadEngine(dir: string, options: EngineOptions = {}): Promise<DigitEngine> {
  const log = options.log ?? ((line: string) => console.error(line));
  const requested = options.engine ?? (process.env[ENGINE_ENV] as EngineChoice | undefined);
  if (requested !== undefined && requested !== 'onnx' && requested !== 'tfjs') throw new Error(`${ENGINE_ENV}=${requested}: expected onnx or tfjs`);
  let instead: string | undefined;
  if (requested !== 'tfjs') {
    try {
      await access(join(dir, ONNX_FILE));
      return await OnnxEngine.load(dir, options.threads ?? threadsFromEnvironment());
    } catch (error) {
      if (requested === 'onnx') throw error;
      instead = `${(error as Error).message.split('\n')[0]} (npm run export writes ${ONNX_FILE})`;
      log(`inference: tfjs, not ONNX Runtime: ${instead}`);
    }
  }
  return TfjsEngine.load(dir, options.backend, log, instead);
}
