/**
 * The digit CNN behind one interface: normalised 28x28 inputs in, digit + confidence + top-3
 * alternatives out, in batches, with a bounded cache so that a digit whose ink did not change (the
 * other digits while a person writes one more, the same paper in the next camera frame) is not run
 * through the network again.
 */
import { loadEngine, type DigitEngine, type EngineOptions } from '../ml/engine.js';
import { DIGIT_CLASSES, REJECT_CLASS } from '../ml/model.js';

export interface Alternative {
  digit: number;
  p: number;
}

export interface DigitPrediction {
  digit: number;
  /** The digit's probability; with a reject class, what "not one digit" takes is missing from it. */
  confidence: number;
  /** Probability that the ink is not one digit (0 for models without a reject class). */
  notDigit: number;
  /** The three most likely digits, best first (the first is `digit`). */
  alternatives: Alternative[];
}

export const MODEL_DIR_ENV = 'DIGIT_STREAM_MODEL';
/** The committed model, unless DIGIT_STREAM_MODEL names another folder. */
export const DEFAULT_MODEL_DIR = process.env[MODEL_DIR_ENV] || 'models/digit-cnn';
export const PEN_MODEL_DIR_ENV = 'DIGIT_STREAM_PEN_MODEL';
/**
 * The committed model for pen ink, unless DIGIT_STREAM_PEN_MODEL names another folder: the same
 * network fine-tuned further on pen-drawn digits and on pairs of them as "not one digit", which
 * reads overlapping writing better but camera and scanned digits a little worse (see the README).
 */
export const DEFAULT_PEN_MODEL_DIR = process.env[PEN_MODEL_DIR_ENV] || 'models/digit-cnn-pen';
const ALTERNATIVES = 3;

/** FNV-1a over the input quantised to bytes, twice with different seeds: a 64-bit key. */
function inputKey(input: Float32Array): string {
  let a = 0x811c9dc5,
    b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < input.length; i++) {
    const byte = Math.round(input[i] * 255);
    a = Math.imul(a ^ byte, 0x01000193);
    b = Math.imul(b ^ byte, 0x01000193) ^ (b >>> 15);
  }
  return `${(a >>> 0).toString(36)}:${(b >>> 0).toString(36)}`;
}

export function toPrediction(probabilities: Float32Array): DigitPrediction {
  const ranked = Array.from(probabilities.subarray(0, DIGIT_CLASSES), (p, digit) => ({ digit, p })).sort((x, y) => y.p - x.p);
  return {
    digit: ranked[0].digit,
    confidence: ranked[0].p,
    notDigit: probabilities[REJECT_CLASS] ?? 0,
    alternatives: ranked.slice(0, ALTERNATIVES).map(({ digit, p }) => ({ digit, p: Math.round(p * 1e4) / 1e4 })),
  };
}

export class DigitClassifier {
  private readonly cache = new Map<string, DigitPrediction>();
  /** Network runs and cache hits since creation, for metrics and tests. */
  readonly stats = { inferred: 0, cached: 0 };

  constructor(
    readonly engine: DigitEngine,
    private readonly cacheSize = 4096,
  ) {}

  static async load(dir = DEFAULT_MODEL_DIR, options: EngineOptions & { cacheSize?: number } = {}): Promise<DigitClassifier> {
    return new DigitClassifier(await loadEngine(dir, options), options.cacheSize);
  }

  async classify(inputs: Float32Array[]): Promise<DigitPrediction[]> {
    const results = new Array<DigitPrediction>(inputs.length);
    const keys = inputs.map(inputKey);
    const missing: number[] = [];
    keys.forEach((key, i) => {
      const hit = this.cache.get(key);
      if (hit) {
        // Refresh its place: the Map's insertion order is the eviction order.
        this.cache.delete(key);
        this.cache.set(key, hit);
        results[i] = hit;
        this.stats.cached++;
      } else {
        missing.push(i);
      }
    });
    if (missing.length > 0) {
      const batch = new Float32Array(missing.length * inputs[0].length);
      missing.forEach((index, row) => batch.set(inputs[index], row * inputs[0].length));
      const probabilities = await this.engine.predict(batch);
      const classes = this.engine.classes;
      this.stats.inferred += missing.length;
      missing.forEach((index, row) => {
        const prediction = toPrediction(probabilities.subarray(row * classes, (row + 1) * classes));
        results[index] = prediction;
        this.cache.set(keys[index], prediction);
        if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
      });
    }
    return results;
  }

  async dispose(): Promise<void> {
    this.cache.clear();
    await this.engine.dispose();
  }
}
