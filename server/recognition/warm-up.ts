/**
 * A worker's first reading runs the pipeline's JavaScript and opencv-wasm cold: on this project's
 * 2-core machine a camera frame that takes about 100 ms once warm took about 580 ms as the first,
 * which a person holding a card up to the camera sees as the slowest answer of all. So each worker
 * reads a small written number once, as strokes, as a scan and as a camera frame, before it takes
 * work. Code a warm-up does not run stays cold: with the scan alone, a worker's first two or three
 * camera frames still took two to three times their time once warm (bench photos: 110-150 ms against 40-70),
 * most of it in binarising unevenly lit paper and in cutting touching digits.
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

/** WARM_UP_NUMBER with its 7 moved left to touch the 0: ink the reading must cut (split.ts). */
const TOUCHING_7_SHIFT = 36;
const WARM_UP_TOUCHING: StrokeSet = {
  ...WARM_UP_NUMBER,
  strokes: WARM_UP_NUMBER.strokes.map((stroke, index) => (index < 2 ? stroke : stroke.map(([x, y, t]): StrokePoint => [x - TOUCHING_7_SHIFT, y, t]))),
};

const CAMERA_WIDTH = 640;
const CAMERA_HEIGHT = 480;
/** The number's height in the camera frame: writing of an ordinary size, read at full size. */
const CAMERA_WRITING_HEIGHT = 90;

/**
 * Ink as a webcam would see it on paper: grey on a sheet whose light falls off across the frame,
 * as a JPEG. Evenly lit, a frame takes the scan's path (one threshold); this one takes the
 * camera's (the background estimated twice, ruled lines looked for, the pen's width measured).
 */
async function cameraFrame(ink: { width: number; height: number; intensity: Uint8Array }): Promise<Buffer> {
  const { data: strokes, info } = await sharp(ink.intensity, { raw: { width: ink.width, height: ink.height, channels: 1 } })
    .resize({ height: CAMERA_WRITING_HEIGHT })
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const left = Math.round((CAMERA_WIDTH - info.width) / 2),
    top = Math.round((CAMERA_HEIGHT - info.height) / 2);
  const frame = new Uint8Array(CAMERA_WIDTH * CAMERA_HEIGHT);
  for (let y = 0; y < CAMERA_HEIGHT; y++)
    for (let x = 0; x < CAMERA_WIDTH; x++) {
      const paper = 215 - (70 * (x + y)) / (CAMERA_WIDTH + CAMERA_HEIGHT);
      const inside = x >= left && y >= top && x < left + info.width && y < top + info.height;
      const inkShare = inside ? strokes[(y - top) * info.width + (x - left)] / 255 : 0;
      frame[y * CAMERA_WIDTH + x] = Math.round(paper * (1 - 0.7 * inkShare));
    }
  return sharp(frame, { raw: { width: CAMERA_WIDTH, height: CAMERA_HEIGHT, channels: 1 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/**
 * Reads WARM_UP_NUMBER as pen strokes with `penClassifier` and drawn as a PNG with `classifier`,
 * and WARM_UP_TOUCHING as a camera frame with `classifier`; returns the readings' text (a warm-up
 * that found no digits would leave most of the pipeline cold).
 */
export async function warmUp(classifier: DigitClassifier, penClassifier: DigitClassifier): Promise<{ strokes: string; image: string; camera: string }> {
  const strokes = await recognizeStrokes(WARM_UP_NUMBER, penClassifier);
  const { ink } = rasterizeStrokes(WARM_UP_NUMBER);
  const png = await sharp(
    Uint8Array.from(ink.intensity, (v) => 255 - v),
    { raw: { width: ink.width, height: ink.height, channels: 1 } },
  )
    // Placed in a frame of a camera's size: working at that size grows opencv-wasm's memory once, here.
    .extend({ top: 180, bottom: CAMERA_HEIGHT - 180 - ink.height, left: 200, right: CAMERA_WIDTH - 200 - ink.width, background: '#ffffff' })
    .png()
    .toBuffer();
  const image = await recognizeImage(png, classifier);
  const camera = await recognizeImage(await cameraFrame(rasterizeStrokes(WARM_UP_TOUCHING).ink), classifier);
  return { strokes: strokes.text, image: image.text, camera: camera.text };
}
