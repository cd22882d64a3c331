import { describe, expect, it } from 'vitest';
import type { Point } from '../shared/protocol.js';
import { BoardError, StrokeBoard, unpackPoints } from '../shared/stroke-board.js';

const limits = { maxStrokes: 50, maxPointsPerStroke: 400, maxPointsPerCanvas: 1000, maxHistory: 200 };

function line(n: number, y = 50, t0 = 1_700_000_000_000): Point[] {
  return Array.from({ length: n }, (_, i) => [10 + (i % 700), y, t0 + 16 * i] as Point);
}

function write(board: StrokeBoard, id: string, points: Point[]): void {
  board.begin(id, points[0]);
  for (let i = 1; i < points.length; i += 100) board.append(id, points.slice(i, i + 100));
  board.end(id);
}

describe('stroke board', () => {
  it('keeps points packed and gives them back as written, times included to the millisecond', () => {
    const board = new StrokeBoard(800, 300, limits);
    const points: Point[] = [
      [10.5, 20.25, 1_700_000_000_123],
      [11, 21, 1_700_000_000_139],
      [12, 22],
    ];
    board.begin('a', points[0]);
    board.append('a', points.slice(1));
    board.end('a');
    expect(board.list()[0].points).toEqual(points);
    const [packed] = board.snapshot();
    expect(packed.xyt).toBeInstanceOf(Float32Array);
    expect(unpackPoints(packed)).toEqual(points);
  });

  it('refuses points past the canvas limit with a reason, changing nothing', () => {
    const board = new StrokeBoard(800, 300, limits);
    for (let s = 0; s < 3; s++) write(board, `s${s}`, line(300, 20 + 40 * s));
    board.begin('last', [10, 200, 0]);
    board.append('last', line(99, 200));
    const before = board.snapshot();
    let error: unknown;
    try {
      board.append('last', line(10, 200));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BoardError);
    expect((error as BoardError).code).toBe('too-many-points');
    expect((error as BoardError).message).toMatch(/at most 1000.*clear or erase/);
    expect(board.snapshot()).toEqual(before);
  });

  it('makes room by forgetting the oldest undo steps, so a cleared canvas can be written on again', () => {
    const board = new StrokeBoard(800, 300, limits);
    for (let s = 0; s < 3; s++) write(board, `s${s}`, line(300, 20 + 40 * s));
    board.clear();
    // 900 points are still held by the undo history; 300 more fit once the oldest steps are forgotten.
    write(board, 'after', line(300, 100));
    expect(board.strokeCount).toBe(1);
    // Undo takes back the new stroke; the steps forgotten to make room for it are gone.
    expect(board.undo()).toBe(true);
    expect(board.strokeCount).toBe(0);
    expect(board.undo()).toBe(false);
  });

  it('handles a canvas of many points without recursion limits', () => {
    const big = { ...limits, maxStrokes: 500, maxPointsPerStroke: 4000, maxPointsPerCanvas: 200_000 };
    const board = new StrokeBoard(800, 300, big);
    for (let s = 0; s < 40; s++) write(board, `s${s}`, line(4000, 10 + 7 * s));
    expect(board.snapshot().reduce((n, p) => n + p.xyt.length / 3, 0)).toBe(160_000);
  });
});
