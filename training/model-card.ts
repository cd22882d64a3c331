/** The model card written beside a trained model: how it was made and how it measures. */
import type * as tf from '@tensorflow/tfjs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AugmentOptions } from './augment.js';
import type { EvaluationReport, Throughput } from './evaluation.js';
import type { EpochRecord } from './training.js';

export const MODEL_CARD_JSON = 'model-card.json';
export const MODEL_CARD_MD = 'MODEL_CARD.md';

export interface ModelCard {
  name: string;
  date: string;
  command: string;
  architecture: { layers: { name: string; type: string; outputShape: string; params: number }[]; parameters: number };
  data: { source: string; trainImages: number; validationImages: number; testImages: number; splitSeed: number };
  training: {
    epochs: number;
    bestEpoch: number;
    /** The epoch whose weights these are (the best one unless told to keep the last). */
    keptEpoch?: number;
    batchSize: number;
    optimizer: string;
    learningRate: string;
    augmentation: AugmentOptions | null;
    /** Share of each batch from the "not one digit" class; 0 for a ten-output model. */
    rejectFraction?: number;
    /** Share of those reject samples that were pictures, not writing (pictures.ts). */
    pictureShare?: number;
    /** Pieces cut by the segmenter from composed numbers (segment-samples.ts), and their share of each batch. */
    segments?: { fraction: number; numbers: number; pieces: number; notOneDigit: number };
    /** Digits drawn as a pen writes them (pen-samples.ts), their share of each batch, and the fonts among them. */
    pen?: { fraction: number; samples: number; fonts: string[]; notOneDigit?: number };
    /** The model this one was fine-tuned from. */
    initFrom?: { model: string; command?: string; testAccuracy?: number; epochs?: number };
    backend: string;
    seconds: number;
    imagesPerSecond: number;
    history: EpochRecord[];
  };
  validationAccuracy: number;
  test: Omit<EvaluationReport, 'errors'>;
  throughput: Throughput;
  /** What happened to the model after training: why it was chosen, how to make it again. */
  notes?: string[];
}

export function describeLayers(model: tf.LayersModel): ModelCard['architecture'] {
  const layers = model.layers.map((layer) => ({
    name: layer.name,
    type: layer.getClassName(),
    outputShape: JSON.stringify(layer.outputShape).replace(/null/g, 'n'),
    params: layer.countParams(),
  }));
  return { layers, parameters: model.countParams() };
}

export const percent = (value: number, digits = 2) => `${(value * 100).toFixed(digits)} %`;

export function renderModelCard(card: ModelCard): string {
  const t = card.training;
  const confusionHeader = `| label \\ predicted | ${[...Array(10).keys()].join(' | ')} |\n|---|${'---|'.repeat(10)}`;
  const confusionRows = card.test.confusion.map((row, label) => `| **${label}** | ${row.join(' | ')} |`).join('\n');
  return (
    `# Model card: ${card.name}

Handwritten digit classifier (0-9) for Digit Stream. Input: one digit through \`normalizeDigit\`
(28x28, white ink on black, 0..1, MNIST placement). Output: softmax over the ten digits${card.training.rejectFraction ? ' and "not one digit"' : ''}.

- **Test accuracy (MNIST 10k test split): ${percent(card.test.accuracy)}** (${card.test.count - Math.round(card.test.accuracy * card.test.count)} errors)
- Validation accuracy (${t.keptEpoch !== undefined && t.keptEpoch !== t.bestEpoch ? `last epoch ${t.keptEpoch}, kept; best was epoch ${t.bestEpoch}` : `best epoch ${t.bestEpoch}`}): ${percent(card.validationAccuracy)}
- Made on ${card.date} by: \`${card.command}\`
- Backend: ${t.backend}; training time ${(t.seconds / 60).toFixed(1)} min at ${t.imagesPerSecond.toFixed(0)} images/s
- Inference: ${card.throughput.batchDigitsPerSecond.toFixed(0)} digits/s in batches of ${card.throughput.batchSize}, ` +
    `${card.throughput.singleDigitsPerSecond.toFixed(0)} digits/s one at a time (p50 ${card.throughput.singleMsP50.toFixed(2)} ms)

## Data
${card.data.source}: ${card.data.trainImages} training images, ${card.data.validationImages} validation images carved out of
the 60k training split (seed ${card.data.splitSeed}). The ${card.data.testImages} test images were used once, for the figure
above, never to choose epochs or settings.

## Training
${
  t.initFrom
    ? `Fine-tuned from \`${t.initFrom.model}\` (${t.initFrom.epochs ?? '?'} epochs, test accuracy ${t.initFrom.testAccuracy !== undefined ? percent(t.initFrom.testAccuracy) : '?'}, made by \`${t.initFrom.command ?? '?'}\`), then:
`
    : ''
}${t.epochs} epochs, batch ${t.batchSize}, ${t.optimizer}, learning rate ${t.learningRate}; the checkpoint kept is the one
${t.keptEpoch !== undefined && t.keptEpoch !== t.bestEpoch ? 'of the last epoch (see the command).' : 'with the best validation accuracy.'}
${
  t.rejectFraction
    ? `\nAn eleventh output, "not one digit", was trained on ${percent(t.rejectFraction, 0)} of each batch: two training digits
touching or overlapping, or a training digit at least half as wide as tall cut off between a quarter and three
quarters of its width (a piece of a 1 is still a 1). The
pipeline uses it to tell a good cut of touching digits from a bad one. Accuracy figures take the likeliest of the
ten digits, ignoring that output.${
        t.pictureShare
          ? ` ${percent(t.pictureShare, 0)} of these samples were pictures that are not writing instead (\`training/pictures.ts\`:
filled polygons, stars, discs with a sector missing, targets, grids, blobs, checkerboards, spirals), so that shapes a
camera sees beside the writing read as no digit.`
          : ''
      }\n`
    : ''
}${
      t.segments
        ? `
A further ${percent(t.segments.fraction, 0)} of each batch came from pieces cut the way the pipeline cuts: ${t.segments.numbers} numbers of
2-5 touching training digits were composed (written clean, varied or photographed, as the measured sets are),
binarised, and cut into candidate pieces by the pipeline's own segmenter with its first and its fine cuts, each
piece of ink also taken whole (${t.segments.pieces} pieces); a piece holding at least 90 % of one digit's ink, and little else, is
that digit, one holding much less of it or much of another is "not one digit" (${percent(t.segments.notOneDigit, 0)} of them).\n`
        : ''
    }${
      t.pen
        ? `
A further ${percent(t.pen.fraction, 0)} of each batch came from ${t.pen.samples} digits drawn as a pen writes them (\`training/pen-samples.ts\`):
MNIST training digits thinned and traced into strokes${t.pen.fonts.length ? ` and, for 30 % of them, digits of the handwriting fonts ${t.pen.fonts.join(', ')} (other fonts are kept out of training for the held-out pen set)` : ''};
${t.pen.notOneDigit ? `${percent(t.pen.notOneDigit, 0)} of them two digits written close or overlapping (a tenth of a height apart to a third overlapping), drawn as one and labelled "not one digit"; ` : ''}half of the 1s redrawn with a flag up to two thirds of their height long, straight or curled (and often a foot), a third of the 7s crossed, a fifth of the 4s open; bent by
rotation, slant, aspect and a smooth elastic wobble; drawn by the serving rasteriser with pens from 1/14 to 1/6 of
the digit's size.\n`
        : ''
    }
Augmentation (each training image drawn anew every epoch, then normalised like serving input):
${
  t.augmentation
    ? Object.entries(t.augmentation)
        .map(([k, v]) => `- ${k}: ${JSON.stringify(v)}`)
        .join('\n')
    : '- none'
}

| epoch | loss | train acc | validation acc | lr | time |
|---|---|---|---|---|---|
${t.history.map((h) => `| ${h.epoch} | ${h.loss.toFixed(4)} | ${percent(h.trainAccuracy)} | ${percent(h.validationAccuracy)} | ${h.learningRate.toExponential(1)} | ${h.seconds.toFixed(0)} s |`).join('\n')}

![loss and accuracy per epoch](curves.png)

## Architecture (${card.architecture.parameters} parameters)
| layer | type | output | params |
|---|---|---|---|
${card.architecture.layers.map((l) => `| ${l.name} | ${l.type} | ${l.outputShape} | ${l.params} |`).join('\n')}

## Test results
Per-class accuracy: ${card.test.perClassAccuracy.map((a, c) => `${c}: ${percent(a)}`).join(', ')}

Most confused (label → predicted): ${card.test.mostConfused.map((p) => `${p.label}→${p.predicted} ×${p.count}`).join(', ')}

${confusionHeader}
${confusionRows}

![the confusion matrix as a heat map](confusion.png)

![the test digits read wrong](errors.png)

## Serving
\`model.onnx\` beside this card holds the same network for ONNX Runtime, which the server runs:
batch normalisation folded into the convolution or dense layer before it, dropout left out. \`npm run
train\` writes it with the model; \`npm run export\` writes it again and checks it against tfjs on
the test split; \`npm run eval\` reports both.

## Limits
Trained on MNIST${t.pen ? ', pen-drawn digits from it and handwriting fonts' : ' only'}: single, isolated, upright-ish Western Arabic digits. Segmentation decides what
reaches it; a non-digit crop still gets a (usually low-confidence) digit.
${card.notes?.length ? `\n## Notes\n${card.notes.map((n) => `- ${n}`).join('\n')}\n` : ''}`
  );
}

export async function writeModelCard(dir: string, card: ModelCard): Promise<void> {
  await writeFile(join(dir, MODEL_CARD_JSON), `${JSON.stringify(card, null, 2)}\n`);
  await writeFile(join(dir, MODEL_CARD_MD), renderModelCard(card));
}
