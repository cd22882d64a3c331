import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../server/ml/backend.js';
import { evaluateModel } from '../training/evaluation.js';
import { loadMnist } from '../training/mnist.js';
import { MODEL_CARD_JSON, type ModelCard } from '../training/model-card.js';
import { loadModel } from '../server/ml/model-files.js';

beforeAll(async () => {
  await initBackend(undefined, () => {});
});

describe('the committed digit models', () => {
  it.each([join('models', 'digit-cnn'), join('models', 'digit-cnn-pen')])(
    '%s scores at least 99.5 %% on the MNIST test split, as its model card says',
    async (dir) => {
      const model = await loadModel(dir);
      const report = evaluateModel(model, await loadMnist('test'));
      expect(report.count).toBe(10000);
      expect(report.accuracy).toBeGreaterThanOrEqual(0.995);
      const card = JSON.parse(await readFile(join(dir, MODEL_CARD_JSON), 'utf8')) as ModelCard;
      // A different backend may round a borderline digit the other way; more than that is a stale card.
      expect(Math.abs(card.test.accuracy - report.accuracy)).toBeLessThanOrEqual(0.0003);
      expect(Math.min(...report.perClassAccuracy)).toBeGreaterThan(0.98);
      model.dispose();
    },
  );
});
