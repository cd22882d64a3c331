/** Pen ink read by grouping strokes (server/recognition/pen): size, late strokes, separators, live stability. */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist, type DigitSet } from '../training/mnist.js';
import { DigitClassifier, DEFAULT_PEN_MODEL_DIR } from '../server/recognition/classifier.js';
import { recognizeStrokes, type StrokePoint, type StrokeSet } from '../server/recognition/strokes.js';
import { drawDigit } from '../server/recognition/pen/raster.js';
import { penStroke } from '../server/recognition/pen/ink.js';
import { digitStrokes } from './support/strokes-from-mnist.js';
import { PEN_SETS, penSample } from './support/pen-sets.js';
import { seededRandom } from '../training/random.js';

let classifier: DigitClassifier;
let mnistTest: DigitSet;

beforeAll(async () => {
  classifier = await DigitClassifier.load(DEFAULT_PEN_MODEL_DIR);
  mnistTest = await loadMnist('test');
});

/** A glyph in a box one unit tall: its strokes (x from 0) and width. */
interface Glyph {
  strokes: [number, number][][];
  width: number;
}

const loop = (cx: number, cy: number, rx: number, ry: number, turns = 1): [number, number][] =>
  Array.from({ length: 33 * turns }, (_, i) => [cx + rx * Math.sin((i / 32) * 2 * Math.PI), cy - ry * Math.cos((i / 32) * 2 * Math.PI)]);
const line = (x0: number, y0: number, x1: number, y1: number): [number, number][] =>
  Array.from({ length: 10 }, (_, i) => [x0 + ((x1 - x0) * i) / 9, y0 + ((y1 - y0) * i) / 9]);

const glyphs: Record<string, Glyph> = {
  '1': { strokes: [line(0.02, 0, 0, 1)], width: 0.02 },
  '0': { strokes: [loop(0.25, 0.5, 0.25, 0.5)], width: 0.5 },
  '7': { strokes: [[...line(0, 0.02, 0.5, 0), ...line(0.5, 0, 0.18, 1)]], width: 0.5 },
  '4': { strokes: [[...line(0.3, 0, 0, 0.65), ...line(0, 0.65, 0.6, 0.65)], line(0.45, 0.3, 0.45, 1)], width: 0.6 },
  '/': { strokes: [line(0.6, -0.05, 0, 1.05)], width: 0.6 },
  '.': { strokes: [loop(0.03, 0.97, 0.03, 0.03)], width: 0.06 },
  '-': { strokes: [line(0, 0.55, 0.4, 0.55)], width: 0.4 },
  ':': { strokes: [loop(0.03, 0.35, 0.03, 0.03), loop(0.03, 0.85, 0.03, 0.03)], width: 0.06 },
};

/** An MNIST test digit as a glyph (the first of its class that reads right on its own, see the tests). */
function mnistGlyph(digit: number, nth = 0): Glyph {
  let index = -1;
  for (let k = 0; k <= nth; k++) index = mnistTest.labels.indexOf(digit, index + 1);
  const strokes = digitStrokes(mnistTest, index);
  const xs = strokes.flat().map((p) => p[0]);
  const left = Math.min(...xs);
  return { strokes: strokes.map((s) => s.map(([x, y]): [number, number] => [x - left, y])), width: Math.max(...xs) - left };
}

/**
 * Writes `text` glyph by glyph, `height` units tall from (x, y), `gap` heights apart (a space is a
 * gap of a digit's width). Returns the stroke set and, per stroke, the character it belongs to.
 */
function write(text: string, options: { height?: number; x?: number; y?: number; gap?: number; glyph?: (c: string) => Glyph } = {}): StrokeSet {
  const { height = 100, x: x0 = 40, y = 40, gap = 0.3, glyph = (c: string) => glyphs[c] ?? mnistGlyph(Number(c)) } = options;
  const strokes: StrokePoint[][] = [];
  let x = x0,
    t = 0;
  for (const c of text) {
    if (c === ' ') {
      x += height;
      continue;
    }
    const g = glyph(c);
    // A sample every 16 ms, and the pen up for a fifth of a second between strokes, as people write.
    for (const s of g.strokes) {
      t += 200;
      strokes.push(s.map(([px, py]) => [x + px * height, y + py * height, (t += 16)] as StrokePoint));
    }
    x += (g.width + gap) * height;
  }
  return { width: Math.max(800, x + x0), height: Math.max(300, y + 2 * height), strokes };
}

describe('reading pen strokes by grouping them', () => {
  it('reads the same writing the same from 20 to 400 units tall, anywhere on the canvas', async () => {
    for (const height of [20, 60, 150, 300, 400]) {
      for (const [x, y] of [
        [10, 10],
        [700, 400],
      ]) {
        expect((await recognizeStrokes(write('1074', { height, x, y }), classifier)).text, `${height} units tall at ${x},${y}`).toBe('1074');
      }
    }
  });

  it('reads numbers written big: one box per digit, not one round the number', async () => {
    const result = await recognizeStrokes(write('72', { height: 250, glyph: (c) => mnistGlyph(Number(c)) }), classifier);
    expect(result.text).toBe('72');
    expect(result.digits).toHaveLength(2);
  });

  it('joins a stroke added late to the digit it overlaps: the stem of a 4 written after the next digit', async () => {
    const set = write('41');
    // Strokes in writing order: the 4's first stroke, the 1, then the 4's stem.
    const [first, stem, one] = set.strokes;
    expect((await recognizeStrokes({ ...set, strokes: [first, one, stem] }, classifier)).text).toBe('41');
  });

  it('joins a late stroke to its digit though the digit’s other strokes were written after the one it crosses', async () => {
    const set = write('41');
    const [first, stem, one] = set.strokes;
    // The 4's first stroke in two: its bar (which the stem crosses), then its diagonal (left of the stem).
    const corner = first.findIndex((p, i) => i > 0 && p[1] === first[i - 1][1]);
    const diagonal = first.slice(0, corner);
    const bar = first.slice(corner - 1);
    expect((await recognizeStrokes({ ...set, strokes: [bar, diagonal, stem, one] }, classifier)).text).toBe('41');
    expect((await recognizeStrokes({ ...set, strokes: [bar, diagonal, one, stem] }, classifier)).text).toBe('41');
  });

  it('keeps a 1 written close beside another digit a digit of its own', async () => {
    for (const text of ['17', '14', '71', '41', '11']) {
      expect((await recognizeStrokes(write(text, { gap: 0.08 }), classifier)).text, text).toBe(text);
    }
  });

  it('keeps a 1 written into its neighbour’s ink a digit of its own, though the two read together as the neighbour', async () => {
    for (const text of ['10', '01', '18', '16', '12', '71']) {
      const set = write(text, { gap: -0.2, glyph: (c) => mnistGlyph(Number(c)) });
      expect((await recognizeStrokes(set, classifier)).text, text).toBe(text);
    }
  });

  it('reads an italic hand as it reads an upright one: digits leaning 30 degrees, written close, each boxed where it was written', async () => {
    const lean = Math.tan((30 * Math.PI) / 180);
    for (const text of ['4817', '2026', '71395', '590362', '13579', '86420']) {
      const upright = write(text, { gap: 0.04, glyph: (c) => mnistGlyph(Number(c)) });
      expect((await recognizeStrokes(upright, classifier)).text, `${text} upright`).toBe(text);
      // Sheared about the foot of the writing (y = 140): the tops move right.
      const italic = { ...upright, strokes: upright.strokes.map((s) => s.map(([x, y, t]) => [x + lean * (140 - y), y, t] as StrokePoint)) };
      const result = await recognizeStrokes(italic, classifier);
      expect(result.text, `${text} italic`).toBe(text);
      const charOfStroke = [...text].flatMap((c, i) => mnistGlyph(Number(c)).strokes.map(() => i));
      // Each box holds the ink of its digit as written, not as the reading stood it upright.
      result.digits.forEach((digit, i) => {
        const [x, y, w, h] = digit.box;
        const ink = italic.strokes.filter((_, k) => charOfStroke[k] === i).flat();
        expect(
          ink.every(([px, py]) => px >= x && px <= x + w && py >= y && py <= y + h),
          `${text} digit ${i} box`,
        ).toBe(true);
      });
    }
  });

  it('reads a 1 with a long curled flag, as much of Europe writes it, as a 1, beside 7s with their bars', async () => {
    // A flag 0.6 of the height long, 45 degrees below the top, curled up and left into an arch.
    const flag = Array.from({ length: 9 }, (_, i): [number, number] => {
      const t = i / 8,
        curl = 0.06 * Math.sin(Math.PI * t);
      return [0.42 * t - curl * Math.SQRT1_2, 0.42 * (1 - t) - curl * Math.SQRT1_2];
    });
    const europeanOne: Glyph = { strokes: [[...flag, ...line(0.42, 0, 0.42, 1).slice(1)]], width: 0.42 };
    const glyph = (c: string) => (c === '1' ? europeanOne : glyphs[c]);
    expect((await recognizeStrokes(write('717', { glyph }), classifier)).text).toBe('717');
  });

  it('reads separators (dates, times, decimals, negatives) and a clear gap between numbers, never as digits', async () => {
    for (const text of ['10/07', '10:47', '1.07', '-70', '10 47']) {
      const result = await recognizeStrokes(write(text, { glyph: (c) => glyphs[c] }), classifier);
      expect(result.text, text).toBe(text);
      // Digits only among the digits; the separators apart, with boxes.
      expect(result.digits.map((d) => d.digit).join('')).toBe(text.replace(/[^0-9]/g, ''));
      const symbols = result.lines.flatMap((l) => l.symbols ?? []).map((s) => s.symbol);
      expect(symbols.join('')).toBe(text.replace(/[0-9 ]/g, ''));
    }
  });

  it("flags a colon where the number's form is no time's and leaves it out of the text; a time keeps its colon", async () => {
    const glyph = (c: string) => glyphs[c];
    for (const [written, read] of [
      ['107:14', '10714'],
      ['1:014', '1014'],
      ['10:4', '104'],
      ['7:40', '7:40'],
      ['10:47:01', '10:47:01'],
    ]) {
      const result = await recognizeStrokes(write(written, { glyph }), classifier);
      expect(result.text, written).toBe(read);
      const colons = result.lines.flatMap((l) => l.symbols ?? []).filter((s) => s.symbol === ':');
      expect(colons, written).toHaveLength(written.split(':').length - 1);
      expect(colons.every((s) => s.uncertain === (read !== written))).toBe(true);
    }
    // While the person writes, a colon is shown as read; the reading after a pause applies the form.
    const writing = await recognizeStrokes({ ...write('107:14', { glyph }), writing: true }, classifier);
    expect(writing.text).toBe('107:14');
    expect(writing.waitsForPause).toBe(true);
  });

  it("tells an italic hand's 1s from its slashes by the hand's own slant", async () => {
    const upright = write('10/11', { glyph: (c) => glyphs[c] });
    // Every point leaned right by 20 degrees about the baseline, as an italic hand writes.
    const lean = Math.tan((20 * Math.PI) / 180);
    const italic = { ...upright, strokes: upright.strokes.map((s) => s.map(([x, y, t]) => [x + lean * (140 - y), y, t] as StrokePoint)) };
    expect((await recognizeStrokes(upright, classifier)).text).toBe('10/11');
    expect((await recognizeStrokes(italic, classifier)).text).toBe('10/11');
  });

  it("reads a stroke leaning like a slash as the 1 it is where the number's form is no date's", async () => {
    // The same stroke, leaning as far as the slash glyph, in several places; only in the date is it
    // a slash. Where a fraction could stand it is a 1 too: as many MNIST 1s lean that far.
    const slashLike = (c: string) => glyphs[c === '|' ? '/' : c];
    for (const [written, read] of [
      ['100|7', '10017'],
      ['7|10071', '7110071'],
      ['70|100', '701100'],
      ['10|7', '1017'],
      ['1|4', '114'],
      ['10|07|1047', '10/07/1047'],
    ]) {
      const result = await recognizeStrokes(write(written, { glyph: slashLike }), classifier);
      expect(result.text, written).toBe(read);
    }
  });

  it("reads a stroke leaning a little beyond the hand's slant as a slash only where the number's form is a date's", async () => {
    // An italic hand (14 degrees) whose slashes lean 8 degrees further: too little for a slash by
    // its shape alone, where most of such 1s are 1s.
    // 'i': a 1 leaning far enough to be a date's slash too, but less than the slashes; 'I': one
    // leaning further than the slashes, as another hand's 1 may.
    const ones: Record<string, Glyph> = {
      '|': { strokes: [line(0.19, -0.03, 0, 1.03)], width: 0.19 },
      i: { strokes: [line(0.12, 0, 0, 1)], width: 0.12 },
      I: { strokes: [line(0.28, 0, 0, 1)], width: 0.28 },
    };
    const leaning = (c: string): Glyph => ones[c] ?? glyphs[c];
    const lean = Math.tan((14 * Math.PI) / 180);
    const italic = (set: StrokeSet): StrokeSet => ({
      ...set,
      strokes: set.strokes.map((s) => s.map(([x, y, t]) => [x + lean * (140 - y), y, t] as StrokePoint)),
    });
    for (const [written, read] of [
      ['10|00', '10/00'],
      ['10|01|1000', '10/01/1000'],
      ['7|10|1000', '7/10/1000'],
      ['10|0', '1010'],
      // The form of a date, but no day and month: 40 is neither, and no month is 00.
      ['40|10', '40110'],
      ['00|00|1000', '0010011000'],
      ['10|00|100', '101001100'],
      // A colon makes the number no date; after five digits it is no time's either, and is left out.
      ['10|00:00', '1010000'],
      // Six strokes that could each be a slash, and two dates among them (11/11/00, 1/1/1100): the
      // one whose slashes lean further than the 1s after them.
      ['ii|ii|00', '11/11/00'],
      // One date only, though its 1s lean further than its slash.
      ['10|II', '10/11'],
    ]) {
      const result = await recognizeStrokes(italic(write(written, { glyph: leaning })), classifier);
      expect(result.text, written).toBe(read);
    }
    // While the person may still be writing, the form waits: the next digit could break it.
    const writing = await recognizeStrokes({ ...italic(write('10|00', { glyph: leaning })), writing: true }, classifier);
    expect(writing.text).toBe('10100');
    expect(writing.waitsForPause).toBe(true);
    // So does a slash written as a slash: three digits more, and the number is no date.
    const slashWhileWriting = await recognizeStrokes({ ...write('10/07', { glyph: (c) => glyphs[c] }), writing: true }, classifier);
    expect(slashWhileWriting.text).toBe('10107');
    expect(slashWhileWriting.waitsForPause).toBe(true);
    const noSlash = await recognizeStrokes({ ...write('1047', { glyph: (c) => glyphs[c] }), writing: true }, classifier);
    expect(noSlash.text).toBe('1047');
    expect(noSlash.waitsForPause).toBeUndefined();
  });

  it('reads a slash-like stroke in a time or a decimal, or after a minus, as the 1 it is', async () => {
    for (const [written, read] of [
      ['10:|7', '10:17'],
      ['4.|0', '4.10'],
      ['-|7', '-17'],
    ]) {
      const result = await recognizeStrokes(write(written, { glyph: (c) => glyphs[c === '|' ? '/' : c] }), classifier);
      expect(result.text, written).toBe(read);
    }
  });

  it('leaves a stray mark out of the number and flags it, rather than reading it as a digit', async () => {
    const set = write('10', { glyph: (c) => glyphs[c] });
    // A small scribble high between the digits, touching neither.
    const mark: StrokePoint[] = loop(0, 0, 6, 4, 1).map(([x, y], i) => [x + 105, y + 60, 2000 + i]);
    const result = await recognizeStrokes({ ...set, strokes: [...set.strokes, mark] }, classifier);
    expect(result.text).toBe('10');
  });

  it('reads a stroke the pen broke (a stylus that skipped) as one digit, short pieces too, and two numbers one above the other as two lines', async () => {
    for (const text of ['1', '9', '71']) {
      const whole = write(text, { glyph: (c) => mnistGlyph(Number(c)) });
      // Every stroke loses a sample at a third and at two thirds of its length: three pieces with gaps.
      const broken = whole.strokes.flatMap((stroke) => {
        const [a, b] = [Math.floor(stroke.length / 3), Math.floor((2 * stroke.length) / 3)];
        return [stroke.slice(0, a), stroke.slice(a + 1, b), stroke.slice(b + 1)].filter((piece) => piece.length > 1);
      });
      expect(broken.length).toBeGreaterThan(whole.strokes.length * 2);
      expect((await recognizeStrokes({ ...whole, strokes: broken }, classifier)).text, text).toBe(text);
    }

    let seen = 0;
    // A short piece between two skips lies on its stroke's path: part of that stroke, not a mark or a 1 of its own.
    const four = write('45', { glyph: (c) => mnistGlyph(Number(c)) });
    const shortPiece = four.strokes.flatMap((stroke) => {
      const at = Math.floor(stroke.length * 0.65);
      const pieces = at + 6 > stroke.length ? [stroke] : [stroke.slice(0, at), stroke.slice(at + 1, at + 4), stroke.slice(at + 5)];
      return pieces.filter((piece) => piece.length > 1);
    });
    expect(shortPiece.length).toBeGreaterThan(four.strokes.length);
    expect((await recognizeStrokes({ ...four, strokes: shortPiece }, classifier)).text).toBe('45');

    // Two 7s written close, the first's bar drawn last: it ends where the next 7's bar starts, heading
    // the same way, as a stroke broken by a skip would; but the two are wider than one digit.
    const sevens = write('77', {
      gap: 0.08,
      glyph: (c) => (c === '7' && seen++ === 0 ? { strokes: [line(0.18, 1, 0.5, 0), line(0, 0.02, 0.5, 0)], width: 0.5 } : glyphs[c]),
    });
    expect((await recognizeStrokes(sevens, classifier)).text).toBe('77');
    // The same with times that run on from stroke to stroke, a sample apart, as if the pen never
    // lifted: no sample was lost, so the times say nothing of a skip.
    let t = 0;
    const runOn = sevens.strokes.map((stroke) => stroke.map(([x, y]): StrokePoint => [x, y, (t += 16)]));
    expect((await recognizeStrokes({ ...sevens, strokes: runOn }, classifier)).text).toBe('77');

    const upper = write('25', { glyph: (c) => mnistGlyph(Number(c)) });
    const lower = write('07', { glyph: (c) => mnistGlyph(Number(c)), y: 190 });
    const twoLines = await recognizeStrokes({ width: 800, height: 400, strokes: [...upper.strokes, ...lower.strokes] }, classifier);
    expect(twoLines.lines.map((l) => l.text)).toEqual(['25', '07']);
  });

  it('joins a late stroke that touches nothing to its digit where the grouping reads clearly better so', async () => {
    // pen-late numbers of MNIST test digits (seeds 14 and 95): a digit's last stroke came after
    // the next digit, a little short of the rest of its digit, so it was never moved back beside
    // it, and read as a 1 of its own (41531, 622929).
    for (const [seed, text] of [
      [14, '4531'],
      [95, '62929'],
    ] as const) {
      const sample = await penSample(PEN_SETS['pen-late'], mnistTest, seededRandom(seed), 100);
      expect(sample.text).toBe(text);
      expect((await recognizeStrokes(sample.set, classifier)).text, `seed ${seed}`).toBe(text);
    }
  });

  it('cuts one stroke that runs through two digits (joined-up writing) as pixels', async () => {
    const joined: StrokePoint[] = [...loop(200, 150, 40, 80), ...loop(300, 150, 40, 80)].map(([x, y], i) => [x, y, i * 10]);
    expect((await recognizeStrokes({ width: 800, height: 300, strokes: [joined] }, classifier)).text).toBe('00');
  });

  it('cuts a stroke as joined-up writing by its own shape, not by how tall the writing beside it is', async () => {
    // One stroke about as wide as it is tall, that the network reads as no digit in particular,
    // then three 1s half its height: they make the writing's height half the stroke's.
    for (const width of [80, 90]) {
      const zigzag: StrokePoint[] = [
        ...line(100, 100, 100 + width * 0.25, 200),
        ...line(100 + width * 0.25, 200, 100 + width * 0.5, 130),
        ...line(100 + width * 0.5, 130, 100 + width * 0.75, 200),
        ...line(100 + width * 0.75, 200, 100 + width, 100),
      ].map(([x, y], i) => [x, y, i * 16]);
      const ones = [240, 290, 340].map((x, k) => line(x, 150, x - 2, 200).map(([px, py], i): StrokePoint => [px, py, 2000 + k * 500 + i * 16]));
      const inZigzag = (result: { digits: { box: number[] }[] }) => result.digits.filter((d) => d.box[0] < 100 + width).length;
      const alone = await recognizeStrokes({ width: 800, height: 300, strokes: [zigzag] }, classifier);
      const beside = await recognizeStrokes({ width: 800, height: 300, strokes: [zigzag, ...ones] }, classifier);
      expect(inZigzag(alone), `${width} wide, alone`).toBe(1);
      expect(inZigzag(beside), `${width} wide, beside smaller writing`).toBe(1);
    }
  });

  it('draws a stroke broken where the pen skipped as one line, and leaves a wider break open', () => {
    // A 0 written in one stroke, 32 samples round, 10 ms apart; the same with samples lost on its right side.
    const points: StrokePoint[] = loop(50, 50, 25, 50).map(([x, y], i) => [x, y, i * 10]);
    const broken = (lost: number, { later = 0, timed = true } = {}) => {
      const [first, rest] = [points.slice(0, 10), points.slice(10 + lost).map(([x, y, t]): StrokePoint => [x, y, (t ?? 0) + later])];
      const untimed = (piece: StrokePoint[]) => (timed ? piece : piece.map(([x, y]): StrokePoint => [x, y]));
      return [penStroke(untimed(first), 0), penStroke(untimed(rest), 1)];
    };
    const whole = drawDigit([penStroke(points, 0)]);
    const difference = (drawn: Float32Array) => drawn.reduce((sum, v, i) => sum + Math.abs(v - whole[i]), 0);
    // Two samples lost (a gap of about a quarter of the height at this pace): the pen's line goes on, round the 0.
    expect(difference(drawDigit(broken(2)))).toBeLessThan(2);
    expect(difference(drawDigit(broken(2, { timed: false })))).toBeLessThan(2);
    // Six lost, the pen down again 70 ms after it lifted: too soon for a person, the device lost them.
    expect(difference(drawDigit(broken(6)))).toBeLessThan(2);
    // The same gap where the pen came down a fifth of a second later, or with no times to tell: a gap a person left, drawn as it is.
    expect(difference(drawDigit(broken(6, { later: 200 })))).toBeGreaterThan(10);
    expect(difference(drawDigit(broken(6, { timed: false })))).toBeGreaterThan(10);
  });

  it('reads a stroke as one where its times say the pen skipped, however many steps the gap spans', async () => {
    // A 1, then a 7 in one stroke, a sample every 16 ms, whose bar lost five samples: a gap of six
    // steps, more than a skip's steps alone allow (the bar's first piece then read as a 1 of its
    // own), but the pen was down again 96 ms after it lifted, as no person lifts and writes.
    const one = line(0.02, 0, 0, 1).map(([x, y], i): StrokePoint => [40 + x * 100, 40 + y * 100, i * 16]);
    const seven = [...line(0, 0.02, 0.5, 0), ...line(0.5, 0, 0.18, 1)].map(([x, y], i): StrokePoint => [70 + x * 100, 40 + y * 100, 1000 + i * 16]);
    for (const at of [3, 4]) {
      const strokes = [one, seven.slice(0, at), seven.slice(at + 5)];
      expect((await recognizeStrokes({ width: 800, height: 300, strokes }, classifier)).text, `bar broken after ${at} samples`).toBe('17');
    }
  });

  it('says which strokes made each digit, and keeps a finished digit as read while new ink beside it does not reach it', async () => {
    const set = write('10', { glyph: (c) => glyphs[c], gap: 0.07 });
    const [one, zero] = set.strokes;
    const first = await recognizeStrokes({ ...set, strokes: [one] }, classifier);
    expect(first.groups).toHaveLength(1);
    const result = await recognizeStrokes({ ...set, strokes: [one, zero], settled: first.groups, writing: true }, classifier);
    expect(result.text).toBe('10');
    expect(result.digits[0]).toEqual(first.digits[0]);
    expect(result.groups).toHaveLength(2);
    // Groups the strokes no longer hold are simply not there: nothing breaks.
    const other = await recognizeStrokes({ ...set, strokes: [zero], settled: [['no such stroke']] }, classifier);
    expect(other.text).toBe('0');
  });

  it('holds a finished group lightly once the pen rests: the whole number read again regroups what later strokes show to be one digit', async () => {
    const timed = (points: [number, number][], start: number) => points.map(([x, y], i): StrokePoint => [x, y, start + 10 * i]);
    // An open 4 written arm first, its stem beside it to the right, stopping short of the arm: the
    // arm alone is a 6, held, and the stem might as well be the next digit's start.
    const arm = timed([...line(130, 50, 112, 110), ...line(112, 110, 152, 110).slice(1)], 0);
    const stem = timed(line(162, 50, 160, 150), 1000);
    const canvas = { width: 400, height: 200 };
    const first = await recognizeStrokes({ ...canvas, strokes: [arm], writing: true }, classifier);
    expect(first.text).toBe('6');
    const held = await recognizeStrokes({ ...canvas, strokes: [arm, stem], settled: first.groups, writing: true }, classifier);
    const rested = await recognizeStrokes({ ...canvas, strokes: [arm, stem], settled: held.groups }, classifier);
    expect(rested.text).toBe('4');
    // While writing, the hold kept the 6 apart; the reading says that a pause would read otherwise.
    expect(held.text).not.toBe('4');
    expect(held.waitsForPause).toBe(true);
  });

  /** Reads `stroke` alone as the person writes, then with `next`, the first reading's groups held. */
  const writtenInTurn = async (canvas: { width: number; height: number }, stroke: StrokePoint[], next: StrokePoint[]) => {
    const first = await recognizeStrokes({ ...canvas, strokes: [stroke], writing: true }, classifier);
    const written = await recognizeStrokes({ ...canvas, strokes: [stroke, next], settled: first.groups, writing: true }, classifier);
    return { first, written };
  };

  it('lets a stroke that touches a held digit finish it where the two read as one sure digit: a 4 whose upper stem comes last, down to its bar', async () => {
    // From the pen-close set (validation digits): the arm, the bar and the stem below it in one
    // stroke, which alone reads as a 5, then the stem above the bar, starting right of it and
    // ending where the first stroke turned down. A 1 on its own, and one sure 4 together.
    const body: [number, number][] = [
      [84.8, 24],
      [83.1, 25.5],
      [82.2, 26.8],
      [81.1, 28.6],
      [80.2, 30.2],
      [80.4, 32],
      [80, 33.6],
      [80.1, 35.4],
      [79.6, 36.7],
      [80.5, 38.8],
      [81.2, 40.5],
      [82.2, 41.9],
      [84.3, 43.3],
      [86.1, 44.3],
      [88, 45.4],
      [89.5, 46.6],
      [91.6, 47.4],
      [93.1, 47.3],
      [94.6, 47.8],
      [96.6, 48.9],
      [95.9, 50.9],
      [95.6, 52.2],
      [95.4, 55.6],
      [94.7, 59.1],
      [94.3, 61],
      [93.9, 61.9],
    ];
    const upperStem: [number, number][] = [
      [106.2, 24.7],
      [105.3, 26.4],
      [104.9, 27.9],
      [105.1, 29.6],
      [104.1, 31.4],
      [103.6, 33.2],
      [103.2, 34.7],
      [102.8, 36.5],
      [102.5, 38.5],
      [102.3, 40],
      [102.1, 41.5],
      [101.2, 43.2],
      [101.4, 45],
      [100.6, 46.8],
      [99, 47.9],
      [97.3, 48.2],
    ];
    const { first, written } = await writtenInTurn({ width: 200, height: 100 }, body, upperStem);
    expect(first.text).toBe('5');
    expect(written.text).toBe('4');
    expect(written.waitsForPause).toBeUndefined();
  });

  it('holds no digit against the stroke that finishes it: a 4 written stem first reads 4 as soon as its arm is written', async () => {
    const timed = (points: [number, number][], start: number) => points.map(([x, y], i): StrokePoint => [x, y, start + 10 * i]);
    // The arm, written after the stem and left of it, stops short of it: no column of the stem is new ink's.
    const stem = timed(line(160, 50, 158, 150), 0);
    const arm = timed([...line(130, 50, 112, 110), ...line(112, 110, 152, 110).slice(1)], 1000);
    const { first, written } = await writtenInTurn({ width: 400, height: 200 }, stem, arm);
    expect(first.text).toBe('1');
    expect(written.text).toBe('4');
    expect(written.waitsForPause).toBeUndefined();
  });

  it("reads the next digit's first stroke as a provisional start, never joined to the finished digit before it", async () => {
    // A 3, then a 7 written bar first: the 3 and the bar together look like a 5.
    const set = write('37', { glyph: (c) => (c === '3' ? mnistGlyph(3, 3) : glyphs['7']), gap: 0.05 });
    const three = set.strokes.slice(0, -1);
    const seven = set.strokes[set.strokes.length - 1];
    const bar = seven.slice(0, 10);
    const diagonal = seven.slice(10);
    expect(bar[bar.length - 1][1]).toBeLessThan(diagonal[diagonal.length - 1][1]);
    const first = await recognizeStrokes({ ...set, strokes: three, writing: true }, classifier);
    expect(first.text).toBe('3');
    const withBar = await recognizeStrokes({ ...set, strokes: [...three, bar], settled: first.groups, writing: true }, classifier);
    expect(withBar.digits[0]).toEqual(first.digits[0]);
    expect(withBar.digits).toHaveLength(2);
    expect(withBar.digits[1].provisional).toBe(true);
    // The bar is no digit to hold, and a reading once the pen rests would read the ink as it stands.
    expect(withBar.groups).toEqual(first.groups);
    expect(withBar.waitsForPause).toBe(true);
    const whole = await recognizeStrokes({ ...set, strokes: [...three, bar, diagonal], settled: withBar.groups, writing: true }, classifier);
    expect(whole.text).toBe('37');
    expect(whole.digits.some((d) => d.provisional)).toBe(false);
  });

  it('holds a 1 leaning like a slash at the start of a number: with nothing written before it, it can be no slash', async () => {
    const set = write('12', { glyph: (c) => (c === '1' ? glyphs['/'] : mnistGlyph(2)), gap: 0.05 });
    const [one, ...two] = set.strokes;
    const first = await recognizeStrokes({ ...set, strokes: [one], writing: true }, classifier);
    expect(first.text).toBe('1');
    expect(first.groups).toHaveLength(1);
    const start = two[0].slice(0, Math.ceil(two[0].length / 3));
    const withStart = await recognizeStrokes({ ...set, strokes: [one, start], settled: first.groups, writing: true }, classifier);
    expect(withStart.digits[0]).toEqual(first.digits[0]);
    const whole = await recognizeStrokes({ ...set, strokes: [one, ...two], settled: withStart.groups, writing: true }, classifier);
    expect(whole.text).toBe('12');
  });

  it("keeps a finished digit held when the next digit's first stroke only reaches a little into its columns", async () => {
    // A 3, then a 7 written bar first, the bar starting over the 3's right edge: together the two look like a 5.
    const set = write('37', { glyph: (c) => (c === '3' ? mnistGlyph(3, 3) : glyphs['7']), gap: -0.08 });
    const three = set.strokes.slice(0, -1);
    const bar = set.strokes[set.strokes.length - 1].slice(0, 10);
    const first = await recognizeStrokes({ ...set, strokes: three, writing: true }, classifier);
    expect(first.text).toBe('3');
    const withBar = await recognizeStrokes({ ...set, strokes: [...three, bar], settled: first.groups, writing: true }, classifier);
    expect(Math.min(...bar.map((p) => p[0]))).toBeLessThan(first.digits[0].box[0] + first.digits[0].box[2]);
    expect(withBar.digits[0]).toEqual(first.digits[0]);
  });

  it('reads the strokes of the digit being written as one unfinished start until it is done: a 7 drawn in short pieces after a 6', async () => {
    const set = write('67', { gap: 0.1, glyph: (c) => (c === '7' ? glyphs['7'] : mnistGlyph(6)) });
    const six = set.strokes.slice(0, mnistGlyph(6).strokes.length);
    const seven = set.strokes[six.length];
    const pieces = [0, 1, 2, 3].map((i) => seven.slice(Math.floor((i * seven.length) / 4), Math.floor(((i + 1) * seven.length) / 4)));
    let reading = await recognizeStrokes({ ...set, strokes: six, writing: true }, classifier);
    expect(reading.text).toBe('6');
    for (let k = 1; k <= pieces.length; k++) {
      reading = await recognizeStrokes({ ...set, strokes: [...six, ...pieces.slice(0, k)], settled: reading.groups, writing: true }, classifier);
      expect(reading.digits[0].digit, `with ${k} pieces of the 7`).toBe(6);
    }
    expect(reading.text).toBe('67');
  });

  it('reads a stroke still being drawn on its own, as provisional, leaving the digits before it as they were', async () => {
    const set = write('107', { glyph: (c) => glyphs[c], gap: 0.05 });
    const finished = { ...set, strokes: set.strokes.slice(0, 2) };
    const before = await recognizeStrokes(finished, classifier);
    // The 7's first half, pen still down, close to the 0.
    const seven = set.strokes[2];
    const half = seven.slice(0, Math.ceil(seven.length / 3));
    const during = await recognizeStrokes({ ...set, strokes: [...finished.strokes, half], open: [2] }, classifier);
    expect(before.text).toBe('10');
    expect(during.digits.slice(0, 2)).toEqual(before.digits);
    expect(during.digits).toHaveLength(3);
    expect(during.digits[2].provisional).toBe(true);
    expect(before.digits.some((d) => d.provisional)).toBe(false);
  });
});
