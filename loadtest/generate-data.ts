/**
 * Writes the load tests' inputs to loadtest/data/ from MNIST test digits: stroke sets of numbers
 * written on an 800x300 canvas, 640x480 JPEG camera frames and PNG uploads, each with its true
 * text. k6 runs its own JavaScript and cannot call the TypeScript generators, so they run here.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadMnist } from '../training/mnist.js';
import { seededRandom } from '../training/random.js';
import { asCameraFrame, composeNumber, encodePng, SETS } from '../training/compose.js';
import { writeNumber } from '../test/support/strokes-from-mnist.js';

const DATA = join('loadtest', 'data');
const digits = await loadMnist('test');
const random = seededRandom(6);
await mkdir(join(DATA, 'frames'), { recursive: true });
await mkdir(join(DATA, 'uploads'), { recursive: true });

const numbers = Array.from({ length: 60 }, () => {
  const written = writeNumber(digits, random, {
    length: 3 + Math.floor(random() * 6),
    width: 800,
    height: 300,
    digitHeight: 100 + random() * 50,
    pointsEveryMs: 16,
  });
  return {
    text: written.text,
    width: 800,
    height: 300,
    strokes: written.set.strokes.map((s) => s.map(([x, y, t]) => [Math.round(x * 10) / 10, Math.round(y * 10) / 10, t])),
  };
});
await writeFile(join(DATA, 'numbers.json'), JSON.stringify(numbers));

const frames: { file: string; text: string }[] = [];
for (let i = 0; i < 12; i++) {
  const image = await composeNumber(digits, random, { ...SETS.photo, length: [3, 6] });
  const { jpeg } = await asCameraFrame(image);
  const file = `frames/${i}.jpg`;
  await writeFile(join(DATA, file), jpeg);
  frames.push({ file, text: image.text });
}
await writeFile(join(DATA, 'frames.json'), JSON.stringify(frames));

const uploads: { file: string; text: string }[] = [];
for (let i = 0; i < 12; i++) {
  const image = await composeNumber(digits, random, { ...SETS.clean, length: [3, 8] });
  const file = `uploads/${i}.png`;
  await writeFile(join(DATA, file), await encodePng(image));
  uploads.push({ file, text: image.text });
}
await writeFile(join(DATA, 'uploads.json'), JSON.stringify(uploads));
console.log(`wrote ${numbers.length} stroke sets, ${frames.length} camera frames and ${uploads.length} uploads to ${DATA}`);
