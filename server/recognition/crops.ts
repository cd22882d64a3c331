/** Cuts one digit's ink out of the page, with its neighbours' ink removed, ready for normalisation. */
import { normalizeDigit } from '../ml/normalize.js';
import type { InkImage } from './binarize.js';
import { labelFlags, type Box, type ComponentImage } from './components.js';

/**
 * Columns [from[r], to[r]) of row `top + r`: the part of a piece of ink between two cut paths
 * (a cut that follows the gap between touching digits is not a straight column).
 */
export interface RowSpans {
  top: number;
  from: Int32Array;
  to: Int32Array;
}

/** The index into `spans` of frame row `y`, or -1 where the spans do not reach it. */
function spanRow(spans: RowSpans, y: number): number {
  const row = y - spans.top;
  return row >= 0 && row < spans.from.length ? row : -1;
}

export function insideSpans(spans: RowSpans | undefined, x: number, y: number): boolean {
  if (!spans) return true;
  const row = spanRow(spans, y);
  return row >= 0 && x >= spans.from[row] && x < spans.to[row];
}

/**
 * The digit's ink inside `box` (only pixels of its own components, and only within `spans` when
 * given, plus a one-pixel ring around them so that anti-aliased edges below the threshold are
 * kept), normalised for the model.
 */
export function digitInput(ink: InkImage, components: ComponentImage, labels: number[], box: Box, spans?: RowSpans): Float32Array {
  const { width, height } = ink;
  const own = labelFlags(components, labels);
  const { labels: labelAt } = components;
  // Own ink over the box and a one-pixel border, each row only over the columns its spans allow.
  const gridWidth = box.width + 2;
  const grid = new Uint8Array(gridWidth * (box.height + 2));
  for (let y = -1; y <= box.height; y++) {
    const row = box.y + y;
    if (row < 0 || row >= height) continue;
    let first = Math.max(0, box.x - 1),
      last = Math.min(width, box.x + box.width + 1);
    if (spans) {
      const inSpans = spanRow(spans, row);
      if (inSpans < 0) continue;
      first = Math.max(first, spans.from[inSpans]);
      last = Math.min(last, spans.to[inSpans]);
    }
    const gridRow = (y + 1) * gridWidth + 1 - box.x;
    for (let column = first; column < last; column++) if (own[labelAt[row * width + column]]) grid[gridRow + column] = 1;
  }
  // Grown by one pixel into the box: across each row, then down each column of the rows grown.
  const across = new Uint8Array(grid.length);
  for (let y = 0; y < box.height + 2; y++) {
    const at = y * gridWidth;
    for (let x = 0; x < box.width; x++) across[at + x] = grid[at + x] | grid[at + x + 1] | grid[at + x + 2];
  }
  const crop = new Uint8Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    const top = y * gridWidth;
    const source = (box.y + y) * width + box.x;
    for (let x = 0; x < box.width; x++) {
      if (across[top + x] | across[top + gridWidth + x] | across[top + 2 * gridWidth + x]) crop[y * box.width + x] = ink.intensity[source + x];
    }
  }
  return normalizeDigit({ width: box.width, height: box.height, data: crop }, 'light-on-dark');
}

/** The tight box of a component's own ink within `spans` (rows of its box). */
export function inkBox(ink: InkImage, components: ComponentImage, labels: number[], box: Box, spans: RowSpans): Box | null {
  const own = labelFlags(components, labels);
  let top = Infinity,
    bottom = -1,
    left = Infinity,
    right = -1;
  for (let y = box.y; y < box.y + box.height; y++) {
    const row = y - spans.top;
    for (let x = spans.from[row]; x < spans.to[row]; x++) {
      if (own[components.labels[y * ink.width + x]]) {
        if (y < top) top = y;
        if (y > bottom) bottom = y;
        if (x < left) left = x;
        if (x > right) right = x;
      }
    }
  }
  return bottom < 0 ? null : { x: left, y: top, width: right - left + 1, height: bottom - top + 1 };
}
