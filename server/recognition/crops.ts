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

export function insideSpans(spans: RowSpans | undefined, x: number, y: number): boolean {
  if (!spans) return true;
  const row = y - spans.top;
  return row >= 0 && row < spans.from.length && x >= spans.from[row] && x < spans.to[row];
}

/**
 * The digit's ink inside `box` (only pixels of its own components, and only within `spans` when
 * given, plus a one-pixel ring around them so that anti-aliased edges below the threshold are
 * kept), normalised for the model.
 */
export function digitInput(ink: InkImage, components: ComponentImage, labels: number[], box: Box, spans?: RowSpans): Float32Array {
  const { width, height } = ink;
  const own = labelFlags(components, labels);
  // Own ink over the box and a one-pixel border, then grown by one pixel into the box.
  const gridWidth = box.width + 2;
  const grid = new Uint8Array(gridWidth * (box.height + 2));
  for (let y = -1; y <= box.height; y++) {
    const row = box.y + y;
    if (row < 0 || row >= height) continue;
    for (let x = -1; x <= box.width; x++) {
      const column = box.x + x;
      if (column >= 0 && column < width && own[components.labels[row * width + column]] && insideSpans(spans, column, row))
        grid[(y + 1) * gridWidth + x + 1] = 1;
    }
  }
  const crop = new Uint8Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) {
      const top = y * gridWidth + x,
        middle = top + gridWidth,
        bottom = middle + gridWidth;
      if (grid[top] | grid[top + 1] | grid[top + 2] | grid[middle] | grid[middle + 1] | grid[middle + 2] | grid[bottom] | grid[bottom + 1] | grid[bottom + 2]) {
        crop[y * box.width + x] = ink.intensity[(box.y + y) * width + box.x + x];
      }
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
