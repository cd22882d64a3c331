import { describe, expect, it } from 'vitest';
import type { Point } from '../shared/protocol.js';
import { isScratchOut, strokesTouched } from '../client/src/scratch-out.js';

const path = (xy: [number, number][]): Point[] => xy.map(([x, y], i) => [x, y, i * 16]);
const zigzag = path(Array.from({ length: 13 }, (_, i) => [i % 2 === 0 ? 100 : 200, 100 + i * 4]));
const ellipse = path(Array.from({ length: 33 }, (_, i) => [200 + 45 * Math.sin((i / 32) * 2 * Math.PI), 150 - 90 * Math.cos((i / 32) * 2 * Math.PI)]));
const two = path([
  [100, 60],
  [130, 50],
  [160, 70],
  [150, 110],
  [110, 170],
  [100, 200],
  [140, 198],
  [170, 200],
]);
const three = path([
  [100, 60],
  [140, 55],
  [150, 90],
  [120, 120],
  [150, 150],
  [140, 190],
  [100, 195],
]);
const eight = path([
  [150, 60],
  [110, 80],
  [150, 130],
  [190, 180],
  [150, 210],
  [110, 180],
  [150, 130],
  [190, 80],
  [150, 60],
]);

describe('scratch-out', () => {
  it('recognises a back-and-forth scribble, and no digit', () => {
    expect(isScratchOut(zigzag)).toBe(true);
    for (const digit of [ellipse, two, three, eight]) expect(isScratchOut(digit)).toBe(false);
  });

  it('finds the strokes a path touches', () => {
    const strokes = [
      { id: 'zero', points: ellipse },
      {
        id: 'far',
        points: path([
          [600, 100],
          [600, 200],
        ]),
      },
    ];
    expect(
      strokesTouched(
        path([
          [150, 150],
          [250, 150],
        ]),
        strokes,
        12,
      ),
    ).toEqual(['zero']);
  });
});
