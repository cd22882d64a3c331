import { describe, expect, it } from 'vitest';
import { editDistance, separatorScore } from './support/text-scores.js';

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('12/05', '12/05')).toBe(0);
    expect(editDistance('12105', '12/05')).toBe(1);
    expect(editDistance('1205', '12/05')).toBe(1);
    expect(editDistance('', '314')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});

describe('separatorScore', () => {
  it('counts a separator right only where it is read as itself', () => {
    expect(separatorScore('12/05/2026', '12/05/2026')).toEqual({ written: 2, right: 2, spurious: 0 });
    expect(separatorScore('12105/2026', '12/05/2026')).toEqual({ written: 2, right: 1, spurious: 0 });
    expect(separatorScore('3.14', '3.14')).toEqual({ written: 1, right: 1, spurious: 0 });
  });

  it('is not moved by a digit lost or misread beside the separator', () => {
    expect(separatorScore('12:5', '12:05')).toEqual({ written: 1, right: 1, spurious: 0 });
    expect(separatorScore('17 48', '12 48')).toEqual({ written: 1, right: 1, spurious: 0 });
  });

  it('counts separators read where none was written', () => {
    expect(separatorScore('-1/8', '-118')).toEqual({ written: 1, right: 1, spurious: 1 });
    expect(separatorScore('8.9 26', '89 26')).toEqual({ written: 1, right: 1, spurious: 1 });
  });

  it('counts the space between two numbers, and nothing in a number without separators', () => {
    expect(separatorScore('4817', '48 17')).toEqual({ written: 1, right: 0, spurious: 0 });
    expect(separatorScore('123', '123')).toEqual({ written: 0, right: 0, spurious: 0 });
  });
});
