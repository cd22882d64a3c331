/**
 * A worker's first reading runs the pipeline's JavaScript and opencv-wasm cold: on this project's
 * 2-core machine a camera frame that takes about 100 ms once warm took about 580 ms as the first,
 * which a person holding a card up to the camera sees as the slowest answer of all. So each worker
 * reads a small written number once, as strokes and as an image, before it takes work.
 */
import sharp from 'sharp';
import type { DigitClassifier } from './classifier.js';
import { rasterizeStrokes } from './pen/raster.js';
import { recognizeImage } from './recognize.js';
import { recognizeStrokes, type StrokePoint, type StrokeSet } from './strokes.js';

const along = (points: [number, number][], startMs: number): StrokePoint[] => points.map(([x, y], i) => [x, y, startMs + 16 * i]);

/** "107", 60 units tall: a straight stroke, a loop and a two-stroke digit. */
const WARM_UP_NUMBER: StrokeSet = {
  width: 240,
  height: 120,
  strokes: [
    along(
      [
        [40, 30],
        [40, 60],
        [40, 90],
      ],
      0,
    ),
    along(
      Array.from({ length: 17 }, (_, i): [number, number] => [100 + 20 * Math.sin((i / 16) * 2 * Math.PI), 60 - 30 * Math.cos((i / 16) * 2 * Math.PI)]),
      600,
    ),
    along(
      [
        [150, 30],
        [190, 30],
      ],
      1200,
    ),
    along(
      [
        [190, 30],
        [175, 60],
        [165, 90],
      ],
      1600,
    ),
  ],
};

/**
 * Reads WARM_UP_NUMBER as pen strokes with `penClassifier` and drawn as a PNG with `classifier`;
 * returns both readings' text (a warm-up that found no digits would leave most of the pipeline cold).
 */
export async function warmUp(classifier: DigitClassifier, penClassifier: DigitClassifier): Promise<{ strokes: string; image: string }> {
  const strokes = await recognizeStrokes(WARM_UP_NUMBER, penClassifier);
  const { ink } = rasterizeStrokes(WARM_UP_NUMBER);
  const png = await sharp(
    Uint8Array.from(ink.intensity, (v) => 255 - v),
    { raw: { width: ink.width, height: ink.height, channels: 1 } },
  )
    // Placed in a frame of a camera's size: working at that size grows opencv-wasm's memory once, here.
    .extend({ top: 180, bottom: 480 - 180 - ink.height, left: 200, right: 640 - 200 - ink.width, background: '#ffffff' })
    .png()
    .toBuffer();
  const image = await recognizeImage(png, classifier);
  return { strokes: strokes.text, image: image.text };
}
