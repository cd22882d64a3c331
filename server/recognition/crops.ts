/** Cuts one digit's ink out of the page, with its neighbours' ink removed, ready for normalisation. */
import { normalizeDigit } from '../ml/normalize.js';
import type { InkImage } from './binarize.js';
import type { Box, ComponentImage } from './components.js';

/**
 * The digit's ink inside `box` (only pixels of its own components, plus a one-pixel ring around
 * them so that anti-aliased edges below the threshold are kept), normalised for the model.
 */
export function digitInput(ink: InkImage, components: ComponentImage, labels: number[], box: Box): Float32Array {
  const { width } = ink;
  const own = new Set(labels);
  const crop = new Uint8Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    const row = box.y + y;
    for (let x = 0; x < box.width; x++) {
      const column = box.x + x;
      let belongs = false;
      for (let dy = -1; dy <= 1 && !belongs; dy++) {
        const r = row + dy;
        if (r < 0 || r >= ink.height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const c = column + dx;
          if (c >= 0 && c < width && own.has(components.labels[r * width + c])) {
            belongs = true;
            break;
          }
        }
      }
      if (belongs) crop[y * box.width + x] = ink.intensity[row * width + column];
    }
  }
  return normalizeDigit({ width: box.width, height: box.height, data: crop }, 'light-on-dark');
}

/** The tight box of a component's own ink between columns [fromX, toX) of its box. */
export function inkBox(ink: InkImage, components: ComponentImage, labels: number[], box: Box, fromX: number, toX: number): Box | null {
  const own = new Set(labels);
  let top = Infinity, bottom = -1, left = Infinity, right = -1;
  for (let y = box.y; y < box.y + box.height; y++) {
    for (let x = fromX; x < toX; x++) {
      if (own.has(components.labels[y * ink.width + x])) {
        if (y < top) top = y;
        if (y > bottom) bottom = y;
        if (x < left) left = x;
        if (x > right) right = x;
      }
    }
  }
  return bottom < 0 ? null : { x: left, y: top, width: right - left + 1, height: bottom - top + 1 };
}
