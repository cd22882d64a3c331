import { describe, expect, it } from 'vitest';
import { SteadyReading, type FrameReading } from '../client/src/steady-reading.js';

/** A camera frame's reading: one line, digit i boxed at x = left + 40 i, each read with `confidence`. */
function frame(text: string, confidence = 0.9, left = 100): FrameReading {
  const digits = [...text].map((c, i) => ({
    digit: Number(c),
    confidence,
    box: [left + 40 * i, 100, 30, 50] as [number, number, number, number],
    alternatives: [
      { digit: Number(c), p: confidence },
      { digit: (Number(c) + 5) % 10, p: (1 - confidence) / 2 },
    ],
  }));
  return { text, lines: text ? [{ digits }] : [] };
}

describe('camera readings held steady across frames', () => {
  it('keeps a number that most frames read when one frame misreads a digit', () => {
    const steady = new SteadyReading();
    for (const text of ['1234', '1234', '1234']) steady.push(frame(text));
    expect(steady.push(frame('1284', 0.95))).toBe('1234');
    expect(steady.push(frame('1234'))).toBe('1234');
  });

  it('settles, digit by digit, on what most frames saw when no two frames agree', () => {
    const steady = new SteadyReading();
    const shown = ['1284', '1734', '1239', '1234'].map((text) => steady.push(frame(text, 0.6)));
    // The text reading alone never saw the same number twice in a row.
    expect(shown.at(-1)).toBe('1234');
  });

  it('shows a new number as soon as two frames in a row read it', () => {
    const steady = new SteadyReading();
    for (const text of ['1234', '1234', '1234']) steady.push(frame(text));
    expect(steady.push(frame('5678'))).toBe('1234');
    expect(steady.push(frame('5678'))).toBe('5678');
  });

  it('clears when the paper goes blank, but not for one empty frame', () => {
    const steady = new SteadyReading();
    for (const text of ['42', '42']) steady.push(frame(text));
    expect(steady.push(frame(''))).toBe('42');
    expect(steady.push(frame('42'))).toBe('42');
    steady.push(frame(''));
    expect(steady.push(frame(''))).toBe('');
  });

  it('does not vote digits of a number that has moved with the frames from before', () => {
    const steady = new SteadyReading();
    steady.push(frame('1234', 0.95));
    steady.push(frame('1234', 0.95));
    // The card moved half a digit's width on: the old frames are another scene.
    steady.push(frame('5678', 0.6, 300));
    // Voted with the two frames before, the last digit would be the 4 they read with more confidence.
    expect(steady.push(frame('5679', 0.5, 300))).toBe('5678');
  });
});
