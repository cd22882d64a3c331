/**
 * From an ink mask to candidate digits: connected components, then geometry that drops what
 * cannot be a digit (specks, ruled lines, frames, blobs) and merges the parts of one digit.
 */
import { labelInk } from './masks.js';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface InkComponent extends Box {
  /** Labels in the label image that make up this piece of ink (several once parts are merged). */
  labels: number[];
  area: number;
}

export interface ComponentImage {
  width: number;
  height: number;
  /** Label of each pixel's component (0 = background). */
  labels: Int32Array;
  components: InkComponent[];
}

export function findComponents(mask: Uint8Array, width: number, height: number): ComponentImage {
  const { count, labels, stats: s } = labelInk(mask, width, height);
  const components: InkComponent[] = [];
  // Stats rows as OpenCV's: left, top, width, height, area; row 0 is the background.
  for (let label = 1; label < count; label++) {
    const row = label * 5;
    components.push({ x: s[row], y: s[row + 1], width: s[row + 2], height: s[row + 3], area: s[row + 4], labels: [label] });
  }
  return { width, height, labels, components };
}

/** Flags indexed by label: 1 for the labels of one piece of ink. Plain array reads on hot loops. */
export function labelFlags(components: ComponentImage, labels: number[]): Uint8Array {
  const flags = new Uint8Array(components.components.length + 1);
  for (const label of labels) flags[label] = 1;
  return flags;
}

export function union(a: Box, b: Box): Box {
  const x = Math.min(a.x, b.x),
    y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
}

/** Whether `box` reaches the border of a frame `width` by `height`. */
export function touchesBorder(box: Box, width: number, height: number): boolean {
  return box.x === 0 || box.y === 0 || box.x + box.width === width || box.y + box.height === height;
}

function horizontalOverlap(a: Box, b: Box): number {
  return Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
}

function verticalGap(a: Box, b: Box): number {
  return Math.max(0, Math.max(a.y, b.y) - Math.min(a.y + a.height, b.y + b.height));
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Ink at least this share of the tallest ink's height is substantial: what the writing's height is taken from. */
export const SUBSTANTIAL_HEIGHT = 0.4;
/**
 * Slivers (at most this share as wide as tall), at most MAX_TALL_SLIVERS of them, are left out of
 * the writing's height when they alone are substantial and at least MIN_WRITING_BESIDE_SLIVERS
 * shorter pieces of ink stand beside them.
 */
const SLIVER_WIDTH = 0.25;
const MAX_TALL_SLIVERS = 2;
const MIN_WRITING_BESIDE_SLIVERS = 3;

/**
 * The writing's scale: the median height of the substantial pieces of ink (ignoring specks and
 * the small parts of broken digits), from which every other threshold is derived.
 */
export function typicalDigitHeight(components: InkComponent[]): number {
  if (components.length === 0) return 0;
  const largest = Math.max(...components.map((c) => c.height));
  const substantial: InkComponent[] = [],
    rest: InkComponent[] = [];
  for (const c of components) (c.height >= SUBSTANTIAL_HEIGHT * largest ? substantial : rest).push(c);
  // A sliver or two far taller than the rest (a strip of desk along the sheet's edge, too narrow for
  // the page test) is not the writing: taken for it, five small digits were one piece of ink.
  if (substantial.length <= MAX_TALL_SLIVERS && rest.length >= MIN_WRITING_BESIDE_SLIVERS && substantial.every((c) => c.width <= SLIVER_WIDTH * c.height))
    return typicalDigitHeight(rest);
  return median(substantial.map((c) => c.height));
}

export interface FilterResult {
  kept: InkComponent[];
  dropped: { component: InkComponent; reason: 'speck' | 'line' | 'frame' | 'blob' | 'edge' }[];
}

/**
 * Ink that touches the frame's border and runs along more than this fraction of the frame is the
 * desk, a sleeve or the sheet's edge beyond the page, not writing (when there is other ink: a frame
 * whose only ink touches its border is a tightly cropped digit).
 */
const BORDER_INK_SPAN = 0.4;

/**
 * Ink that the frame cuts lengthwise touches one side of it along this share of its length or
 * more, and is at most CUT_THIN as wide across as it is long: a sliver of the desk or of the sheet's
 * edge, a picture running off the frame. What is in view of it cannot be told from a stroke of a
 * digit the frame cuts, nor read as a digit of its own. Ink that spans CUT_SPAN of the frame or more
 * is a tight crop of a digit and is read.
 */
const CUT_CONTACT = 0.6;
const CUT_THIN = 0.5;
const CUT_SPAN = 0.5;

function cutLengthwise(c: InkComponent, frame: ComponentImage): boolean {
  const { width, height, labels } = frame;
  const label = c.labels[0];
  const contact = (from: number, count: number, step: number) => {
    let touching = 0;
    for (let i = 0; i < count; i++) if (labels[from + i * step] === label) touching++;
    return touching;
  };
  if (c.width <= CUT_THIN * c.height && c.height < CUT_SPAN * height) {
    if (c.x === 0 && contact(c.y * width, c.height, width) >= CUT_CONTACT * c.height) return true;
    if (c.x + c.width === width && contact(c.y * width + width - 1, c.height, width) >= CUT_CONTACT * c.height) return true;
  }
  if (c.height <= CUT_THIN * c.width && c.width < CUT_SPAN * width) {
    if (c.y === 0 && contact(c.x, c.width, 1) >= CUT_CONTACT * c.width) return true;
    if (c.y + c.height === height && contact((height - 1) * width + c.x, c.width, 1) >= CUT_CONTACT * c.width) return true;
  }
  return false;
}

/** Ink filling more of its box than this, at least a digit's size each way, is a blot or a picture: no digit is so solid. */
const SOLID_FILL = 0.85;

/** A piece of ink this many times longer than thick, and at least LINE_PIECE_LENGTH pixels long, is a piece of a line. */
export const LINE_PIECE_ASPECT = 8;
export const LINE_PIECE_LENGTH = 24;

/**
 * A printed line's piece is at most this share as thick as the writing's strokes are, by
 * thicknessOf, and at most this share of the writing's height thick: MNIST's pens are a tenth of
 * it, so a 1 from a thin pen among bold digits stands.
 */
const PRINTED_THICKNESS_SHARE = 0.3;
const PRINTED_THICKNESS_PER_HEIGHT = 0.07;

/** Ink's area over its longer side: a straight stroke's width; a digit's ink, a few pen widths. */
const thicknessOf = (c: InkComponent) => c.area / Math.max(c.width, c.height);

/**
 * Whether a piece is a printed line's (a margin line where it broke, a ruled line's stub): straight
 * and long for its width like a line piece at any slant, and far thinner than the writing beside
 * it, whose pen draws a 1 as thick as its other digits' strokes. Judged against the median of
 * the digit-sized pieces (at least two), so a lone 1 always stands.
 */
function thinnerThanWriting(pieces: InkComponent[], digitHeight: number): (c: InkComponent) => boolean {
  const writing = pieces
    .filter((c) => c.height >= 0.6 * digitHeight)
    .map(thicknessOf)
    .sort((a, b) => a - b);
  if (writing.length < 2) return () => false;
  const typical = writing[Math.floor(writing.length / 2)];
  return (c) => {
    const thickness = thicknessOf(c);
    return (
      Math.max(c.width, c.height) >= LINE_PIECE_ASPECT * thickness &&
      thickness < PRINTED_THICKNESS_SHARE * typical &&
      thickness < PRINTED_THICKNESS_PER_HEIGHT * digitHeight
    );
  };
}

/**
 * Drops ink that is not part of a digit: specks, ruled lines, frames and boxes, solid blobs, and
 * (given the frame) what lies beyond the page or the frame cuts lengthwise.
 */
export function dropNonDigits(components: InkComponent[], frame?: ComponentImage): FilterResult {
  const dropped: FilterResult['dropped'] = [];
  if (frame) {
    const cut = components.filter((c) => cutLengthwise(c, frame));
    for (const component of cut) dropped.push({ component, reason: 'edge' });
    if (cut.length > 0) components = components.filter((c) => !cut.includes(c));
  }
  const beyondPage = (c: InkComponent) =>
    frame !== undefined &&
    touchesBorder(c, frame.width, frame.height) &&
    (c.width > BORDER_INK_SPAN * frame.width || c.height > BORDER_INK_SPAN * frame.height);
  const edges = components.filter(beyondPage);
  if (edges.length < components.length) for (const component of edges) dropped.push({ component, reason: 'edge' });
  const onPage = edges.length < components.length ? components.filter((c) => !edges.includes(c)) : components;
  const lines = onPage.filter((c) => c.width >= LINE_PIECE_ASPECT * c.height && c.width >= LINE_PIECE_LENGTH);
  const rest = onPage.filter((c) => !lines.includes(c));
  for (const component of lines) dropped.push({ component, reason: 'line' });
  const height = typicalDigitHeight(rest);
  const printedThinner = thinnerThanWriting(rest, height);
  const kept: InkComponent[] = [];
  for (const c of rest) {
    const fill = c.area / (c.width * c.height);
    if (printedThinner(c)) {
      dropped.push({ component: c, reason: 'line' });
    } else if (Math.max(c.width, c.height) < Math.max(3, 0.12 * height)) {
      dropped.push({ component: c, reason: 'speck' });
    } else if (c.height > 2.5 * height && c.width > 2.5 * height && fill < 0.15) {
      dropped.push({ component: c, reason: 'frame' });
    } else if (fill > SOLID_FILL && c.width > 0.8 * height && c.height > 0.8 * height && c.area > 0.5 * height * height) {
      dropped.push({ component: c, reason: 'blob' });
    } else {
      kept.push(c);
    }
  }
  return { kept, dropped };
}

function merge(a: InkComponent, b: InkComponent): InkComponent {
  return { ...union(a, b), labels: [...a.labels, ...b.labels], area: a.area + b.area };
}

function horizontalGap(a: Box, b: Box): number {
  return Math.max(a.x, b.x) - Math.min(a.x + a.width, b.x + b.width);
}

/** A piece this much shorter than the writing is a fragment of a digit, never a digit by itself. */
const FRAGMENT_HEIGHT_RATIO = 0.6;

/**
 * Joins pieces of ink that belong to one digit: a 5 whose top bar is apart, a 4 written in two
 * strokes, a photo's broken stroke. Two pieces join when they are close, the joined box is still
 * digit-sized, and either one sits over the other (most of the narrower one's width is shared,
 * and one of them is not a whole digit by itself), or one is a fragment (too short to be a digit)
 * right beside the other.
 */
export function mergeParts(components: InkComponent[], digitHeight: number): InkComponent[] {
  const pieces = [...components];
  const joinable = (a: InkComponent, b: InkComponent): number => {
    const joined = union(a, b);
    if (verticalGap(a, b) > 0.35 * digitHeight || joined.height > 1.45 * digitHeight || joined.width > 1.3 * digitHeight) return Infinity;
    const gap = horizontalGap(a, b);
    const overlap = horizontalOverlap(a, b);
    const shorter = Math.min(a.height, b.height);
    if (overlap >= 0.5 * Math.min(a.width, b.width) && shorter < 0.75 * digitHeight) return gap;
    if (shorter < FRAGMENT_HEIGHT_RATIO * digitHeight && gap <= 0.3 * digitHeight) return gap;
    return Infinity;
  };
  // Closest pairs first, so a fragment joins the digit it touches rather than the next one.
  for (;;) {
    let best: [number, number] | null = null;
    let bestGap = Infinity;
    for (let i = 0; i < pieces.length; i++) {
      for (let j = i + 1; j < pieces.length; j++) {
        const gap = joinable(pieces[i], pieces[j]);
        if (gap < bestGap) {
          bestGap = gap;
          best = [i, j];
        }
      }
    }
    if (!best) return pieces;
    const [i, j] = best;
    const joined = merge(pieces[i], pieces[j]);
    pieces.splice(j, 1);
    pieces.splice(i, 1, joined);
  }
}
