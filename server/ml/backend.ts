/**
 * Picks the TensorFlow.js backend: tfjs-node (native libtensorflow) when it loads, else wasm with
 * our gradient kernels. tfjs-node is an optional dependency because its install downloads
 * libtensorflow, which fails on machines without internet access (and upstream's download has been
 * answering 403 since August 2026, tensorflow/tfjs#8742).
 */
import * as tf from '@tensorflow/tfjs';
import { registerWasmGradientKernels } from './wasm-gradient-kernels.js';

export const BACKEND_ENV = 'DIGIT_STREAM_BACKEND';
export type BackendChoice = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  name: string;
  /** Why a preferred backend was not used, if it was not. */
  fallbackReason?: string;
}

let chosen: Promise<BackendInfo> | undefined;

async function tryNativeBackend(): Promise<string | undefined> {
  try {
    // A variable specifier keeps bundlers and type-checkers from requiring the optional package.
    const nativePackage = '@tensorflow/tfjs-node';
    await import(nativePackage);
    if (await tf.setBackend('tensorflow')) return undefined;
    return 'tfjs-node loaded but its backend did not initialise';
  } catch (error) {
    return `tfjs-node not available (${(error as Error).message.split('\n')[0]})`;
  }
}

async function choose(requested: BackendChoice | undefined, log: (line: string) => void): Promise<BackendInfo> {
  // Production mode: no debug checks, and no console banner urging tfjs-node from the cpu backend.
  tf.enableProdMode();
  let fallbackReason: string | undefined;
  if (requested === undefined || requested === 'tensorflow') {
    fallbackReason = await tryNativeBackend();
    if (!fallbackReason) {
      log('tfjs backend: tensorflow (tfjs-node)');
      return { name: 'tensorflow' };
    }
    if (requested === 'tensorflow') throw new Error(fallbackReason);
  }
  if (requested === 'cpu') {
    await tf.setBackend('cpu');
  } else {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmGradientKernels();
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
  }
  await tf.ready();
  const name = tf.getBackend();
  log(`tfjs backend: ${name}${fallbackReason ? ` (${fallbackReason})` : ''}`);
  return { name, fallbackReason };
}

/**
 * Initialises the backend once per process (or worker thread). `requested` defaults to the
 * DIGIT_STREAM_BACKEND environment variable, then to "tfjs-node if it loads, else wasm".
 */
export function initBackend(
  requested = process.env[BACKEND_ENV] as BackendChoice | undefined,
  log: (line: string) => void = (line) => console.error(line),
): Promise<BackendInfo> {
  if (requested !== undefined && !['tensorflow', 'wasm', 'cpu'].includes(requested)) {
    return Promise.reject(new Error(`${BACKEND_ENV}=${requested}: expected tensorflow, wasm or cpu`));
  }
  chosen ??= choose(requested, log);
  return chosen;
}
