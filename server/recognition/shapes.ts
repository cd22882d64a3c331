/**
 * Pictures are not writing. A filled shape (a disc, a face, a block, a logo) that the threshold
 * takes whole is ink far thicker than any pen stroke for its size, and a face's eyes and mouth would
 * read as the loops of an 8. Writing is strokes: a disc nearly its own size fits in such a shape,
 * about half its size in the boldest blurred marker digit. And a hand does not draw circles or
 * straight-sided blocks: ink whose outline follows a circle its own size, seen at a slant or cut by
 * the frame (a ring, a pie, a logo's disc), or four straight sides that it fills (a bar, a block),
 * was drawn by a machine or a compass; a written 0 wobbles off any ellipse, and a pen's stroke ends
 * round.
 */
import { cv, withMats } from '../ml/opencv.js';
import { findComponents, touchesBorder, type Box, type InkComponent } from './components.js';

/**
 * Solid ink: once its small holes are filled, a disc this share of its longer side across fits in
 * it. A disc or a face holds one nearly its own size; the boldest writing (MNIST's strokes scaled
 * up, a marker blurred by the camera, its loops closed to slits) holds 0.7 at most.
 */
const SOLID_DISC = 0.6;
/**
 * And the disc is at least this many pixels across. A camera's blur and a marker's width add a few
 * pixels whatever the digit's size, so small digits can be nearly solid; no pen stroke is this wide.
 */
const MIN_SOLID_DISC = 48;
/**
 * And the filled ink is convex, this share of its hull or more: a disc, a face, a block. Bold
 * digits bend and notch (a blotted 4 fills 0.89 of its hull).
 */
const MIN_CONVEXITY = 0.9;
/**
 * Holes smaller than this share of the filled ink are filled first: eyes, a mouth, a logo's
 * lettering. A digit's loops are larger (an 8's each hold a sixth of it).
 */
const SMALL_HOLE = 0.08;

/**
 * An outline is round when this share of its points lie within ROUND_TOLERANCE of one ellipse (a
 * circle seen at the slant a camera sees paper at), or, for ink the frame cuts, of it and one inside
 * it with the same centre and axes (a ring's inner edge, which its outline follows where the frame
 * cuts the ring open).
 * Points on the frame's border are not the shape's: a shape the frame cuts is judged by the rest.
 */
const ROUND_SHARE = 0.8;
/**
 * In units of the ellipse's size. A drawn ring's outline keeps within a pixel of its ellipse; a
 * written 0's wobbles off any: in 800 frames of numbers of MNIST validation digits (photos and
 * scans), no digit had more than two thirds of its outline this close to one.
 */
const ROUND_TOLERANCE = 0.02;
/** A circle at a slant: the ellipse's axes within this ratio. Written 0s are mostly narrower. */
const ROUND_AXES = 0.8;
/**
 * A solid round shape (a disc with a wedge cut out, as a camera's test pattern draws) needs only
 * this share of its outline on the ellipse, its cut edges being straight, when its ink covers
 * PIE_FILL of the ellipse or more (a ring covers about a third) and its outline reaches within
 * PIE_NOTCH of the centre: the wedge's point. A bold digit can fill its ellipse as much, but its
 * outline stays near the ellipse all round.
 */
const PIE_SHARE = 0.45;
const PIE_FILL = 0.6;
const PIE_NOTCH = 0.25;
/** The ellipse is the ink's own size: its box, where the frame does not cut it, within this ratio of the ink's (a line fits a huge circle). */
const ROUND_SIZE = 1.4;
/** Round shapes drawn over each other, up to this many: each ellipse takes OVERLAPPING_EACH of the outline, ROUND_SHARE together. */
const MAX_OVERLAPPING = 3;
const OVERLAPPING_EACH = 0.15;

/** A block's sides: straight to this share of its shorter side. */
const BLOCK_SIDES = 0.08;
/**
 * A block's ink fills its outline, and its outline the four sides' polygon, to within this share
 * either way (a blotted digit's outline bulges beyond four sides, and thin parts of it enclose little).
 */
const BLOCK_FILL = 0.94;

/**
 * A solid or round shape in a line of ink its own height is a digit (a marker 0 blotted shut, a
 * round 0): pictures stand apart from writing, or differ from it in size, or overlap each other.
 */
const LINE_HEIGHT = [0.7, 1.4];
/** Centres this share of the shape's height apart, or less, are on one line. */
const LINE_CENTRES = 0.3;
/** Neighbours in a line of writing are apart by at most the shape's height, and barely overlap. */
const LINE_GAP = [-0.1, 1];

/**
 * Clears from `mask` the shapes that stand apart from the writing: filled ones with whatever lies
 * inside them, round ones alone (a circle drawn round a number leaves the number).
 */
export function withoutShapes(mask: Uint8Array, width: number, height: number): void {
  const { labels, components } = findComponents(mask, width, height);
  const shapes: { component: InkComponent; pixels: () => number[] }[] = [];
  for (const component of components) {
    const longer = Math.max(component.width, component.height),
      shorter = Math.min(component.width, component.height);
    if (longer < MIN_SOLID_DISC) continue;
    // What no disc that size could fit in, and what is too long to be round, is judged no further:
    // most writing, at the cost of a few comparisons.
    if (shorter >= Math.max(MIN_SOLID_DISC, SOLID_DISC * longer)) {
      const crop = new ComponentCrop(component, labels, width, height);
      // Ink that reaches all four sides of the frame has no outside to tell its holes by.
      if (crop.outside.size > 0 && crop.isSolid()) {
        shapes.push({ component, pixels: () => crop.inkAndInside() });
        continue;
      }
    }
    // The outline, in the component's box, once for both tests below.
    let outline: Int32Array | undefined;
    const outlineOf = () => (outline ??= outerOutline(componentMask(component, labels, width), component.width, component.height));
    if (shorter >= MIN_SOLID_DISC && isBlock(component, outlineOf())) {
      shapes.push({ component, pixels: () => pixelsOf(component, labels, width) });
      continue;
    }
    // A shape the frame cuts may be any part of its ellipse; two drawn over each other, as long as both.
    const cut = touchesBorder(component, width, height);
    if ((cut || shorter * 2 * ROUND_SIZE >= longer) && isRound(component, outlineOf(), labels, width, height, cut))
      shapes.push({ component, pixels: () => pixelsOf(component, labels, width) });
  }
  if (shapes.length === 0) return;
  const writing = components.filter((c) => !shapes.some((shape) => shape.component === c));
  for (const { component, pixels } of shapes) if (!inLineWithWriting(component, writing)) for (const i of pixels()) mask[i] = 0;
}

/** Frame indices of `component`'s own pixels. */
function pixelsOf(component: InkComponent, labels: Int32Array, frameWidth: number): number[] {
  const indices: number[] = [];
  for (let y = component.y; y < component.y + component.height; y++)
    for (let x = component.x; x < component.x + component.width; x++) if (labels[y * frameWidth + x] === component.labels[0]) indices.push(y * frameWidth + x);
  return indices;
}

/** `component`'s own ink in its box, 0/255. */
function componentMask(component: InkComponent, labels: Int32Array, frameWidth: number): Uint8Array {
  const { x: left, y: top, width, height } = component;
  const label = component.labels[0];
  const ink = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (labels[(top + y) * frameWidth + left + x] === label) ink[y * width + x] = 255;
  return ink;
}

/**
 * Whether `component` is a block: its outline four straight sides, within BLOCK_SIDES of its
 * shorter side, and its ink filling BLOCK_FILL of what they enclose (a box drawn round a number is
 * four sides too, but empty). A pen's stroke, however wide, ends round: its ends need more sides.
 */
function isBlock(component: InkComponent, outline: Int32Array): boolean {
  if (outline.length < 8) return false;
  return withMats(1, (polygon) => {
    const curve = cv.matFromArray(outline.length / 2, 1, cv.CV_32SC2, outline);
    try {
      cv.approxPolyDP(curve, polygon, Math.max(2, BLOCK_SIDES * Math.min(component.width, component.height)), true);
      if (polygon.rows !== 4) return false;
      const enclosed = cv.contourArea(curve);
      const polygonArea = cv.contourArea(polygon);
      return component.area >= BLOCK_FILL * enclosed && component.area * BLOCK_FILL <= enclosed && Math.abs(enclosed / polygonArea - 1) <= 1 - BLOCK_FILL;
    } finally {
      curve.delete();
    }
  });
}

/**
 * Whether `component`'s outer outline (in its box) follows an ellipse its own size (see ROUND_SHARE
 * and PIE_SHARE), or several drawn over each other.
 */
function isRound(component: InkComponent, outline: Int32Array, labels: Int32Array, frameWidth: number, frameHeight: number, cut: boolean): boolean {
  const { x: left, y: top } = component;
  const label = component.labels[0];
  const points: number[] = [];
  for (let i = 0; i < outline.length; i += 2) {
    const x = outline[i] + left,
      y = outline[i + 1] + top;
    if (x > 0 && y > 0 && x < frameWidth - 1 && y < frameHeight - 1) points.push(x, y);
  }
  const ellipse = fitRoundEllipse(points);
  const n = points.length / 2;
  if (!ellipse) return overlappingRounds(component, points, frameWidth, frameHeight, cut);
  // Normalised radii: 1 on the ellipse, 0 at its centre.
  const bins = new Float64Array(Math.ceil(1 / ROUND_TOLERANCE) + 1);
  let on = 0,
    nearest = Infinity;
  for (let i = 0; i < points.length; i += 2) {
    const radius = ellipse.radiusAt(points[i], points[i + 1]);
    nearest = Math.min(nearest, radius);
    if (Math.abs(radius - 1) < ROUND_TOLERANCE) on++;
    else if (radius < 1) bins[Math.floor(radius / ROUND_TOLERANCE)]++;
  }
  if (ownSize([ellipse], component, frameWidth, frameHeight)) {
    let inner = 0;
    for (let i = 0; i + 1 < bins.length; i++) inner = Math.max(inner, bins[i] + bins[i + 1]);
    if (on >= ROUND_SHARE * n || (cut && on + inner >= ROUND_SHARE * n)) return true;
    if (on >= PIE_SHARE * n && nearest <= PIE_NOTCH && ellipseFill(ellipse, label, labels, frameWidth, frameHeight) >= PIE_FILL) return true;
  }
  if (on < OVERLAPPING_EACH * n) return false;
  return overlappingRounds(component, points, frameWidth, frameHeight, cut);
}

/**
 * Round shapes drawn over each other (two rings, a ring and a face) are one piece of ink whose
 * outline the ellipses share between them, round no one centre: each is found from three points
 * along what is left of the outline, and its points are taken off before the next. Tried too where
 * no one ellipse near a circle fits the outline at all, as none fits two rings side by side.
 */
function overlappingRounds(component: InkComponent, points: readonly number[], frameWidth: number, frameHeight: number, cut: boolean): boolean {
  const n = points.length / 2;
  // Each circle lies within the ink, or, cut by the frame, not far beyond it. Unbounded, the
  // consensus takes a nearly straight run of outline for part of a huge circle: the tolerance
  // grows with the radius.
  const maxRadius = (ROUND_SIZE * Math.max(component.width, component.height)) / (cut ? 1 : 2);
  const shapes: Ellipse[] = [];
  let remaining = points,
    explained = 0;
  while (shapes.length < MAX_OVERLAPPING) {
    const circle = consensusCircle(remaining, maxRadius);
    const next = circle ? ellipseNear(remaining, pointsNear(remaining, circle, 0.08)) : null;
    if (!next) break;
    const still: number[] = [];
    for (let i = 0; i < remaining.length; i += 2)
      if (Math.abs(next.radiusAt(remaining[i], remaining[i + 1]) - 1) >= ROUND_TOLERANCE) still.push(remaining[i], remaining[i + 1]);
    const onNext = (remaining.length - still.length) / 2;
    if (onNext < OVERLAPPING_EACH * n) break;
    shapes.push(next);
    explained += onNext;
    remaining = still;
  }
  return shapes.length > 1 && explained >= ROUND_SHARE * n && ownSize(shapes, component, frameWidth, frameHeight);
}

/** Whether the ellipses' box, clipped to the frame, is the ink's own size (see ROUND_SIZE). */
function ownSize(ellipses: readonly Ellipse[], ink: Box, frameWidth: number, frameHeight: number): boolean {
  let left = Infinity,
    top = Infinity,
    right = -Infinity,
    bottom = -Infinity;
  for (const { x, y, a, b, cos, sin } of ellipses) {
    const halfWidth = Math.hypot(a * cos, b * sin),
      halfHeight = Math.hypot(a * sin, b * cos);
    left = Math.min(left, Math.max(0, x - halfWidth));
    right = Math.max(right, Math.min(frameWidth, x + halfWidth));
    top = Math.min(top, Math.max(0, y - halfHeight));
    bottom = Math.max(bottom, Math.min(frameHeight, y + halfHeight));
  }
  const width = right - left,
    height = bottom - top;
  return width <= ROUND_SIZE * ink.width && height <= ROUND_SIZE * ink.height && ROUND_SIZE * width >= ink.width && ROUND_SIZE * height >= ink.height;
}

/**
 * Math.hypot, for the per-point loops of the fits: V8 boxes each of its results (a few MB of
 * garbage a camera frame, seen in a sampling heap profile) where this compiles to a square root.
 */
const distance = (dx: number, dy: number) => Math.sqrt(dx * dx + dy * dy);

interface Circle {
  x: number;
  y: number;
  radius: number;
}

interface Ellipse {
  x: number;
  y: number;
  /** Half axes, and the direction of `a`. */
  a: number;
  b: number;
  cos: number;
  sin: number;
  /** A point's distance from the centre over the ellipse's in its direction. */
  radiusAt(x: number, y: number): number;
}

/**
 * The ellipse, near a circle, that the most of `points` (x, y interleaved) lie on: a circle fitted
 * to the outermost points round a first fit's centre (where the frame cuts a ring open, its outline
 * runs along the inner edge too), then to those near it, twice (a pie's straight edges pull a fit),
 * then OpenCV's ellipse fit to the points near that circle.
 */
function fitRoundEllipse(points: readonly number[]): Ellipse | null {
  const rough = fitCircle(points);
  if (!rough) return null;
  const outer = outermost(points, rough);
  let circle = fitCircle(outer);
  for (const tolerance of [0.15, 0.08]) if (circle) circle = fitCircle(pointsNear(outer, circle, tolerance));
  return circle ? ellipseNear(points, pointsNear(outer, circle, 0.08)) : null;
}

/** OpenCV's ellipse fit to `near`, then to the points of `points` near the ellipse, twice. */
function ellipseNear(points: readonly number[], near: readonly number[]): Ellipse | null {
  if (near.length < 16) return null;
  let ellipse = fitEllipse(near);
  // A circle seen at a slant, or cut by the frame to an arc, leaves out much of the outline that
  // the ellipse follows.
  for (const tolerance of [0.05, 0.03]) {
    if (!ellipse) return null;
    const fitted = ellipse;
    const closer: number[] = [];
    for (let i = 0; i < points.length; i += 2) if (Math.abs(fitted.radiusAt(points[i], points[i + 1]) - 1) < tolerance) closer.push(points[i], points[i + 1]);
    ellipse = closer.length >= 16 ? fitEllipse(closer) : null;
  }
  return ellipse;
}

/** Spacings along the outline, in shares of it, of the three points a consensus circle is drawn through. */
const CONSENSUS_SPANS = [1 / 12, 1 / 8, 1 / 5];
/** Starting points tried along the outline for each spacing. */
const CONSENSUS_STARTS = 40;

/**
 * The circle through three points along the outline that the most points lie near: about a
 * hundred trials, evenly spaced, so that the same outline always gives the same circle. Written out
 * here: OpenCV finds circles only by a Hough transform over a whole image, not among given points.
 */
function consensusCircle(points: readonly number[], maxRadius: number): Circle | null {
  const n = points.length / 2;
  let best: Circle | null = null,
    bestCount = 0;
  for (const span of CONSENSUS_SPANS) {
    const step = Math.max(2, Math.floor(span * n));
    for (let i = 0; i + 2 * step < n; i += Math.max(1, Math.floor(n / CONSENSUS_STARTS))) {
      const circle = circleThrough(points, i, i + step, i + 2 * step);
      if (!circle || circle.radius > maxRadius) continue;
      let count = 0;
      for (let j = 0; j < points.length; j += 2) if (nearCircle(points[j], points[j + 1], circle, 2 * ROUND_TOLERANCE)) count++;
      if (count > bestCount) {
        best = circle;
        bestCount = count;
      }
    }
  }
  return best;
}

/** The circle through points `i`, `j` and `k`, or null where they lie on a line. */
function circleThrough(points: readonly number[], i: number, j: number, k: number): Circle | null {
  const [ax, ay, bx, by, cx, cy] = [points[2 * i], points[2 * i + 1], points[2 * j], points[2 * j + 1], points[2 * k], points[2 * k + 1]];
  const d = 2 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by));
  if (Math.abs(d) < 1e-9) return null;
  const a2 = ax * ax + ay * ay,
    b2 = bx * bx + by * by,
    c2 = cx * cx + cy * cy;
  const x = (a2 * (by - cy) + b2 * (cy - ay) + c2 * (ay - by)) / d,
    y = (a2 * (cx - bx) + b2 * (ax - cx) + c2 * (bx - ax)) / d;
  return { x, y, radius: Math.hypot(ax - x, ay - y) };
}

/** OpenCV's ellipse fit to `points` (x, y interleaved), if it is near a circle (see ROUND_AXES). */
function fitEllipse(points: readonly number[]): Ellipse | null {
  const mat = cv.matFromArray(points.length / 2, 1, cv.CV_32SC2, points);
  const fitted = cv.fitEllipse(mat);
  mat.delete();
  const a = fitted.size.width / 2,
    b = fitted.size.height / 2;
  if (!(a > 0 && b > 0) || Math.min(a, b) < ROUND_AXES * Math.max(a, b)) return null;
  const angle = (fitted.angle * Math.PI) / 180;
  const cos = Math.cos(angle),
    sin = Math.sin(angle);
  const { x, y } = fitted.center;
  return {
    x,
    y,
    a,
    b,
    cos,
    sin,
    radiusAt: (px, py) => distance((cos * (px - x) + sin * (py - y)) / a, (-sin * (px - x) + cos * (py - y)) / b),
  };
}

/** The share of the ellipse's pixels within the frame that are the component's ink. */
function ellipseFill(ellipse: Ellipse, label: number, labels: Int32Array, frameWidth: number, frameHeight: number): number {
  const reach = Math.max(ellipse.a, ellipse.b);
  let inside = 0,
    ink = 0;
  for (let y = Math.max(0, Math.floor(ellipse.y - reach)); y < Math.min(frameHeight, ellipse.y + reach); y++)
    for (let x = Math.max(0, Math.floor(ellipse.x - reach)); x < Math.min(frameWidth, ellipse.x + reach); x++)
      if (ellipse.radiusAt(x, y) <= 1) {
        inside++;
        if (labels[y * frameWidth + x] === label) ink++;
      }
  return inside === 0 ? 0 : ink / inside;
}

function inLineWithWriting(shape: Box, writing: Box[]): boolean {
  const middle = shape.y + shape.height / 2;
  return writing.some((piece) => {
    const gap = Math.max(piece.x - (shape.x + shape.width), shape.x - (piece.x + piece.width));
    return (
      piece.height >= LINE_HEIGHT[0] * shape.height &&
      piece.height <= LINE_HEIGHT[1] * shape.height &&
      Math.abs(piece.y + piece.height / 2 - middle) < LINE_CENTRES * shape.height &&
      gap >= LINE_GAP[0] * shape.height &&
      gap <= LINE_GAP[1] * shape.height
    );
  });
}

/** Angles round a centre, for `outermost`. */
const OUTERMOST_BINS = 90;

/** The points (x, y interleaved) near the farthest from `centre` in their direction from it. */
function outermost(points: readonly number[], centre: Circle): number[] {
  const binOf = (i: number) =>
    Math.min(OUTERMOST_BINS - 1, Math.floor(((Math.atan2(points[i + 1] - centre.y, points[i] - centre.x) + Math.PI) / (2 * Math.PI)) * OUTERMOST_BINS));
  const farthest = new Float64Array(OUTERMOST_BINS);
  for (let i = 0; i < points.length; i += 2) farthest[binOf(i)] = Math.max(farthest[binOf(i)], distance(points[i] - centre.x, points[i + 1] - centre.y));
  const kept: number[] = [];
  for (let i = 0; i < points.length; i += 2)
    if (distance(points[i] - centre.x, points[i + 1] - centre.y) >= 0.95 * farthest[binOf(i)]) kept.push(points[i], points[i + 1]);
  return kept;
}

/** Whether point (x, y) lies within `tolerance` of the circle's radius from it. */
function nearCircle(x: number, y: number, circle: Circle, tolerance: number): boolean {
  return Math.abs(distance(x - circle.x, y - circle.y) / circle.radius - 1) < tolerance;
}

/** The points (x, y interleaved) within `tolerance` of the circle's radius from it. */
function pointsNear(points: readonly number[], circle: Circle, tolerance: number): number[] {
  const near: number[] = [];
  for (let i = 0; i < points.length; i += 2) if (nearCircle(points[i], points[i + 1], circle, tolerance)) near.push(points[i], points[i + 1]);
  return near;
}

/**
 * The circle that best fits points (x, y interleaved), by linear least squares on x² + y² = 2ax +
 * 2by + c (Kåsa's fit). Written out here: OpenCV fits ellipses and lines, but not circles, and
 * an ellipse fitted to every point of a pie's outline is pulled off its arc by the straight edges.
 */
function fitCircle(points: readonly number[]): Circle | null {
  const n = points.length / 2;
  if (n < 8) return null;
  // Centred on the mean, for a well-conditioned system.
  let mx = 0,
    my = 0;
  for (let i = 0; i < points.length; i += 2) {
    mx += points[i] / n;
    my += points[i + 1] / n;
  }
  let suu = 0,
    svv = 0,
    suv = 0,
    suz = 0,
    svz = 0,
    sz = 0;
  for (let i = 0; i < points.length; i += 2) {
    const u = points[i] - mx,
      v = points[i + 1] - my,
      z = u * u + v * v;
    suu += u * u;
    svv += v * v;
    suv += u * v;
    suz += u * z;
    svz += v * z;
    sz += z;
  }
  // With centred points the sums of u and v vanish, leaving a 2x2 system for the centre.
  const determinant = suu * svv - suv * suv;
  if (Math.abs(determinant) < 1e-9) return null;
  const a = (suz * svv - svz * suv) / (2 * determinant),
    b = (svz * suu - suz * suv) / (2 * determinant);
  return { x: a + mx, y: b + my, radius: Math.sqrt(a * a + b * b + sz / n) };
}

/** The points (x, y interleaved) of the longest outer outline in a 0/255 `mask`. */
function outerOutline(mask: Uint8Array, width: number, height: number): Int32Array {
  const contours = new cv.MatVector();
  return withMats(1, (hierarchy) => {
    try {
      const source = cv.matFromArray(height, width, cv.CV_8U, mask);
      cv.findContours(source, contours, hierarchy, cv.RETR_EXTERNAL, cv.CHAIN_APPROX_NONE);
      source.delete();
      let longest = new Int32Array(0);
      for (let i = 0; i < contours.size(); i++) {
        const contour = contours.get(i);
        if (contour.data32S.length > longest.length) longest = contour.data32S.slice();
        contour.delete();
      }
      return longest;
    } finally {
      contours.delete();
    }
  });
}

/** The area inside `filled`'s outer outline over the area of that outline's convex hull. */
function convexity(filled: Uint8Array, width: number, height: number): number {
  const points = outerOutline(filled, width, height);
  if (points.length === 0) return 0;
  return withMats(1, (hull) => {
    const outline = cv.matFromArray(points.length / 2, 1, cv.CV_32SC2, points);
    try {
      cv.convexHull(outline, hull);
      return cv.contourArea(outline) / Math.max(1, cv.contourArea(hull));
    } finally {
      outline.delete();
    }
  });
}

/**
 * One component's box with a margin of a pixel where the frame has room, split into the component
 * (region 0), what lies outside it (connected to the margin) and its holes (everything else). The
 * frame's border closes a loop that runs off it: a disc the frame cuts has an inside.
 */
class ComponentCrop {
  readonly x0: number;
  readonly y0: number;
  readonly width: number;
  readonly height: number;
  /** Per crop pixel: 0 for the component, else the region of what is not the component (4-connected). */
  readonly regions: Int32Array;
  readonly outside = new Set<number>();

  constructor(
    readonly component: InkComponent,
    labels: Int32Array,
    private readonly frameWidth: number,
    frameHeight: number,
  ) {
    const label = component.labels[0];
    this.x0 = Math.max(0, component.x - 1);
    this.y0 = Math.max(0, component.y - 1);
    const x1 = Math.min(frameWidth, component.x + component.width + 1),
      y1 = Math.min(frameHeight, component.y + component.height + 1);
    this.width = x1 - this.x0;
    this.height = y1 - this.y0;
    const notComponent = new Uint8Array(this.width * this.height);
    for (let y = 0; y < this.height; y++)
      for (let x = 0; x < this.width; x++) notComponent[y * this.width + x] = labels[this.frameIndex(x, y)] === label ? 0 : 255;
    this.regions = withMats(1, (regionMat) => {
      const source = cv.matFromArray(this.height, this.width, cv.CV_8U, notComponent);
      cv.connectedComponents(source, regionMat, 4, cv.CV_32S);
      source.delete();
      return regionMat.data32S.slice();
    });
    const { width: w, height: h, regions } = this;
    const margin = {
      left: this.x0 < component.x,
      top: this.y0 < component.y,
      right: x1 > component.x + component.width,
      bottom: y1 > component.y + component.height,
    };
    for (let x = 0; x < w; x++) {
      if (margin.top) this.outside.add(regions[x]);
      if (margin.bottom) this.outside.add(regions[(h - 1) * w + x]);
    }
    for (let y = 0; y < h; y++) {
      if (margin.left) this.outside.add(regions[y * w]);
      if (margin.right) this.outside.add(regions[y * w + w - 1]);
    }
  }

  private frameIndex(x: number, y: number): number {
    return (this.y0 + y) * this.frameWidth + this.x0 + x;
  }

  private isInside(region: number): boolean {
    return region !== 0 && !this.outside.has(region);
  }

  /** Frame indices of the component and its holes. */
  inkAndInside(): number[] {
    const indices: number[] = [];
    for (let y = 0; y < this.height; y++)
      for (let x = 0; x < this.width; x++) {
        const region = this.regions[y * this.width + x];
        if (region === 0 || this.isInside(region)) indices.push(this.frameIndex(x, y));
      }
    return indices;
  }

  /** Whether the component, its small holes filled, holds a disc SOLID_DISC of its longer side across and is convex. */
  isSolid(): boolean {
    const { width, height, regions, component } = this;
    const diameter = Math.max(MIN_SOLID_DISC, SOLID_DISC * Math.max(component.width, component.height));
    const holeArea = new Map<number, number>();
    for (const region of regions) if (this.isInside(region)) holeArea.set(region, (holeArea.get(region) ?? 0) + 1);
    let filledArea = component.area;
    for (const area of holeArea.values()) filledArea += area;
    const filled = new Uint8Array(width * height);
    for (let i = 0; i < filled.length; i++) {
      const region = regions[i];
      if (region === 0 || (this.isInside(region) && holeArea.get(region)! < SMALL_HOLE * filledArea)) filled[i] = 255;
    }
    const holdsDisc = withMats(1, (depth) => {
      const source = cv.matFromArray(height, width, cv.CV_8U, filled);
      cv.distanceTransform(source, depth, cv.DIST_L2, 3);
      source.delete();
      const depths = depth.data32F;
      for (let i = 0; i < depths.length; i++) if (2 * depths[i] >= diameter) return true;
      return false;
    });
    return holdsDisc && convexity(filled, width, height) >= MIN_CONVEXITY;
  }
}
