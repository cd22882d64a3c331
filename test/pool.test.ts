import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../server/ml/backend.js';
import { loadMnist, type DigitSet } from '../training/mnist.js';
import { seededRandom } from '../training/random.js';
import { DigitClassifier, DEFAULT_PEN_MODEL_DIR } from '../server/recognition/classifier.js';
import { RecognitionError } from '../server/recognition/errors.js';
import { RecognitionPool } from '../server/recognition/pool.js';
import { recognizeImage } from '../server/recognition/recognize.js';
import { recognizeStrokes } from '../server/recognition/strokes.js';
import { warmUp } from '../server/recognition/warm-up.js';
import { composeNumber, encodePng, SETS } from '../training/compose.js';
import { writeNumber } from './support/strokes-from-mnist.js';

let pool: RecognitionPool;
let digits: DigitSet;

beforeAll(async () => {
  pool = await RecognitionPool.start({ threads: 2, maxQueue: 8 });
  digits = await loadMnist('test');
});

afterAll(async () => {
  await pool.close();
});

describe('recognition worker pool', () => {
  it('reads images and strokes in worker threads with the same results as in-process', async () => {
    await initBackend(undefined, () => {});
    const local = await DigitClassifier.load();
    const random = seededRandom(21);
    const images = await Promise.all(Array.from({ length: 6 }, () => composeNumber(digits, random, SETS.clean).then(encodePng)));
    const expected = await Promise.all(images.map((png) => recognizeImage(png, local).then((r) => r.text)));
    const fromPool = await Promise.all(images.map((png) => pool.recognizeImage(Uint8Array.from(png))));
    expect(fromPool.map((r) => r.result.text)).toEqual(expected);
    expect(pool.threads).toBe(2);

    const written = writeNumber(digits, random, { length: 5, width: 800, height: 300, digitHeight: 120 });
    const { result, ms } = await pool.recognizeStrokes(written.set);
    expect(result.digits.length).toBeGreaterThan(0);
    expect(ms).toBeGreaterThanOrEqual(0);
    await local.dispose();
  });

  it('warms each worker with readings that find their number, as strokes, as a scan and as a camera frame', async () => {
    await initBackend(undefined, () => {});
    const [image, pen] = await Promise.all([DigitClassifier.load(), DigitClassifier.load(DEFAULT_PEN_MODEL_DIR)]);
    expect(await warmUp(image, pen)).toEqual({ strokes: '107', image: '107', camera: '107' });
    await Promise.all([image.dispose(), pen.dispose()]);
  });

  it('passes the pipeline errors through with their codes', async () => {
    const error = await pool.recognizeImage(new Uint8Array(Buffer.from('not an image at all'))).catch((e) => e);
    expect(error).toBeInstanceOf(RecognitionError);
    expect(error.code).toBe('unsupported-image');
    const strokes = await pool.recognizeStrokes({ width: 10, height: 10, strokes: [[[Number.NaN, 1, 0]]] } as never).catch((e) => e);
    expect(strokes.code).toBe('invalid-strokes');
  });

  it('reads stroke sets that wait for a busy worker together, each with its own result or error', async () => {
    await initBackend(undefined, () => {});
    const local = await DigitClassifier.load(DEFAULT_PEN_MODEL_DIR);
    const single = await RecognitionPool.start({ threads: 1, maxQueue: 64 });
    try {
      const random = seededRandom(77);
      const sets = Array.from({ length: 12 }, () => writeNumber(digits, random, { length: 4, width: 800, height: 300, digitHeight: 120 }).set);
      const broken = {
        width: 800,
        height: 300,
        strokes: [
          [
            [1, 2, 3],
            [Number.NaN, 1, 2],
          ],
        ],
      } as never;
      const outcomes = await Promise.allSettled([...sets.slice(0, 6), broken, ...sets.slice(6)].map((set) => single.recognizeStrokes(set)));
      const texts = outcomes.map((o) => (o.status === 'fulfilled' ? o.value.result.text : (o.reason as RecognitionError).code));
      const local6 = await Promise.all(sets.map(async (set) => (await recognizeStrokes(set, local)).text));
      expect(texts).toEqual([...local6.slice(0, 6), 'invalid-strokes', ...local6.slice(6)]);
      expect(single.strokeStats.sets).toBe(13);
      expect(single.strokeStats.tasks).toBeLessThan(13);
    } finally {
      await single.close();
      await local.dispose();
    }
  });

  it('reads a moving pen only with a worker to spare, while stroke ends wait their turn', async () => {
    const small = await RecognitionPool.start({ threads: 1, penThreads: 0, maxQueue: 4 });
    try {
      const random = seededRandom(5);
      const set = () => writeNumber(digits, random, { length: 3, width: 800, height: 300, digitHeight: 120 }).set;
      const settle = (promise: Promise<unknown>) =>
        promise.then(
          () => 'read',
          (error: RecognitionError) => error.code,
        );
      const inFlight = settle(small.recognizeStrokes(set(), 'urgent'));
      const liveWhileBusy = settle(small.recognizeStrokes(set(), 'live'));
      const strokeEnd = settle(small.recognizeStrokes(set(), 'urgent'));
      expect(await Promise.all([inFlight, liveWhileBusy, strokeEnd])).toEqual(['read', 'busy', 'read']);
      expect(await settle(small.recognizeStrokes(set(), 'live'))).toBe('read');
    } finally {
      await small.close();
    }
  });

  it('reads pen strokes in their own lane while image work fills the image workers, and lends idle image workers to the pen', async () => {
    const lanes = await RecognitionPool.start({ threads: 1, penThreads: 1, maxQueue: 16 });
    try {
      const random = seededRandom(8);
      const photos = await Promise.all(Array.from({ length: 8 }, () => composeNumber(digits, random, SETS.photo).then(encodePng)));
      let imagesRead = 0;
      const images = photos.map((png) => lanes.recognizeImage(Uint8Array.from(png)).then(() => imagesRead++));
      const set = writeNumber(digits, random, { length: 4, width: 800, height: 300, digitHeight: 120 }).set;
      const { result } = await lanes.recognizeStrokes(set, 'urgent');
      // Eight images queue on the one image worker; the stroke reading did not wait for them.
      expect(result.digits.length).toBeGreaterThan(0);
      expect(imagesRead).toBeLessThan(photos.length / 2);
      expect(lanes.strokeStats.onImageLane).toBe(0);
      await Promise.all(images);
      // With the image worker idle and the pen worker busy, a second stroke batch goes to the image worker.
      await Promise.all(Array.from({ length: 12 }, () => lanes.recognizeStrokes(set, 'urgent')));
      expect(lanes.strokeStats.onImageLane).toBeGreaterThan(0);
    } finally {
      await lanes.close();
    }
  });

  it('refuses work as busy when the queue is full, and keeps working afterwards', async () => {
    const small = await RecognitionPool.start({ threads: 1, maxQueue: 1 });
    try {
      const png = await encodePng(await composeNumber(digits, seededRandom(3), SETS.clean));
      const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => small.recognizeImage(Uint8Array.from(png))));
      const busy = outcomes.filter((o) => o.status === 'rejected' && (o.reason as RecognitionError).code === 'busy');
      const done = outcomes.filter((o) => o.status === 'fulfilled');
      expect(busy.length).toBeGreaterThanOrEqual(3);
      expect(done.length).toBeGreaterThanOrEqual(1);
      expect(busy.length + done.length).toBe(6);
      await expect(small.recognizeImage(Uint8Array.from(png))).resolves.toHaveProperty('result.text');
    } finally {
      await small.close();
    }
  });
});
