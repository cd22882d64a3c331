/**
 * Gradient kernels that @tensorflow/tfjs-backend-wasm 4.22 does not ship, so that a CNN can be
 * trained on wasm (the pure-JS cpu backend is about 100x slower, and tfjs-node cannot be installed
 * without internet access to libtensorflow).
 *
 * Written by hand because no published package provides them; each is composed from kernels the
 * wasm backend does have, calling their kernel functions directly (not tf ops) so that nothing is
 * recorded on a gradient tape while a kernel runs.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

const BACKEND = 'wasm';

type Backend = tf.KernelBackend;

function kernel(name: string): KernelFunc {
  const config = tf.getKernel(name, BACKEND);
  if (!config) throw new Error(`wasm backend has no ${name} kernel to compose with`);
  return config.kernelFunc;
}

function run(name: string, backend: Backend, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: NamedAttrMap = {}): TensorInfo {
  return kernel(name)({ inputs: inputs as tf.NamedTensorInfoMap, backend, attrs }) as TensorInfo;
}

function release(backend: Backend, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

interface Conv2DBackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/**
 * dW[kh, kw, ci, co] = sum over n, oh, ow of x[n, oh*s + kh - padTop, ow*s + kw - padLeft, ci] * dy[n, oh, ow, co]
 *
 * That sum is itself a convolution once the batch is taken as the channel axis: the input x
 * transposed to [ci, H, W, n] is convolved with dy transposed to [Ho, Wo, n, co] as the filter,
 * dilated by the forward stride; the output [ci, kh, kw, co] is the gradient, transposed. This lets
 * XNNPACK's convolution do the heavy work instead of a scalar loop.
 */
function conv2DBackpropFilter({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: Backend; attrs?: NamedAttrMap }): TensorInfo {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports only NHWC (channelsLast)');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const { filterHeight, filterWidth, strideHeight, strideWidth, padInfo, outHeight, outWidth, inHeight, inWidth } = info;

  // Rows/columns of x past the last one any filter tap reaches would make the gradient "convolution"
  // produce more than filterHeight x filterWidth outputs; crop them away (cheaper than computing and
  // slicing), and pad only where the forward pass padded.
  const usedHeight = (outHeight - 1) * strideHeight + filterHeight;
  const usedWidth = (outWidth - 1) * strideWidth + filterWidth;
  const padBottom = Math.max(0, usedHeight - inHeight - padInfo.top);
  const padRight = Math.max(0, usedWidth - inWidth - padInfo.left);
  const keepHeight = Math.min(inHeight, usedHeight - padInfo.top);
  const keepWidth = Math.min(inWidth, usedWidth - padInfo.left);

  let input = x;
  if (keepHeight < inHeight || keepWidth < inWidth) {
    input = run('Slice', backend, { x }, { begin: [0, 0, 0, 0], size: [x.shape[0], keepHeight, keepWidth, x.shape[3]] });
  }
  const xAsBatchOfChannels = run('Transpose', backend, { x: input }, { perm: [3, 1, 2, 0] });
  if (input !== x) release(backend, input);
  const dyAsFilter = run('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] });
  const gradient = run(
    'Conv2D',
    backend,
    { x: xAsBatchOfChannels, filter: dyAsFilter },
    {
      strides: [1, 1],
      dilations: [strideHeight, strideWidth],
      pad: [
        [0, 0],
        [padInfo.top, padBottom],
        [padInfo.left, padRight],
        [0, 0],
      ],
      dataFormat: 'NHWC',
    },
  );
  release(backend, xAsBatchOfChannels, dyAsFilter);
  const result = run('Transpose', backend, { x: gradient }, { perm: [1, 2, 0, 3] });
  release(backend, gradient);
  return result;
}

interface Conv2DBackpropInputAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/**
 * The wasm backend's own Conv2DBackpropInput is a scalar loop, ten times slower than its forward
 * convolution. For stride 1 the input gradient is a "full" convolution of dy with the filter
 * flipped in space and with its channel axes swapped, which XNNPACK runs fast; other strides keep
 * the shipped kernel.
 */
function fastConv2DBackpropInput(shipped: KernelFunc): KernelFunc {
  return (({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: Backend; attrs?: NamedAttrMap }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as Conv2DBackpropInputAttrs;
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const { filterHeight, filterWidth, strideHeight, strideWidth, padInfo } = info;
    if (dataFormat === 'NCHW' || strideHeight !== 1 || strideWidth !== 1) {
      return shipped({ inputs, backend, attrs: attrs ?? {} });
    }
    const flipped = run('Reverse', backend, { x: filter }, { dims: [0, 1] });
    const swapped = run('Transpose', backend, { x: flipped }, { perm: [0, 1, 3, 2] });
    release(backend, flipped);
    const result = run(
      'Conv2D',
      backend,
      { x: dy, filter: swapped },
      {
        strides: [1, 1],
        dilations: [1, 1],
        pad: [
          [0, 0],
          [filterHeight - 1 - padInfo.top, filterHeight - 1 - padInfo.bottom],
          [filterWidth - 1 - padInfo.left, filterWidth - 1 - padInfo.right],
          [0, 0],
        ],
        dataFormat: 'NHWC',
      },
    );
    release(backend, swapped);
    return result;
  }) as unknown as KernelFunc;
}

/**
 * FusedBatchNorm's gradient as shipped in tfjs-core tiles 1/sqrt(variance) to the full activation
 * shape before multiplying (a Tile that was 14 % of a training step on wasm) and reduces over the
 * activations four times. This one broadcasts instead and shares the two reductions that all five
 * partial derivatives need: sum(dy) and sum(dy * (x - mean)). Same mathematics, any backend.
 */
const fusedBatchNormGradient: tf.GradConfig = {
  kernelName: tf.FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy, saved, attrs) => {
    const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
    const [x, mean, variance, scale] = saved;
    const dyTensor = dy as tf.Tensor;
    const channelAxesOnly = mean.rank === 1;
    const reductionAxes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const reduce = (t: tf.Tensor) => (channelAxesOnly ? tf.sum(t, reductionAxes) : t);
    const scaleValue = scale ?? tf.scalar(1);
    const inverseStd = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
    // Computed here rather than inside the partials: the tape runs each partial in its own tidy,
    // which would dispose a shared tensor after its first use.
    const dySum = reduce(dyTensor);
    const dyCenteredSum = reduce(tf.mul(dyTensor, tf.sub(x, mean)));
    return {
      x: () => tf.mul(dyTensor, tf.mul(inverseStd, scaleValue)),
      mean: () => tf.reshape(tf.mul(tf.neg(tf.mul(inverseStd, scaleValue)), dySum), mean.shape),
      variance: () => tf.reshape(tf.mul(tf.mul(tf.mul(tf.pow(inverseStd, tf.scalar(3)), tf.scalar(-0.5)), scaleValue), dyCenteredSum), mean.shape),
      scale: () => tf.reshape(tf.mul(dyCenteredSum, inverseStd), mean.shape),
      offset: () => tf.reshape(dySum, mean.shape),
    };
  },
};

let registered = false;

/**
 * Registers the missing and faster gradient kernels on the wasm backend, and the leaner batch-norm
 * gradient; idempotent.
 */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: tf.Conv2DBackpropFilter, backendName: BACKEND, kernelFunc: conv2DBackpropFilter as unknown as KernelFunc });
  const shippedBackpropInput = tf.getKernel(tf.Conv2DBackpropInput, BACKEND);
  if (shippedBackpropInput) {
    tf.unregisterKernel(tf.Conv2DBackpropInput, BACKEND);
    tf.registerKernel({ ...shippedBackpropInput, kernelFunc: fastConv2DBackpropInput(shippedBackpropInput.kernelFunc) });
  }
  tf.unregisterGradient(tf.FusedBatchNorm);
  tf.registerGradient(fusedBatchNormGradient);
}
