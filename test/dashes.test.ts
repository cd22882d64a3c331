import { describe, expect, it } from 'vitest';
import { findComponents } from '../server/recognition/components.js';
import { withoutDashedLines } from '../server/recognition/dashes.js';

const WIDTH = 640,
  HEIGHT = 480;

/** A mask with a pen of `pen` pixels drawing straight strokes, and its components after the filter. */
function frame(draw: (stroke: (x0: number, y0: number, x1: number, y1: number) => void) => void, pen = 5) {
  const mask = new Uint8Array(WIDTH * HEIGHT);
  const half = Math.floor(pen / 2);
  draw((x0, y0, x1, y1) => {
    const steps = Math.ceil(Math.hypot(x1 - x0, y1 - y0)) + 1;
    for (let k = 0; k <= steps; k++) {
      const cx = Math.round(x0 + ((x1 - x0) * k) / steps),
        cy = Math.round(y0 + ((y1 - y0) * k) / steps);
      for (let dy = -half; dy <= half; dy++) for (let dx = -half; dx <= half; dx++) mask[(cy + dy) * WIDTH + cx + dx] = 255;
    }
  });
  const image = findComponents(mask, WIDTH, HEIGHT);
  return { image, ...withoutDashedLines(image.components, image) };
}

/** A 0 as a box outline 30 wide, 45 tall, its top left at (x, y). */
function zero(stroke: (x0: number, y0: number, x1: number, y1: number) => void, x: number, y: number) {
  stroke(x, y, x + 30, y);
  stroke(x + 30, y, x + 30, y + 45);
  stroke(x + 30, y + 45, x, y + 45);
  stroke(x, y + 45, x, y);
}

describe('dashed lines', () => {
  it('takes out a sheet edge broken into dashes, at a slant, and keeps the number beside it', () => {
    const { kept, dashes } = frame((stroke) => {
      for (let x = 150; x < 330; x += 45) zero(stroke, x, 220);
      // The edge: dashes 20 long with gaps of 8, leaning a little, from the top of the frame to the bottom.
      for (let y = 10; y + 20 < 470; y += 28) stroke(520 - 0.08 * y, y, 520 - 0.08 * (y + 20), y + 20);
    });
    expect(dashes).toHaveLength(16);
    expect(kept).toHaveLength(4);
    expect(kept.every((c) => c.height === 50)).toBe(true);
  });

  it('takes out a diagonal shadow edge in a few long pieces', () => {
    const { kept, dashes } = frame((stroke) => {
      for (let x = 100; x < 280; x += 45) zero(stroke, x, 100);
      for (const [from, to] of [
        [0.05, 0.3],
        [0.35, 0.6],
        [0.7, 0.95],
      ])
        stroke(100 + 500 * from, 460 - 300 * from, 100 + 500 * to, 460 - 300 * to);
    });
    expect(dashes).toHaveLength(3);
    expect(kept).toHaveLength(4);
  });

  it('keeps digits that line up: a column of 1s, a row of 1s, a row of 0s', () => {
    const { kept, dashes, image } = frame((stroke) => {
      // The first digits of numbers written one under another.
      for (let y = 20; y < 440; y += 80) {
        stroke(60, y, 60, y + 45);
        zero(stroke, 80, y);
      }
      for (let x = 200; x < 600; x += 30) stroke(x, 300, x, 345);
      for (let x = 200; x < 600; x += 45) zero(stroke, x, 100);
    });
    expect(dashes).toHaveLength(0);
    expect(kept).toHaveLength(image.components.length);
  });
});
