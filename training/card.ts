/**
 * npm run model-card -- [--model DIR]
 * Writes the model card's Markdown and pictures again from its model-card.json and the model
 * itself (the misread test digits need the model): for a model trained before the card had them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend } from '../server/ml/backend.js';
import { parseCli } from '../server/cli-args.js';
import { loadModel } from '../server/ml/model-files.js';
import { outputClasses, predictProbabilities } from '../server/ml/model.js';
import { writeCardPictures } from './card-pictures.js';
import { normalizedInputs, scorePredictions, topDigit } from './evaluation.js';
import { loadMnist } from './mnist.js';
import { MODEL_CARD_JSON, writeModelCard, type ModelCard } from './model-card.js';

const USAGE = 'Usage: npm run model-card -- [--model DIR]   (default models/digit-cnn)';
const { values } = parseCli({ model: { type: 'string' } }, USAGE);
const dir = values.model ?? join('models', 'digit-cnn');
await initBackend(undefined, () => {});
const card = JSON.parse(await readFile(join(dir, MODEL_CARD_JSON), 'utf8')) as ModelCard;
const model = await loadModel(dir);
const test = await loadMnist('test');
const probabilities = predictProbabilities(model, normalizedInputs(test));
const classes = outputClasses(model);
const { errors } = scorePredictions(probabilities, test.labels, classes);
await writeModelCard(dir, card);
await writeCardPictures(dir, card, test, errors, (i) => topDigit(probabilities.subarray(i * classes, (i + 1) * classes)));
console.log(`${dir}: card and pictures written (${errors.length} test digits misread)`);
