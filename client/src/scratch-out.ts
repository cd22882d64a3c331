import type { Point, StrokeId } from '../../shared/protocol.js';

/** Horizontal direction reversals that make a stroke a scratch-out rather than writing. */
const MIN_REVERSALS = 4;

/**
 * Whether a stroke is a scratch-out: it runs back and forth sideways at least MIN_REVERSALS times
 * over a band flatter than it is wide (a 2, 3 or 8 reverses at most twice or three times, and
 * mostly vertically). Written by hand: no gesture library covers this one shape.
 */
export function isScratchOut(points: readonly Point[]): boolean {
  if (points.length < 8) return false;
  let reversals = 0;
  let direction = 0;
  let minX = Infinity,
    maxX = -Infinity,
    minY = Infinity,
    maxY = -Infinity;
  for (let i = 1; i < points.length; i++) {
    const dx = points[i][0] - points[i - 1][0];
    minX = Math.min(minX, points[i][0]);
    maxX = Math.max(maxX, points[i][0]);
    minY = Math.min(minY, points[i][1]);
    maxY = Math.max(maxY, points[i][1]);
    if (Math.abs(dx) < 2) continue;
    const sign = Math.sign(dx);
    if (direction !== 0 && sign !== direction) reversals++;
    direction = sign;
  }
  return reversals >= MIN_REVERSALS && maxX - minX > 0.6 * (maxY - minY);
}

/** Strokes with a point within `reach` of the path: what an eraser or a scratch-out touches. */
export function strokesTouched(path: readonly Point[], strokes: readonly { id: StrokeId; points: readonly Point[] }[], reach: number): StrokeId[] {
  const near = (p: Point) => path.some((q) => (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 <= reach * reach);
  return strokes.filter((s) => s.points.some(near)).map((s) => s.id);
}
