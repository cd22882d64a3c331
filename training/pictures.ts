/**
 * Pictures that are not writing, for the reject class ("not one digit"): a webcam sees logos,
 * stickers, printed shapes and test patterns beside or instead of a number, and a network that has
 * only ever been shown digits reads a filled blob as a confident 8 or 0. These shapes are drawn by
 * OpenCV's primitives, apart from the held-out photo set's own pictures (test/support/photo-sets.ts).
 *
 * Left out on purpose, because they are digits or separators as people write them: a single ring
 * (a 0), a bar (a 1 or a minus), a slashed ring (a slashed 0).
 */
import { cv, withMats, type Mat } from '../server/ml/opencv.js';
import { normalizeDigit } from '../server/ml/normalize.js';
import { uniform, type Random } from './random.js';

const CANVAS = 64;
const INK = new cv.Scalar(1);
const FILLED = -1;

type Point = [number, number];

const toPoints = (points: Point[]) => cv.matFromArray(points.length, 1, cv.CV_32SC2, points.flat().map(Math.round));

function fillPolygon(canvas: Mat, points: Point[]): void {
  const mat = toPoints(points);
  cv.fillConvexPoly(canvas, mat, INK, cv.LINE_AA);
  mat.delete();
}

/** Points round an ellipse at jittered angles, starting anywhere. */
function roundPoints(random: Random, count: number, cx: number, cy: number, rx: number, ry: number, jitter = 0.3): Point[] {
  const start = uniform(random, 0, 2 * Math.PI);
  return Array.from({ length: count }, (_, i) => {
    const angle = start + ((i + uniform(random, -jitter, jitter)) * 2 * Math.PI) / count;
    return [cx + rx * Math.cos(angle), cy + ry * Math.sin(angle)];
  });
}

const SHAPES: ((canvas: Mat, random: Random) => void)[] = [
  // A filled convex polygon: a triangle to a hexagon.
  (canvas, random) => fillPolygon(canvas, roundPoints(random, 3 + Math.floor(random() * 4), 32, 32, uniform(random, 14, 28), uniform(random, 14, 28))),
  // A star, filled or outlined.
  (canvas, random) => {
    const tips = 5 + Math.floor(random() * 4),
      outer = uniform(random, 18, 28),
      inner = outer * uniform(random, 0.35, 0.6);
    const start = uniform(random, 0, 2 * Math.PI);
    const points: Point[] = Array.from({ length: 2 * tips }, (_, i) => {
      const r = i % 2 === 0 ? outer : inner,
        angle = start + (i * Math.PI) / tips;
      return [32 + r * Math.cos(angle), 32 + r * Math.sin(angle)];
    });
    const thickness = random() < 0.5 ? FILLED : Math.round(uniform(random, 2, 5));
    // A star is not convex: its points and the centre make triangles.
    for (let i = 0; i < points.length; i++) {
      if (thickness === FILLED) fillPolygon(canvas, [[32, 32], points[i], points[(i + 1) % points.length]]);
      else cv.line(canvas, new cv.Point(...points[i]), new cv.Point(...points[(i + 1) % points.length]), INK, thickness, cv.LINE_AA);
    }
  },
  // A disc or an ellipse with a sector missing.
  (canvas, random) => {
    const start = uniform(random, 0, 360);
    cv.ellipse(
      canvas,
      new cv.Point(32, 32),
      new cv.Size(uniform(random, 16, 28), uniform(random, 16, 28)),
      uniform(random, 0, 180),
      start,
      start + uniform(random, 200, 330),
      INK,
      FILLED,
      cv.LINE_AA,
    );
  },
  // Concentric rings, or a target with a filled centre.
  (canvas, random) => {
    const outer = uniform(random, 18, 28),
      rings = 2 + Math.floor(random() * 2),
      thickness = Math.max(2, Math.round(outer / (rings * 3)));
    for (let r = 0; r < rings; r++) cv.circle(canvas, new cv.Point(32, 32), Math.round(outer * (1 - r / rings)), INK, thickness, cv.LINE_AA);
    if (random() < 0.5) cv.circle(canvas, new cv.Point(32, 32), Math.round(outer / (rings * 2)), INK, FILLED, cv.LINE_AA);
  },
  // A grid or hatching: several parallel lines, sometimes crossed by several more.
  (canvas, random) => {
    const lines = 3 + Math.floor(random() * 4),
      angle = uniform(random, 0, Math.PI),
      thickness = Math.round(uniform(random, 2, 5));
    const crossed = random() < 0.6;
    for (const a of crossed ? [angle, angle + uniform(random, 1, 2.1)] : [angle]) {
      const [dx, dy] = [Math.cos(a), Math.sin(a)];
      for (let i = 0; i < lines; i++) {
        const offset = (i - (lines - 1) / 2) * uniform(random, 7, 10);
        const [ox, oy] = [32 - dy * offset, 32 + dx * offset];
        cv.line(canvas, new cv.Point(ox - dx * 26, oy - dy * 26), new cv.Point(ox + dx * 26, oy + dy * 26), INK, thickness, cv.LINE_AA);
      }
    }
  },
  // A filled blob: a disc, an ellipse or a rounded block, near square.
  (canvas, random) => {
    const rx = uniform(random, 14, 26),
      ry = rx * uniform(random, 0.65, 1.5);
    if (random() < 0.5) cv.ellipse(canvas, new cv.Point(32, 32), new cv.Size(rx, ry), uniform(random, 0, 180), 0, 360, INK, FILLED, cv.LINE_AA);
    else fillPolygon(canvas, roundPoints(random, 4, 32, 32, rx, ry, 0.08));
  },
  // A checkerboard patch.
  (canvas, random) => {
    const cells = 3 + Math.floor(random() * 3),
      size = uniform(random, 7, 11),
      origin = 32 - (cells * size) / 2;
    for (let row = 0; row < cells; row++)
      for (let col = row % 2; col < cells; col += 2)
        fillPolygon(canvas, [
          [origin + col * size, origin + row * size],
          [origin + (col + 1) * size, origin + row * size],
          [origin + (col + 1) * size, origin + (row + 1) * size],
          [origin + col * size, origin + (row + 1) * size],
        ]);
  },
  // A spiral of two or more turns.
  (canvas, random) => {
    const turns = uniform(random, 2, 3.5),
      outer = uniform(random, 18, 28),
      thickness = Math.round(uniform(random, 2, 4)),
      start = uniform(random, 0, 2 * Math.PI);
    const steps = Math.round(turns * 40);
    let previous: Point = [32, 32];
    for (let i = 1; i <= steps; i++) {
      const t = i / steps,
        angle = start + t * turns * 2 * Math.PI;
      const point: Point = [32 + outer * t * Math.cos(angle), 32 + outer * t * Math.sin(angle)];
      cv.line(canvas, new cv.Point(...previous), new cv.Point(...point), INK, thickness, cv.LINE_AA);
      previous = point;
    }
  },
];

/** One picture that is not writing, normalised like any digit the pipeline cuts out. */
export function notWriting(random: Random): Float32Array {
  const canvas = new cv.Mat(CANVAS, CANVAS, cv.CV_32F, new cv.Scalar(0));
  try {
    SHAPES[Math.floor(random() * SHAPES.length)](canvas, random);
    withMats(1, (scratch) => {
      // Seen through a camera: sometimes soft, sometimes thresholded hard.
      if (random() < 0.3) {
        const sigma = uniform(random, 0.5, 1.5);
        cv.GaussianBlur(canvas, scratch, new cv.Size(0, 0), sigma, sigma, cv.BORDER_CONSTANT);
        scratch.copyTo(canvas);
      }
      if (random() < 0.4) {
        cv.threshold(canvas, scratch, uniform(random, 0.3, 0.6), 1, cv.THRESH_BINARY);
        scratch.copyTo(canvas);
      }
    });
    return normalizeDigit({ width: CANVAS, height: CANVAS, data: Float32Array.from(canvas.data32F) }, 'light-on-dark');
  } finally {
    canvas.delete();
  }
}
