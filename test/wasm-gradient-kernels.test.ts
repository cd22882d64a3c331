import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../server/ml/backend.js';
import { seededRandom } from '../training/random.js';

type Padding = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  pad: Padding;
}

function randomCases(count: number): ConvCase[] {
  const random = seededRandom(42);
  const int = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const cases: ConvCase[] = [];
  while (cases.length < count) {
    const kh = int(1, 5),
      kw = int(1, 5);
    const strides: [number, number] = [int(1, 3), int(1, 3)];
    const pads: Padding[] = [
      'same',
      'valid',
      int(0, 2),
      [
        [0, 0],
        [int(0, kh - 1), int(0, kh - 1)],
        [int(0, kw - 1), int(0, kw - 1)],
        [0, 0],
      ],
    ];
    const pad = pads[int(0, pads.length - 1)];
    const h = int(kh, 16),
      w = int(kw, 16);
    cases.push({ x: [int(1, 5), h, w, int(1, 6)], filter: [kh, kw, 0, int(1, 7)], strides, pad });
    cases[cases.length - 1].filter[2] = cases[cases.length - 1].x[3];
  }
  // The shapes the digit model trains with.
  cases.push({ x: [8, 28, 28, 1], filter: [5, 5, 1, 32], strides: [1, 1], pad: 'valid' });
  cases.push({ x: [8, 12, 12, 32], filter: [3, 3, 32, 64], strides: [1, 1], pad: 'valid' });
  cases.push({ x: [8, 14, 14, 16], filter: [3, 3, 16, 16], strides: [1, 1], pad: 'same' });
  return cases;
}

/**
 * The two gradient kernels of conv2d on one backend, called as the gradient tape calls them. No
 * forward convolution runs on wasm: its shipped Conv2D crashes on some strided, padded shapes
 * (e.g. strides [2, 1] with pad 2), which is upstream's bug, not these kernels'.
 */
async function convGradients(backend: string, c: ConvCase, seed: number): Promise<{ dx: Float32Array; dFilter: Float32Array }> {
  await tf.setBackend(backend);
  const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad);
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, 'float32', seed);
    const filter = tf.randomNormal(c.filter, 0, 1, 'float32', seed + 1);
    const dy = tf.randomNormal(info.outShape, 0, 1, 'float32', seed + 2);
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined } as unknown as tf.NamedAttrMap;
    const dFilter = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape: c.filter }) as tf.Tensor;
    const dx = tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, { ...attrs, inputShape: c.x }) as tf.Tensor;
    return { dx: dx.dataSync() as Float32Array, dFilter: dFilter.dataSync() as Float32Array };
  });
}

function relativeError(actual: Float32Array, expected: Float32Array): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0,
    scale = 1e-6;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return worst / scale;
}

beforeAll(async () => {
  await initBackend('wasm', () => {});
});

describe('wasm convolution gradients match the cpu backend', () => {
  const cases = randomCases(24);
  it.each(cases.map((c, i) => [i, c] as const))('case %i: %j', async (i, c) => {
    const reference = await convGradients('cpu', c, 100 + i);
    const wasm = await convGradients('wasm', c, 100 + i);
    expect(relativeError(wasm.dFilter, reference.dFilter)).toBeLessThan(1e-4);
    expect(relativeError(wasm.dx, reference.dx)).toBeLessThan(1e-4);
  });

  it('leaves no tensors behind', async () => {
    await tf.setBackend('wasm');
    await convGradients('wasm', cases[0], 1);
    const before = tf.memory().numTensors;
    await convGradients('wasm', cases[cases.length - 1], 2);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('batch-norm gradient', () => {
  /** The same normalisation twice: through FusedBatchNorm, and in elementary ops with tfjs's own gradients. */
  function gradients(fused: boolean, seed: number) {
    return tf.tidy(() => {
      const x = tf.randomNormal([4, 5, 6, 3], 1, 2, 'float32', seed);
      const scale = tf.randomNormal([3], 1, 0.3, 'float32', seed + 1);
      const offset = tf.randomNormal([3], 0, 0.3, 'float32', seed + 2);
      const weights = tf.randomNormal([4, 5, 6, 3], 0, 1, 'float32', seed + 3);
      const epsilon = 1e-3;
      const f = (a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
        const { mean, variance } = tf.moments(a, [0, 1, 2]);
        const y = fused ? tf.batchNorm(a, mean, variance, o, s, epsilon) : tf.add(tf.mul(tf.mul(tf.sub(a, mean), tf.rsqrt(tf.add(variance, epsilon))), s), o);
        return tf.sum(tf.mul(y, weights));
      };
      return tf
        .grads(f)([x, scale, offset])
        .map((g) => g.dataSync() as Float32Array);
    });
  }

  it.each(['cpu', 'wasm'])('matches elementary ops on %s', async (backend) => {
    await tf.setBackend(backend);
    for (const seed of [1, 2, 3]) {
      const fused = gradients(true, seed);
      const plain = gradients(false, seed);
      fused.forEach((g, i) => expect(relativeError(g, plain[i])).toBeLessThan(1e-3));
    }
  });
});
