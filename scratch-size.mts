import { loadMnist } from './server/ml/mnist.ts';
import { seededRandom } from './server/ml/random.ts';
import { DigitClassifier } from './server/recognition/classifier.ts';
import { recognizeStrokes } from './server/recognition/strokes.ts';
import { writeNumber } from './test/support/strokes-from-mnist.ts';
const digits = await loadMnist('test');
const classifier = await DigitClassifier.load('models/digit-cnn');
for (const h of [30, 60, 120, 180, 250, 400]) {
  const random = seededRandom(42);
  let right = 0, n = 60;
  const wrong: string[] = [];
  for (let i = 0; i < n; i++) {
    const w = writeNumber(digits, random, { length: 2 + Math.floor(random() * 3), width: Math.max(800, h * 6), height: Math.max(300, h * 2), digitHeight: h });
    const r = await recognizeStrokes(w.set, classifier);
    if (r.text === w.text) right++; else if (wrong.length < 5) wrong.push(`${w.text}->${r.text}`);
  }
  console.log(h, 'px:', right, '/', n, wrong.join(' '));
}
