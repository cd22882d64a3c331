/**
 * A group of pen strokes drawn as one digit for the network: drawn on its own (so its pixels, and
 * the network's reading of them, depend on nothing else on the canvas), at a fixed size, with a pen
 * as wide relative to the digit as MNIST's, then through the one digit normalisation.
 */
import { cv } from '../../ml/opencv.js';
import { normalizeDigit } from '../../ml/normalize.js';
import { extentOf, type PenStroke } from './ink.js';

/** The group's longer side is drawn this many pixels long: plenty for a 20 px model box. */
const DRAWN_SIZE = 48;
/** MNIST's strokes are about a ninth of a digit's longer side wide. */
const PEN_WIDTH = Math.round(DRAWN_SIZE / Number(process.env.PEN_DIV ?? 9));
const MARGIN = PEN_WIDTH;
/** Points closer than this (drawn pixels) to the last one kept add nothing the pen width does not cover. */
const MIN_SEGMENT_PIXELS = 0.75;

export function drawGroup(strokes: readonly PenStroke[]): Float32Array {
  const extent = extentOf(strokes);
  const longer = Math.max(extent.right - extent.left, extent.bottom - extent.top, 1e-6);
  const scale = DRAWN_SIZE / longer;
  const width = Math.ceil((extent.right - extent.left) * scale) + 2 * MARGIN + 1;
  const height = Math.ceil((extent.bottom - extent.top) * scale) + 2 * MARGIN + 1;
  const canvas = new cv.Mat(height, width, cv.CV_8U, new cv.Scalar(0));
  try {
    const white = new cv.Scalar(255);
    for (const stroke of strokes) {
      let previous: { x: number; y: number } | undefined;
      const { points } = stroke;
      for (let i = 0; i < points.length; i++) {
        const x = (points[i][0] - extent.left) * scale + MARGIN,
          y = (points[i][1] - extent.top) * scale + MARGIN;
        if (previous && i < points.length - 1 && Math.hypot(x - previous.x, y - previous.y) < MIN_SEGMENT_PIXELS) continue;
        const point = new cv.Point(x, y);
        if (previous) cv.line(canvas, new cv.Point(previous.x, previous.y), point, white, PEN_WIDTH, cv.LINE_AA);
        else if (points.length === 1) cv.circle(canvas, point, PEN_WIDTH / 2, white, -1, cv.LINE_AA);
        previous = { x, y };
      }
    }
    return normalizeDigit({ width, height, data: canvas.data }, 'light-on-dark');
  } finally {
    canvas.delete();
  }
}
