/**
 * Pen strokes drawn as pixels: a group of strokes as one digit for the network, and a whole canvas
 * (for joined-up writing cut as pixels, and for tools that want a picture of the ink).
 */
import { cv } from '../../ml/opencv.js';
import { normalizeDigit } from '../../ml/normalize.js';
import type { InkImage } from '../binarize.js';
import type { StrokePoint, StrokeSet } from '../strokes.js';
import { continuesAfterSkip, extentOf, headingOf, penStroke, sheared, writingHeight, type PenStroke } from './ink.js';

/** The group's longer side is drawn this many pixels long: plenty for a 20 px model box. */
const DRAWN_SIZE = 48;
/** MNIST's strokes are about a ninth of a digit's longer side wide. */
const PEN_WIDTH = Math.round(DRAWN_SIZE / 9);
const MARGIN = PEN_WIDTH;
/** Points closer than this (drawn pixels) to the last one kept add nothing the pen width does not cover. */
const MIN_SEGMENT_PIXELS = 0.75;

/**
 * Groups drawn lately, by their strokes' keys: while a person writes, every reading draws the same
 * groups again (all but those the new stroke joins), and drawing costs more than the network's
 * cached reading of them. Per worker thread; the Map's insertion order is the eviction order.
 */
const drawn = new Map<string, Float32Array>();
const DRAWN_KEPT = 4096;

/**
 * A group drawn on its own (so its pixels, and the network's reading of them, depend on nothing
 * else on the canvas), at a fixed size, with a pen as wide relative to the digit as MNIST's, then
 * through the one digit normalisation.
 */
export function drawGroup(group: readonly PenStroke[]): Float32Array {
  // One digit leans one way: its strokes are stood upright by the lean known when its first was
  // written (see upright), so a stroke added late draws no askew from the rest of its digit.
  const first = group.reduce((a, b) => (b.index < a.index ? b : a));
  // Keys are the ink as written; the same ink stood upright by another lean draws otherwise. The
  // drawing does not depend on where the shear turns: it is fitted to the group's own extent.
  const key = group.map((s) => `${s.key}/${first.shear}`).join('|');
  const known = drawn.get(key);
  if (known) {
    drawn.delete(key);
    drawn.set(key, known);
    return known;
  }
  const input = drawUncached(group.map((s) => sheared(s, first.shear, first.shearOrigin)));
  drawn.set(key, input);
  if (drawn.size > DRAWN_KEPT) drawn.delete(drawn.keys().next().value as string);
  return input;
}

/**
 * Draws strokes as one digit with a pen `penWidth` of the longer side wide (serving uses MNIST's
 * ninth; training also draws thinner and bolder pens, through this same drawing).
 */
export function drawDigit(strokes: readonly PenStroke[], penWidth = 1 / 9): Float32Array {
  return drawUncached(strokes, Math.max(1, Math.round(DRAWN_SIZE * penWidth)));
}

function drawUncached(strokes: readonly PenStroke[], pen = PEN_WIDTH): Float32Array {
  const extent = extentOf(strokes);
  const longer = Math.max(extent.right - extent.left, extent.bottom - extent.top, 1e-6);
  const scale = DRAWN_SIZE / longer;
  const margin = Math.max(MARGIN, pen);
  const width = Math.ceil((extent.right - extent.left) * scale) + 2 * margin + 1;
  const height = Math.ceil((extent.bottom - extent.top) * scale) + 2 * margin + 1;
  const canvas = new cv.Mat(height, width, cv.CV_8U, new cv.Scalar(0));
  try {
    const white = new cv.Scalar(255);
    const placed = ([x, y]: StrokePoint) => ({ x: (x - extent.left) * scale + margin, y: (y - extent.top) * scale + margin });
    const at = (point: { x: number; y: number }) => new cv.Point(point.x, point.y);
    // Where the pen skipped (see continuesAfterSkip) it went on drawing: the gap is ink the device
    // lost, and left open it can turn a 9's loop into a 7's hook.
    for (const stroke of strokes) {
      const next = strokes.find((s) => s.index === stroke.index + 1);
      // The group is one digit already: no width to check it against the writing's height.
      if (!next || !continuesAfterSkip(stroke, next, Infinity)) continue;
      const path = skippedPath(stroke.points, next.points).map(placed);
      for (let i = 1; i < path.length; i++) cv.line(canvas, at(path[i - 1]), at(path[i]), white, pen, cv.LINE_AA);
    }
    for (const stroke of strokes) {
      let previous: { x: number; y: number } | undefined;
      const { points } = stroke;
      for (let i = 0; i < points.length; i++) {
        const point = placed(points[i]);
        if (previous && i < points.length - 1 && Math.hypot(point.x - previous.x, point.y - previous.y) < MIN_SEGMENT_PIXELS) continue;
        if (previous) cv.line(canvas, at(previous), at(point), white, pen, cv.LINE_AA);
        else if (points.length === 1) cv.circle(canvas, at(point), pen / 2, white, -1, cv.LINE_AA);
        previous = point;
      }
    }
    return normalizeDigit({ width, height, data: canvas.data }, 'light-on-dark');
  } finally {
    canvas.delete();
  }
}

/** Points drawn along the path the pen took while it skipped. */
const SKIPPED_PATH_POINTS = 8;

/**
 * The path the pen took between the end of `a` and the start of `b` while the device lost it: a
 * curve leaving along a's last heading and arriving along b's first (a cubic Hermite curve, its
 * tangents as long as the gap). A straight line would cut across a loop where the samples lost
 * were on a curve (a 0's side, the bowl of a 6), flattening the digit.
 */
function skippedPath(a: readonly StrokePoint[], b: readonly StrokePoint[]): StrokePoint[] {
  const [p0, p1] = [a[a.length - 1], b[0]];
  const gap = Math.hypot(p1[0] - p0[0], p1[1] - p0[1]);
  // A tangent as long as the gap; the gap itself where the stroke ends on a repeated sample.
  const heading = (from: StrokePoint, to: StrokePoint): [number, number] => {
    const [ux, uy] = headingOf(from, to);
    return ux || uy ? [ux * gap, uy * gap] : [p1[0] - p0[0], p1[1] - p0[1]];
  };
  const [m0, m1] = [heading(a[a.length - 2], p0), heading(p1, b[1])];
  return Array.from({ length: SKIPPED_PATH_POINTS + 1 }, (_, i): StrokePoint => {
    const t = i / SKIPPED_PATH_POINTS,
      t2 = t * t,
      t3 = t2 * t;
    const [h00, h10, h01, h11] = [2 * t3 - 3 * t2 + 1, t3 - 2 * t2 + t, -2 * t3 + 3 * t2, t3 - t2];
    return [h00 * p0[0] + h10 * m0[0] + h01 * p1[0] + h11 * m1[0], h00 * p0[1] + h10 * m0[1] + h01 * p1[1] + h11 * m1[1]];
  });
}

/** A canvas's writing is drawn so that a digit is about this many pixels tall. */
const CANVAS_DIGIT_HEIGHT = 48;
const CANVAS_PEN_WIDTH = Math.round(CANVAS_DIGIT_HEIGHT / 9);
/** The drawing's area never exceeds this, whatever the canvas and writing sizes. */
const MAX_CANVAS_PIXELS = 4_000_000;

export interface StrokeRaster {
  ink: InkImage;
  /** Canvas units per raster pixel. */
  scale: number;
  /** Canvas position of the raster's top-left corner. */
  origin: { x: number; y: number };
}

/**
 * Draws the strokes over their own extent (not the whole canvas, so that a dot on a huge canvas
 * costs a dot), at a scale that makes the writing about CANVAS_DIGIT_HEIGHT pixels tall.
 */
export function rasterizeStrokes(set: StrokeSet): StrokeRaster {
  const height = writingHeight(set.strokes.map((points, index) => penStroke(points, index)));
  const margin = Math.max(height, 1) * 0.25;
  let firstX = Infinity,
    firstY = Infinity,
    lastX = -Infinity,
    lastY = -Infinity;
  for (const stroke of set.strokes) {
    for (const [x, y] of stroke) {
      firstX = Math.min(firstX, x - margin);
      firstY = Math.min(firstY, y - margin);
      lastX = Math.max(lastX, x + margin);
      lastY = Math.max(lastY, y + margin);
    }
  }
  // Dots and lines without height are drawn at canvas scale.
  const pixelsPerUnit = Math.min(
    height > 0 ? Math.min(8, CANVAS_DIGIT_HEIGHT / height) : 1,
    Math.sqrt(MAX_CANVAS_PIXELS / ((lastX - firstX) * (lastY - firstY))),
  );
  const left = Math.floor(firstX * pixelsPerUnit) / pixelsPerUnit;
  const top = Math.floor(firstY * pixelsPerUnit) / pixelsPerUnit;
  const rasterWidth = Math.max(1, Math.ceil((lastX - left) * pixelsPerUnit));
  const rasterHeight = Math.max(1, Math.ceil((lastY - top) * pixelsPerUnit));
  const toRaster = ([x, y]: StrokePoint): [number, number] => [(x - left) * pixelsPerUnit, (y - top) * pixelsPerUnit];
  const canvas = new cv.Mat(rasterHeight, rasterWidth, cv.CV_8U, new cv.Scalar(0));
  let intensity: Uint8Array;
  try {
    const white = new cv.Scalar(255);
    for (const stroke of set.strokes) {
      let previous: [number, number] | undefined;
      for (let i = 0; i < stroke.length; i++) {
        const [x, y] = toRaster(stroke[i]);
        if (previous && i < stroke.length - 1 && Math.hypot(x - previous[0], y - previous[1]) < MIN_SEGMENT_PIXELS) continue;
        if (previous) cv.line(canvas, new cv.Point(previous[0], previous[1]), new cv.Point(x, y), white, CANVAS_PEN_WIDTH, cv.LINE_AA);
        else if (stroke.length === 1) cv.circle(canvas, new cv.Point(x, y), CANVAS_PEN_WIDTH / 2, white, -1, cv.LINE_AA);
        previous = [x, y];
      }
    }
    intensity = canvas.data.slice();
  } finally {
    canvas.delete();
  }
  const mask = new Uint8Array(intensity.length);
  for (let i = 0; i < intensity.length; i++) mask[i] = intensity[i] >= 96 ? 255 : 0;
  return {
    ink: { width: rasterWidth, height: rasterHeight, mask, intensity, polarity: 'light-on-dark', method: 'otsu', threshold: 96 },
    scale: 1 / pixelsPerUnit,
    origin: { x: left, y: top },
  };
}
