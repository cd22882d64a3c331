/**
 * A TensorFlow.js digit model as an ONNX model, for serving with ONNX Runtime: the layers in
 * order, batch normalisation folded into the convolution or dense layer before it (inference
 * uses its moving statistics, so it is an affine map per channel that the weights can absorb),
 * dropout left out. Written here because no maintained converter runs in Node: tf2onnx and
 * tfjs-to-onnx are Python. Supports what the digit models use (Conv2D, BatchNormalization,
 * Activation, MaxPooling2D, Flatten, Dense, Dropout) and says so for anything else.
 */
import type * as tf from '@tensorflow/tfjs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AttributeType, floatTensor, floatValueInfo, ModelProto, ONNX_IR_VERSION, ONNX_OPSET, type OnnxNode, type OnnxTensor } from './onnx-proto.js';

import { ONNX_FILE, ONNX_INPUT, ONNX_OUTPUT } from '../server/ml/model-files.js';

interface LayerConfig {
  activation?: string;
  padding?: 'valid' | 'same';
  strides?: number[];
  dilationRate?: number[];
  kernelSize?: number[];
  poolSize?: number[];
  useBias?: boolean;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  dataFormat?: string;
}

function configOf(layer: tf.layers.Layer): LayerConfig {
  return layer.getConfig() as LayerConfig;
}

/** A weight's values (tfjs keeps them in the backend; this reads a copy). */
function values(tensor: tf.Tensor): Float32Array {
  return Float32Array.from(tensor.dataSync());
}

/** Batch normalisation at inference as y = x * scale + shift per channel. */
function batchNormAffine(layer: tf.layers.Layer): { scale: Float32Array; shift: Float32Array } {
  const config = configOf(layer);
  const weights = layer.getWeights();
  let next = 0;
  const gamma = config.scale !== false ? values(weights[next++]) : null;
  const beta = config.center !== false ? values(weights[next++]) : null;
  const mean = values(weights[next++]);
  const variance = values(weights[next]);
  const epsilon = config.epsilon ?? 1e-3;
  const scale = new Float32Array(mean.length);
  const shift = new Float32Array(mean.length);
  for (let c = 0; c < mean.length; c++) {
    scale[c] = (gamma ? gamma[c] : 1) / Math.sqrt(variance[c] + epsilon);
    shift[c] = (beta ? beta[c] : 0) - mean[c] * scale[c];
  }
  return { scale, shift };
}

/**
 * ONNX pads [top, left, bottom, right]. tfjs 'same' with stride 1 pads (k - 1) in all, the odd
 * one at the end; with larger strides it depends on the input size, which no digit model needs.
 */
function convPads(name: string, padding: 'valid' | 'same', kernel: number[], strides: number[], dilations: number[]): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (strides.some((s) => s !== 1)) throw new Error(`ONNX export: ${name} pads 'same' with strides ${strides}; only stride 1 is supported`);
  const total = kernel.map((k, i) => (k - 1) * dilations[i]);
  const begin = total.map((t) => Math.floor(t / 2));
  return [begin[0], begin[1], total[0] - begin[0], total[1] - begin[1]];
}

export interface OnnxExport {
  bytes: Uint8Array;
  /** Layers folded into the one before them, for the record. */
  folded: string[];
}

export function exportToOnnx(model: tf.LayersModel, metadata: Record<string, string> = {}): OnnxExport {
  const [, height, width, channels] = model.inputs[0].shape as number[];
  const classes = model.outputs[0].shape[1] as number;
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const folded: string[] = [];
  let current = `${ONNX_INPUT}_nchw`;
  // tfjs is channels-last, ONNX's Conv and MaxPool channels-first: one transpose in, one before Flatten.
  nodes.push({
    opType: 'Transpose',
    name: 'to_nchw',
    input: [ONNX_INPUT],
    output: [current],
    attribute: [{ name: 'perm', type: AttributeType.INTS, ints: [0, 3, 1, 2] }],
  });
  let nchw = true;
  const emit = (opType: string, name: string, inputs: string[], attribute: OnnxNode['attribute'] = []) => {
    const output = `${name}_out`;
    nodes.push({ opType, name, input: [current, ...inputs], output: [output], attribute });
    current = output;
  };
  const activation = (kind: string | undefined, name: string) => {
    if (!kind || kind === 'linear') return;
    if (kind === 'relu') emit('Relu', `${name}_relu`, []);
    else if (kind === 'softmax') emit('Softmax', `${name}_softmax`, [], [{ name: 'axis', type: AttributeType.INT, i: -1 }]);
    else throw new Error(`ONNX export: activation ${kind} (layer ${name}) is not supported`);
  };

  const layers = model.layers.filter((layer) => layer.getClassName() !== 'InputLayer');
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    const kind = layer.getClassName();
    const config = configOf(layer);
    if (config.dataFormat && config.dataFormat !== 'channelsLast') throw new Error(`ONNX export: ${layer.name} is ${config.dataFormat}`);
    const next = layers[i + 1];
    const foldNext = next?.getClassName() === 'BatchNormalization' && (config.activation ?? 'linear') === 'linear';
    if (kind === 'Conv2D' || kind === 'Dense') {
      const weights = layer.getWeights();
      const kernel = weights[0];
      const outputs = kernel.shape[kernel.shape.length - 1];
      const bias = config.useBias !== false ? values(weights[1]) : new Float32Array(outputs);
      const affine = foldNext ? batchNormAffine(next) : { scale: new Float32Array(outputs).fill(1), shift: new Float32Array(outputs) };
      if (foldNext) folded.push(next.name);
      const foldedBias = bias.map((b, o) => b * affine.scale[o] + affine.shift[o]);
      const k = values(kernel);
      if (kind === 'Conv2D') {
        const [kh, kw, cin] = kernel.shape;
        // [kh, kw, in, out] → [out, in, kh, kw], each output channel scaled.
        const onnxKernel = new Float32Array(k.length);
        for (let y = 0; y < kh; y++)
          for (let x = 0; x < kw; x++)
            for (let c = 0; c < cin; c++)
              for (let o = 0; o < outputs; o++) {
                onnxKernel[((o * cin + c) * kh + y) * kw + x] = k[((y * kw + x) * cin + c) * outputs + o] * affine.scale[o];
              }
        initializers.push(floatTensor(`${layer.name}_W`, [outputs, cin, kh, kw], onnxKernel), floatTensor(`${layer.name}_B`, [outputs], foldedBias));
        const strides = config.strides ?? [1, 1];
        const dilations = config.dilationRate ?? [1, 1];
        emit(
          'Conv',
          layer.name,
          [`${layer.name}_W`, `${layer.name}_B`],
          [
            { name: 'kernel_shape', type: AttributeType.INTS, ints: [kh, kw] },
            { name: 'strides', type: AttributeType.INTS, ints: strides },
            { name: 'dilations', type: AttributeType.INTS, ints: dilations },
            { name: 'pads', type: AttributeType.INTS, ints: convPads(layer.name, config.padding ?? 'valid', [kh, kw], strides, dilations) },
          ],
        );
      } else {
        const inputs = kernel.shape[0];
        const scaled = new Float32Array(k.length);
        for (let r = 0; r < inputs; r++) for (let o = 0; o < outputs; o++) scaled[r * outputs + o] = k[r * outputs + o] * affine.scale[o];
        initializers.push(floatTensor(`${layer.name}_W`, [inputs, outputs], scaled), floatTensor(`${layer.name}_B`, [outputs], foldedBias));
        emit('Gemm', layer.name, [`${layer.name}_W`, `${layer.name}_B`]);
      }
      if (foldNext) i++;
      activation(config.activation, layer.name);
    } else if (kind === 'BatchNormalization') {
      // Not after a convolution or dense layer: an affine map of its own.
      const { scale, shift } = batchNormAffine(layer);
      const shape = nchw ? [scale.length, 1, 1] : [scale.length];
      initializers.push(floatTensor(`${layer.name}_scale`, shape, scale), floatTensor(`${layer.name}_shift`, shape, shift));
      emit('Mul', `${layer.name}_mul`, [`${layer.name}_scale`]);
      emit('Add', `${layer.name}_add`, [`${layer.name}_shift`]);
    } else if (kind === 'Activation') {
      activation(config.activation, layer.name);
    } else if (kind === 'MaxPooling2D') {
      if (config.padding === 'same') throw new Error(`ONNX export: ${layer.name} pads 'same'; only 'valid' pooling is supported`);
      emit(
        'MaxPool',
        layer.name,
        [],
        [
          { name: 'kernel_shape', type: AttributeType.INTS, ints: config.poolSize ?? [2, 2] },
          { name: 'strides', type: AttributeType.INTS, ints: config.strides ?? config.poolSize ?? [2, 2] },
        ],
      );
    } else if (kind === 'Flatten') {
      // tfjs flattens height, width, channels in that order: back to channels-last first.
      emit('Transpose', `${layer.name}_to_nhwc`, [], [{ name: 'perm', type: AttributeType.INTS, ints: [0, 2, 3, 1] }]);
      emit('Flatten', layer.name, [], [{ name: 'axis', type: AttributeType.INT, i: 1 }]);
      nchw = false;
    } else if (kind !== 'Dropout') {
      throw new Error(`ONNX export: layer ${layer.name} (${kind}) is not supported`);
    }
  }
  nodes[nodes.length - 1].output = [ONNX_OUTPUT];

  const message = ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    producerName: 'digit-stream',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: model.name,
      node: nodes,
      initializer: initializers,
      input: [floatValueInfo(ONNX_INPUT, ['batch', height, width, channels])],
      output: [floatValueInfo(ONNX_OUTPUT, ['batch', classes])],
    },
  });
  return { bytes: ModelProto.encode(message).finish(), folded };
}

/** Writes `model` as model.onnx in `dir` (beside its model.json), replacing any older one whole. */
export async function writeOnnxModel(model: tf.LayersModel, dir: string): Promise<OnnxExport> {
  const exported = exportToOnnx(model, { source: 'model.json', classes: String(model.outputs[0].shape[1]) });
  await writeFile(join(dir, `${ONNX_FILE}.tmp`), exported.bytes);
  await rename(join(dir, `${ONNX_FILE}.tmp`), join(dir, ONNX_FILE));
  return exported;
}
