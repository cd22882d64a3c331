/**
 * Ink to pen strokes: a glyph is thinned to its centre line (Zhang-Suen) and the centre line traced
 * into polylines, in the order a person writes (from the top, then the left). Training draws
 * digits from these strokes with the serving rasteriser (pen-samples.ts); the measuring scripts
 * write numbers with them (test/support).
 */
import { cv, withMats } from '../server/ml/opencv.js';

const UPSCALE = 4;
const SIZE = 28 * UPSCALE;

/** Zhang-Suen thinning of a 0/1 image, in place. Written by hand: opencv.js lacks ximgproc's thinning. */
function thin(image: Uint8Array, width: number, height: number): void {
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= width || y >= height ? 0 : image[y * width + x]);
  let changed = true;
  while (changed) {
    changed = false;
    for (const pass of [0, 1]) {
      const remove: number[] = [];
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++) {
          if (!image[y * width + x]) continue;
          const p = [at(x, y - 1), at(x + 1, y - 1), at(x + 1, y), at(x + 1, y + 1), at(x, y + 1), at(x - 1, y + 1), at(x - 1, y), at(x - 1, y - 1)];
          const neighbours = p.reduce((a, b) => a + b, 0);
          let transitions = 0;
          for (let i = 0; i < 8; i++) if (!p[i] && p[(i + 1) % 8]) transitions++;
          const [p2, , p4, , p6, , p8] = p;
          const ok = pass === 0 ? p2 * p4 * p6 === 0 && p4 * p6 * p8 === 0 : p2 * p4 * p8 === 0 && p2 * p6 * p8 === 0;
          if (neighbours >= 2 && neighbours <= 6 && transitions === 1 && ok) remove.push(y * width + x);
        }
      for (const i of remove) image[i] = 0;
      if (remove.length) changed = true;
    }
  }
}

const OFFSETS = [
  [1, 0],
  [1, 1],
  [0, 1],
  [-1, 1],
  [-1, 0],
  [-1, -1],
  [0, -1],
  [1, -1],
];

/** Traces a one-pixel-wide skeleton into polylines: from each end point first, then round loops. */
function trace(skeleton: Uint8Array, width: number, height: number): [number, number][][] {
  const on = (x: number, y: number) => x >= 0 && y >= 0 && x < width && y < height && skeleton[y * width + x] === 1;
  const degree = (x: number, y: number) => OFFSETS.filter(([dx, dy]) => on(x + dx, y + dy)).length;
  const visited = new Uint8Array(skeleton.length);
  const strokes: [number, number][][] = [];
  const walk = (sx: number, sy: number) => {
    const stroke: [number, number][] = [[sx, sy]];
    visited[sy * width + sx] = 1;
    let [x, y] = [sx, sy];
    for (;;) {
      const next = OFFSETS.map(([dx, dy]) => [x + dx, y + dy]).find(([nx, ny]) => on(nx, ny) && !visited[ny * width + nx]);
      if (!next) break;
      [x, y] = next;
      visited[y * width + x] = 1;
      stroke.push([x, y]);
    }
    if (stroke.length >= 4) strokes.push(stroke);
  };
  const pixels: [number, number][] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (on(x, y)) pixels.push([x, y]);
  for (const [x, y] of pixels) if (!visited[y * width + x] && degree(x, y) === 1) walk(x, y);
  for (const [x, y] of pixels) if (!visited[y * width + x]) walk(x, y);
  return strokes;
}

/**
 * A loop the writer's pen filled (a bold 9 or 8 whose hole closed to a slit, or shut in MNIST's
 * 28 px) thins to a line, and the digit traces into another one (a 9 into a 1, an 8 into a 6).
 * Where the ink is much thicker than the pen elsewhere, round and compact, a hole is opened in
 * it, leaving a ring the pen's width: thinned, it is the loop the writer drew. A crossing is at
 * most about 1.4 pens' half-widths deep, and a pen's blot at a stroke's end little more.
 */
const BLOT_DEPTH = 2;
function openBlots(binary: Uint8Array, width: number, height: number): void {
  const depth = withMats(1, (distance) => {
    const source = cv.matFromArray(height, width, cv.CV_8U, binary);
    cv.distanceTransform(source, distance, cv.DIST_L2, 3);
    source.delete();
    return Float32Array.from(distance.data32F);
  });
  const skeleton = Uint8Array.from(binary);
  thin(skeleton, width, height);
  const along = depth.filter((_, i) => skeleton[i] === 1).sort((a, b) => a - b);
  if (along.length === 0) return;
  const halfPen = Math.max(1, along[Math.floor(along.length / 2)]);
  // Cores of blots: regions deeper than BLOT_DEPTH half-pens, each opened round its deepest point.
  const cores = withMats(3, (labels, stats, centroids) => {
    const deep = cv.matFromArray(
      height,
      width,
      cv.CV_8U,
      Uint8Array.from(depth, (d) => (d > BLOT_DEPTH * halfPen ? 1 : 0)),
    );
    const count = cv.connectedComponentsWithStats(deep, labels, stats, centroids, 4, cv.CV_32S);
    deep.delete();
    const deepest = new Int32Array(count).fill(-1);
    labels.data32S.forEach((label, i) => {
      if (label > 0 && (deepest[label] < 0 || depth[i] > depth[deepest[label]])) deepest[label] = i;
    });
    return Array.from({ length: count - 1 }, (_, k) => ({
      longer: Math.max(stats.intAt(k + 1, cv.CC_STAT_WIDTH), stats.intAt(k + 1, cv.CC_STAT_HEIGHT)),
      centre: deepest[k + 1],
    }));
  });
  for (const { longer, centre } of cores) {
    // A long core is a thick stroke, not a filled loop.
    if (longer > 3 * halfPen) continue;
    const radius = depth[centre] - halfPen;
    const cx = centre % width,
      cy = Math.floor(centre / width);
    for (let y = Math.max(0, Math.floor(cy - radius)); y <= Math.min(height - 1, Math.ceil(cy + radius)); y++)
      for (let x = Math.max(0, Math.floor(cx - radius)); x <= Math.min(width - 1, Math.ceil(cx + radius)); x++)
        if ((x - cx) ** 2 + (y - cy) ** 2 <= radius * radius) binary[y * width + x] = 0;
  }
}

/**
 * A glyph (0..1 ink on black, any size) as strokes in a unit box (x, y in 0..1 of its height), in
 * drawing order: scaled to a 112 px square, thresholded, thinned and traced.
 */
export function glyphStrokes(ink: Float32Array, width: number, height: number): [number, number][][] {
  const binary = withMats(1, (large) => {
    const source = cv.matFromArray(height, width, cv.CV_32F, ink);
    cv.resize(source, large, new cv.Size(SIZE, SIZE), 0, 0, cv.INTER_LINEAR);
    source.delete();
    return Uint8Array.from(large.data32F, (v) => (v > 0.35 ? 1 : 0));
  });
  openBlots(binary, SIZE, SIZE);
  thin(binary, SIZE, SIZE);
  const strokes = trace(binary, SIZE, SIZE).map((s) => s.filter((_, i) => i % 3 === 0 || i === s.length - 1));
  let top = Infinity,
    bottom = -Infinity;
  for (const s of strokes)
    for (const [, y] of s) {
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
  const scale = 1 / Math.max(1, bottom - top);
  // People write from the top and from the left.
  return strokes
    .map((s) => s.map(([x, y]): [number, number] => [x * scale, (y - top) * scale]))
    .sort((a, b) => Math.min(...a.map((p) => p[1])) - Math.min(...b.map((p) => p[1])) || a[0][0] - b[0][0]);
}
