import { loadMnist, splitTrainValidation } from './server/ml/mnist.ts';
import { seededRandom } from './server/ml/random.ts';
import { DigitClassifier } from './server/recognition/classifier.ts';
import { recognizeStrokes, type StrokePoint } from './server/recognition/strokes.ts';
import { digitStrokes } from './test/support/strokes-from-mnist.ts';
const { validation } = splitTrainValidation(await loadMnist('train'), 6000, 1);
const classifier = await DigitClassifier.load('models/digit-cnn');
function write(random: () => number, length: number, h: number, gapLo: number, gapHi: number) {
  const strokes: StrokePoint[][] = []; let text = ''; let x = h * 0.4; let t = 0;
  for (let d = 0; d < length; d++) {
    const index = Math.floor(random() * validation.labels.length);
    text += String(validation.labels[index]);
    const digit = digitStrokes(validation, index);
    const xs = digit.flat().map((p) => p[0]);
    const left = Math.min(...xs), w = Math.max(...xs) - left;
    const size = h * (0.9 + 0.2 * random());
    for (const stroke of digit) { strokes.push(stroke.map(([px, py]): StrokePoint => [x + (px - left) * size, 50 + py * size, (t += 12)])); t += 120; }
    x += w * size + (gapLo + (gapHi - gapLo) * random()) * h;
    t += 250;
  }
  return { text, set: { width: x + h, height: h + 100, strokes } };
}
for (const [name, lo, hi] of [['spaced', 0.15, 0.45], ['close', 0.0, 0.12], ['overlapping', -0.12, 0.0]] as const) {
  const random = seededRandom(5);
  let right = 0; const n = 200;
  for (let i = 0; i < n; i++) {
    const w = write(random, 2 + Math.floor(random() * 4), 60 + random() * 200, lo, hi);
    if ((await recognizeStrokes(w.set, classifier)).text === w.text) right++;
  }
  console.log(name.padEnd(12), `${(right / n * 100).toFixed(1)} %`);
}
