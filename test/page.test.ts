import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../server/ml/backend.js';
import { loadMnist, splitTrainValidation, type DigitSet } from '../training/mnist.js';
import { seededRandom } from '../training/random.js';
import { DigitClassifier } from '../server/recognition/classifier.js';
import { beyondPage } from '../server/recognition/page.js';
import { binarize, inkThickness, penWidth } from '../server/recognition/binarize.js';
import { longRuns, removeLineStubs, removeRuledLines } from '../server/recognition/ruling.js';
import { dropNonDigits, findComponents } from '../server/recognition/components.js';
import { planReading, recognizeImage } from '../server/recognition/recognize.js';
import { decodeImage } from '../server/recognition/decode.js';
import { PHOTO_SETS, photoSample } from './support/photo-sets.js';

let classifier: DigitClassifier;
let digits: DigitSet;

beforeAll(async () => {
  await initBackend(undefined, () => {});
  classifier = await DigitClassifier.load();
  // Validation digits (carved from MNIST train): the test split stays for reported figures.
  digits = splitTrainValidation(await loadMnist('train'), 6000, 1).validation;
});

/** A grey frame: paper at `paper`, a band of desk on the right at `desk`, a dark stroke on the paper. */
function frameWithDesk(paper: number, desk: number, deskWidth: number) {
  const width = 320,
    height = 240;
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let v = x >= width - deskWidth ? desk : paper;
      if (x >= 100 && x < 104 && y >= 80 && y < 160) v = 30;
      data[y * width + x] = v;
    }
  return { data, width, height };
}

describe('finding the page', () => {
  it('marks a dark desk beyond the sheet as not paper, and leaves the writing on the paper', () => {
    const frame = frameWithDesk(220, 40, 80);
    const notPaper = beyondPage(frame);
    expect(notPaper).not.toBeNull();
    expect(notPaper![120 * frame.width + 300]).toBe(1);
    expect(notPaper![120 * frame.width + 102]).toBe(0);
    expect(notPaper![120 * frame.width + 20]).toBe(0);
  });

  it("takes a hand's shadow holding a little small writing for paper, and a grained desk as large for not paper", () => {
    const width = 320,
      height = 240;
    /** Paper at 220 on the left, a region at 100 from x = 160: small digits in it, or a desk's grain. */
    const frame = (mark: (x: number, y: number) => boolean) => {
      const data = new Uint8Array(width * height);
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++) {
          const surface = x < 160 ? 220 : 100;
          data[y * width + x] = Math.round(mark(x, y) ? surface * 0.3 : surface);
        }
      return { data, width, height };
    };
    // A 0 12 px tall in a 2 px pen, well inside the shadow: too little ink for the frame-wide share.
    const smallZero = (x: number, y: number) => Math.abs(Math.hypot((x - 220) / 0.6, y - 120) - 6) < 1;
    expect(beyondPage(frame(smallZero))?.[120 * width + 230] ?? 0).toBe(0);
    // Grain: two thin streaks across the desk, about as many dark pixels as the 0 has.
    const grain = (x: number, y: number) => x >= 200 && x < 230 && (y === 90 || y === 150);
    expect(beyondPage(frame(grain))?.[120 * width + 230]).toBe(1);
  });

  it('finds no page in a frame that is all paper, however dim one side is', () => {
    const { data, width, height } = frameWithDesk(220, 220, 0);
    // A lamp to the left: the right side at half the brightness, fading smoothly.
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = Math.round(data[y * width + x] * (1 - (0.5 * x) / width));
    expect(beyondPage({ data, width, height })).toBeNull();
  });
});

describe('ink in shadow', () => {
  it("finds pencil in a hand's shadow as surely as pencil in the light", () => {
    const width = 320,
      height = 240;
    const data = new Uint8Array(width * height);
    // Paper at 220 on the left, in a hard shadow at 90 on the right; pencil takes a third of the
    // light wherever it is.
    const marked = (x: number, y: number) => (x >= 60 && x < 64 && y >= 80 && y < 160) || (x >= 240 && x < 244 && y >= 80 && y < 160);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const paper = x < 160 ? 220 : 90;
        data[y * width + x] = Math.round(marked(x, y) ? paper * 0.66 : paper);
      }
    const { mask } = binarize({ data, width, height });
    const inkIn = (x0: number, x1: number) => {
      let n = 0;
      for (let y = 80; y < 160; y++) for (let x = x0; x < x1; x++) if (mask[y * width + x]) n++;
      return n;
    };
    expect(inkIn(58, 66)).toBeGreaterThan(0.8 * 4 * 80);
    expect(inkIn(238, 246)).toBeGreaterThan(0.8 * 4 * 80);
    // And nothing along the shadow's edge.
    expect(inkIn(150, 170)).toBe(0);
  });

  /**
   * A 640x480 sheet whose right part, beyond a sloping edge, lies in a shadow at 45 % of the light,
   * with camera noise of `noise` grey levels (standard deviation); a stroke and a bar written in the shadow.
   */
  const sheetHalfInShadow = (noise: number) => {
    const width = 640,
      height = 480;
    const random = seededRandom(5);
    const gaussian = () => (random() + random() + random() + random() + random() + random() - 3) * Math.SQRT2;
    const data = new Uint8Array(width * height),
      written = new Uint8Array(width * height);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const light = x >= 330 + y * 0.3 ? 0.45 : 1;
        if ((x >= 520 && x < 524 && y >= 200 && y < 260) || (x >= 540 && x < 580 && y >= 230 && y < 234)) written[y * width + x] = 1;
        data[y * width + x] = Math.max(0, Math.min(255, Math.round((written[y * width + x] ? 60 : 225) * light + gaussian() * noise)));
      }
    const ink = binarize({ data, width, height });
    let onWriting = 0,
      elsewhere = 0;
    for (let i = 0; i < ink.mask.length; i++) {
      if (!ink.mask[i]) continue;
      if (written[i]) onWriting++;
      else elsewhere++;
    }
    return { polarity: ink.polarity, onWriting, elsewhere };
  };

  it('reads dark ink on a sheet whose only writing lies in a shadow taken for the desk', () => {
    // Before: the lit paper, with no ink on it, was read as light on dark, and the frame with it.
    const { polarity, onWriting } = sheetHalfInShadow(4);
    expect(polarity).toBe('dark-on-light');
    expect(onWriting).toBe(400);
  });

  it('finds a lone short stroke on a blank sheet', () => {
    // Before: under 0.1 % of the frame's pixels were taken for no ink at all.
    const width = 640,
      height = 480;
    const data = new Uint8Array(width * height).fill(225);
    for (let y = 100; y < 160; y++) for (let x = 100; x < 104; x++) data[y * width + x] = 60;
    const { mask } = binarize({ data, width, height });
    expect(mask.reduce((n, v) => n + (v ? 1 : 0), 0)).toBe(240);
  });
});

describe('writing across a shadow', () => {
  it('takes a dark region that the writing runs into for paper in shadow, not for a desk', () => {
    const width = 320,
      height = 240;
    const data = new Uint8Array(width * height);
    // Four rings (0s) 30 px tall on paper at 220; a hand's shadow (at 100) covers the right of the
    // frame from x = 200, through the last ring, holding too little writing for the page test.
    const ring = (x: number, y: number, cx: number) => Math.abs(Math.hypot((x - cx) / 0.7, y - 120) - 15) < 2.5;
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const paper = x < 200 ? 220 : 100;
        const ink = [80, 120, 160, 200].some((cx) => ring(x, y, cx));
        data[y * width + x] = Math.round(ink ? paper * 0.2 : paper);
      }
    const frame = { data, width, height };
    expect(beyondPage(frame)?.[120 * width + 260]).toBe(1);
    const { mask, notPaper } = binarize(frame);
    const inkBeyond = (x0: number, x1: number) => {
      let n = 0;
      for (let y = 100; y < 140; y++) for (let x = x0; x < x1; x++) if (mask[y * width + x]) n++;
      return n;
    };
    // The last ring is read whole, on both sides of the shadow's edge.
    expect(inkBeyond(186, 196)).toBeGreaterThan(20);
    expect(inkBeyond(204, 216)).toBeGreaterThan(20);
    expect(notPaper?.[120 * width + 210] ?? 0).toBe(0);
  });

  it('keeps the dark ink it found when the shadow the writing runs into covers most of the sheet', async () => {
    // A photo-shadow frame (validation digits, 320 px wide): a hard shadow over all but a lit
    // wedge, the desk below. Judged again with the shadow taken for paper, the frame's greys skewed
    // light (the lit wedge's tip), and the ink was taken for light on dark: nothing was read.
    const jpeg = await readFile(new URL('./fixtures/shadow-over-most-of-sheet.jpg', import.meta.url));
    const reading = await recognizeImage(jpeg, classifier);
    expect(reading.polarity).toBe('dark-on-light');
    expect(reading.text).toBe('42331');
  });

  it('reads the writing on a wedge of lit paper whose light falls off towards the shadow beside it', async () => {
    // A photo-shadow frame (validation digits, 320 px wide): paper lit in a wedge narrower than the
    // background window, darker near its top than the brightest paper by more than ink's contrast.
    // Painted over with the brightest paper, the shadow beside it made the whole wedge ink, and a
    // picture: nothing was read. The 1, written in the shadow, is still lost.
    const jpeg = await readFile(new URL('./fixtures/lit-wedge-beside-shadow.jpg', import.meta.url));
    expect((await recognizeImage(jpeg, classifier)).text).toBe('62');
  });

  it("reads dark ink in a shadow whose edges outweigh the ink's skew", async () => {
    // A photo-shadow frame (validation digits, 320 px wide): a black desk on the left, the writing
    // in a hand's shadow, lit paper below it. The shadow's edges left the frame's residuals skewed
    // light by a hair, the ink was taken for light on dark, and nothing was read.
    const jpeg = await readFile(new URL('./fixtures/shadow-beside-dark-desk.jpg', import.meta.url));
    const reading = await recognizeImage(jpeg, classifier);
    expect(reading.polarity).toBe('dark-on-light');
    expect(reading.text).toBe('5825');
  });

  it("reads the writing that a hard shadow's edge runs through, where the edge outweighs the strokes in runs", async () => {
    // A photo-shadow frame (validation digits): the shadow's edge runs down from the middle of the
    // number. Its residue in the first mask was a band 64 px across, which passed for the pen: the
    // background window came out wider than the frame allows, the second look was skipped, and the
    // band swallowed the digits it touches: "334". The digits' own strokes are 9 px thick.
    const jpeg = await readFile(new URL('./fixtures/shadow-edge-through-writing.jpg', import.meta.url));
    expect((await recognizeImage(jpeg, classifier)).text).toBe('33534');
  });

  it("keeps a stroke whole where a hard shadow's edge crosses it", () => {
    // Paper at 225 above a slanted edge, in shadow at 140 below it (too light for a desk), and one
    // stroke 5 px wide from the lit part into the shadow. The band along the edge where the
    // background steps is cleared of ink; the stroke was cut there in two.
    const width = 320,
      height = 240;
    const strokeX = (y: number) => 160 + 0.1 * (y - 120);
    const data = new Uint8Array(width * height);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const paper = y < 100 + 0.3 * x ? 225 : 140;
        const onStroke = Math.abs(x - strokeX(y)) < 2.5 && y > 60 && y < 180;
        data[y * width + x] = onStroke ? Math.round(paper * 0.3) : paper;
      }
    const ink = binarize({ data, width, height });
    const alongStroke = Array.from({ length: 110 }, (_, k) => 65 + k).map((y) => y * width + Math.round(strokeX(y)));
    expect(Math.min(...alongStroke.map((i) => ink.intensity[i]))).toBeGreaterThan(ink.threshold);
    expect(alongStroke.every((i) => ink.mask[i] === 255)).toBe(true);
  });

  it("reads the digits a hard shadow's edge runs across", async () => {
    // A photo-shadow frame (validation digits): the edge crosses the 9 and the 1 of "09195". Cut
    // where it crosses, the 1 read as "not one digit" and the 9 as a 2.
    const jpeg = await readFile(new URL('./fixtures/shadow-edge-across-strokes.jpg', import.meta.url));
    expect((await recognizeImage(jpeg, classifier)).text).toBe('09195');
  });

  it('reads in one round of the network a number beside a dark strip of paper that reads as no digit, not cutting that ink finely', async () => {
    // A photo of validation digits placed in a camera's frame, as the bench places its own: the
    // strip's left end, darkest in its uneven light, stands out from the frame's lighter grey, and
    // its residue is a piece of ink a digit and a half wide. Its first cutting read no piece as a
    // digit with even 5 % confidence, yet it was cut again finely: a second round of 73 more pieces
    // for the network, which changed nothing.
    const jpeg = await readFile(new URL('./fixtures/dark-strip-edge-beside-writing.jpg', import.meta.url));
    const plan = planReading(binarize(await decodeImage(jpeg)));
    const outcome = plan.complete(await classifier.classify(plan.inputs));
    expect(outcome).not.toHaveProperty('inputs');
    expect(outcome).toMatchObject({ text: '2982368869' });
  });

  it('keeps a desk beyond the sheet as not paper when the writing stops short of it', () => {
    const frame = frameWithDesk(220, 40, 80);
    const { notPaper, mask } = binarize(frame);
    expect(notPaper?.[120 * frame.width + 300]).toBe(1);
    expect(mask[120 * frame.width + 102]).toBe(255);
  });
});

describe('ruled and margin lines', () => {
  it("drops a printed line's piece far thinner than the writing, and keeps a 1 from a thinner pen", () => {
    const width = 400,
      height = 200;
    const mask = new Uint8Array(width * height);
    // Four 0s 40 px tall in a bold pen (6 px), a 1 in a pen of 4 px beside them, and above them a
    // piece of a margin line, 2 px thick and 60 long, where the rest of the line faded.
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const ring = [60, 100, 140, 180].some((cx) => Math.abs(Math.hypot((x - cx) / 0.7, y - 120) - 17) < 3);
        const one = x >= 220 && x < 224 && y >= 100 && y < 142;
        const piece = x >= 300 && x < 302 && y >= 10 && y < 70;
        if (ring || one || piece) mask[y * width + x] = 255;
      }
    const { components } = findComponents(mask, width, height);
    const { kept, dropped } = dropNonDigits(components);
    expect(dropped.map((d) => [d.component.x, d.reason])).toEqual([[300, 'line']]);
    expect(kept.map((c) => c.x).sort((a, b) => a - b)).toEqual([47, 87, 127, 167, 220]);
  });

  it('removes a long thin line but keeps the stroke that crosses it', () => {
    const width = 400,
      height = 200;
    const mask = new Uint8Array(width * height);
    // A ruled line two pixels thick, sloping a little, across the whole width.
    for (let x = 0; x < width; x++) {
      const y = Math.round(100 + x * 0.05);
      mask[y * width + x] = mask[(y + 1) * width + x] = 255;
    }
    // A vertical stroke (the stem of a digit) crossing it, and a short bar (a 7's top) away from it.
    for (let y = 70; y < 140; y++) for (let x = 200; x < 204; x++) mask[y * width + x] = 255;
    for (let y = 30; y < 34; y++) for (let x = 50; x < 90; x++) mask[y * width + x] = 255;
    expect(removeRuledLines(mask, width, height, 3)).toBe(1);
    expect(mask[Math.round(100 + 20 * 0.05) * width + 20]).toBe(0);
    expect(mask[Math.round(100 + 350 * 0.05) * width + 350]).toBe(0);
    // The stroke is whole, where it crosses the line too.
    for (let y = 70; y < 140; y++) expect(mask[y * width + 201]).toBe(255);
    expect(mask[32 * width + 70]).toBe(255);
  });

  it('removes the same lines from a mask read four pixels at a time as from one read pixel by pixel', () => {
    const width = 400,
      height = 200;
    for (let seed = 1; seed <= 4; seed++) {
      const random = seededRandom(seed);
      const mask = new Uint8Array(width * height);
      // Ruled lines across the width, a margin line down it, and strokes and specks of every length.
      for (const top of [40, 90, 140])
        for (let x = 0; x < width; x++) mask.fill(255, (top + Math.round(x * 0.03 * seed)) * width + x, (top + Math.round(x * 0.03 * seed)) * width + x + 1);
      // Every other mask without the margin line, so that some rows hold no ink at all.
      if (seed % 2 === 1) for (let y = 0; y < height; y++) mask[y * width + 60 + seed] = mask[y * width + 61 + seed] = 255;
      // Runs down the first and last columns, and from the top row and to the bottom one.
      for (let y = 10; y < 70 + 10 * seed; y++) mask[y * width] = mask[y * width + width - 1] = 255;
      for (let y = 0; y < 30 + seed; y++) mask[y * width + 200 + seed] = 255;
      for (let y = height - 25 - seed; y < height; y++) mask[y * width + 300 + seed] = 255;
      for (let n = 0; n < 60; n++) {
        const x = Math.floor(random() * (width - 40)),
          y = Math.floor(random() * (height - 40)),
          along = 1 + Math.floor(random() * 40),
          across = 1 + Math.floor(random() * 5);
        const wide = random() < 0.5;
        for (let dy = 0; dy < (wide ? across : along); dy++) mask.fill(255, (y + dy) * width + x, (y + dy) * width + x + (wide ? along : across));
      }
      const unaligned = new Uint8Array(mask.length + 1).subarray(1);
      unaligned.set(mask);
      // Runs of every length against the one asked for, ending anywhere in a word.
      for (const run of [2, 3, 4, 5, 7, 8, 9, 16, 33, 120])
        for (const horizontal of [true, false]) {
          const byWords = longRuns(mask, width, height, horizontal, run),
            byPixels = longRuns(unaligned, width, height, horizontal, run);
          expect(byPixels.pixels).toBe(byWords.pixels);
          expect(byPixels.box).toEqual(byWords.box);
          expect(byPixels.runs).toEqual(byWords.runs);
        }
      const removed = removeRuledLines(mask, width, height, 3);
      expect(removed).toBeGreaterThan(0);
      expect(removeRuledLines(unaligned, width, height, 3)).toBe(removed);
      expect(unaligned).toEqual(mask);
    }
  });

  it('keeps a stroke far darker than the line it lies along, given the ink intensity', () => {
    const width = 400,
      height = 200;
    const lineAlongAStroke = () => {
      const mask = new Uint8Array(width * height),
        intensity = new Uint8Array(width * height);
      // A faint margin line down the page, and a 1 drawn down it, far darker, over 40 px.
      for (let y = 0; y < height; y++)
        for (const x of [150, 151]) {
          mask[y * width + x] = 255;
          intensity[y * width + x] = y >= 80 && y < 120 ? 160 : 45;
        }
      return { mask, intensity };
    };
    const withIntensity = lineAlongAStroke();
    expect(removeRuledLines(withIntensity.mask, width, height, 3, withIntensity.intensity)).toBe(1);
    expect(withIntensity.mask[30 * width + 150]).toBe(0);
    for (let y = 80; y < 120; y++) expect(withIntensity.mask[y * width + 150]).toBe(255);
    // Without the intensity every pixel of the line's band goes.
    const maskOnly = lineAlongAStroke();
    expect(removeRuledLines(maskOnly.mask, width, height, 3)).toBe(1);
    expect(maskOnly.mask[100 * width + 150]).toBe(0);
  });

  it('removes a margin line broken into pieces that are each too short to be a line', () => {
    const width = 400,
      height = 400;
    const mask = new Uint8Array(width * height);
    // A margin line two pixels thick, sloping a little, faded in two places; no piece reaches the border.
    const lineX = (y: number) => Math.round(200 + (y - 200) * 0.05);
    for (let y = 20; y < 380; y++) {
      if ((y >= 150 && y < 180) || (y >= 280 && y < 300)) continue;
      mask[y * width + lineX(y)] = mask[y * width + lineX(y) + 1] = 255;
    }
    // Two 1s one above the other elsewhere, each as short as a piece: straight, but a pen's width thick.
    for (const top of [60, 220]) for (let y = top; y < top + 110; y++) for (let x = 80; x < 84; x++) mask[y * width + x] = 255;
    expect(removeRuledLines(mask, width, height, 3)).toBe(1);
    for (const y of [40, 200, 350]) expect(mask[y * width + lineX(y)]).toBe(0);
    for (const y of [70, 300]) expect(mask[y * width + 81]).toBe(255);
  });

  it('removes a ruled line that bold digits sit on, and keeps their bars', () => {
    const width = 640,
      height = 300;
    const mask = new Uint8Array(width * height);
    for (let x = 20; x < 620; x++) mask[200 * width + x] = mask[201 * width + x] = 255;
    // Four digits' bottom bars, 40 px long and a marker's 12 px thick, standing on the line, with their stems.
    const digits = [220, 290, 360, 430];
    for (const left of digits) {
      for (let y = 188; y < 200; y++) for (let x = left; x < left + 40; x++) mask[y * width + x] = 255;
      for (let y = 138; y < 188; y++) for (let x = left + 14; x < left + 26; x++) mask[y * width + x] = 255;
    }
    expect(removeRuledLines(mask, width, height, 12)).toBe(1);
    for (const x of [40, 200, 500, 600]) expect(mask[200 * width + x]).toBe(0);
    for (const left of digits) expect(mask[192 * width + left + 20]).toBe(255);
  });

  it('removes two ruled lines that writing joins into one piece of ink, and keeps the writing', () => {
    const width = 640,
      height = 300;
    const mask = new Uint8Array(width * height);
    // Squared paper's rules, 36 px apart and sloping a little, across the whole frame.
    const upper = (x: number) => Math.round(100 + 0.04 * x),
      lower = (x: number) => upper(x) + 36;
    for (let x = 0; x < width; x++) for (const lineY of [upper, lower]) mask[lineY(x) * width + x] = mask[(lineY(x) + 1) * width + x] = 255;
    // A marker's shallow stroke across the upper rule and down across the lower one (a 2's or a 7's,
    // written flat), whose rows are long runs like the rules': the three are one piece of ink along the rows.
    const strokeY = (x: number) => upper(200) + 0.3 * (x - 200);
    for (let x = 150; x < 350; x++) for (let y = Math.round(strokeY(x)); y < Math.round(strokeY(x)) + 8; y++) mask[y * width + x] = 255;
    // And a 1 standing across both.
    for (let y = 80; y < 170; y++) for (let x = 450; x < 458; x++) mask[y * width + x] = 255;
    expect(removeRuledLines(mask, width, height, 8)).toBe(2);
    for (const x of [20, 150, 400, 600]) for (const lineY of [upper, lower]) expect(mask[lineY(x) * width + x]).toBe(0);
    for (const x of [230, 260, 290]) expect(mask[(Math.round(strokeY(x)) + 4) * width + x]).toBe(255);
    for (let y = 80; y < 170; y++) expect(mask[y * width + 454]).toBe(255);
  });

  it('removes faint rules that binarised as dashes all over the page, and keeps the writing', () => {
    const width = 640,
      height = 480;
    const mask = new Uint8Array(width * height);
    // Fourteen rules 32 px apart, each in dashes 48 px long with gaps of 27: no dash is a line.
    const ruleY = (rule: number, x: number) => Math.round(20 + 32 * rule + 0.03 * x);
    for (let rule = 0; rule < 14; rule++)
      for (let x = 0; x < width; x++) if (x % 75 < 48) mask[ruleY(rule, x) * width + x] = mask[(ruleY(rule, x) + 1) * width + x] = 255;
    // A 7 in a marker: its bar, as long as a dash, and its stem.
    for (let y = 200; y < 208; y++) for (let x = 300; x < 340; x++) mask[y * width + x] = 255;
    for (let y = 208; y < 270; y++) for (let x = 326; x < 334; x++) mask[y * width + x] = 255;
    removeRuledLines(mask, width, height, 8);
    for (let rule = 0; rule < 14; rule++) for (const x of [10, 160, 460, 610]) expect(mask[ruleY(rule, x) * width + x]).toBe(0);
    expect(mask[204 * width + 310]).toBe(255);
    for (let y = 200; y < 270; y++) expect(mask[y * width + 330]).toBe(255);
  });

  it('removes a long sloping line that bold bars lie along, under a third of its length', () => {
    const width = 640,
      height = 300;
    const mask = new Uint8Array(width * height);
    const lineY = (x: number) => Math.round(120 - 0.03 * x);
    for (let x = 0; x < 480; x++) mask[lineY(x) * width + x] = mask[(lineY(x) + 1) * width + x] = 255;
    // A 7's flag and a 5's top bar in a marker, hanging from the line, and 1s standing under it:
    // more ink off the line than on it over their stretches, and enough to tilt a single fit.
    const bars = [
      [65, 135],
      [290, 350],
    ];
    for (const [from, to] of bars) for (let x = from; x < to; x++) for (let y = lineY(x) + 2; y < lineY(x) + 18; y++) mask[y * width + x] = 255;
    for (const left of [150, 230, 400]) for (let x = left; x < left + 12; x++) for (let y = lineY(x) + 2; y < lineY(x) + 55; y++) mask[y * width + x] = 255;
    expect(removeRuledLines(mask, width, height, 2)).toBe(1);
    for (const x of [20, 200, 380, 470]) expect(mask[lineY(x) * width + x]).toBe(0);
    for (const [from, to] of bars) expect(mask[(lineY(from) + 10) * width + Math.round((from + to) / 2)]).toBe(255);
    expect(mask[(lineY(155) + 30) * width + 155]).toBe(255);
  });

  it('measures the thickness most of the ink has, where a thin line outnumbers the strokes in runs', () => {
    const width = 640,
      height = 200;
    const mask = new Uint8Array(width * height);
    // A ruled line left joined to three bold 1s (12 px) standing on it.
    for (let x = 0; x < width; x++) mask[100 * width + x] = mask[101 * width + x] = 255;
    for (const left of [100, 200, 300]) for (let y = 40; y < 100; y++) for (let x = left; x < left + 12; x++) mask[y * width + x] = 255;
    expect(penWidth(mask, width, height)).toBe(2);
    expect(inkThickness(mask, width, height, 50).thickness).toBe(12);
    // Ink thicker than `thickest` is left out: here, all of the strokes.
    expect(inkThickness(mask, width, height, 10).thickness).toBe(2);
    expect(inkThickness(new Uint8Array(width * height), width, height, 50)).toEqual({ thickness: 0, pixels: 0 });
  });

  it("removes a margin line's stub beyond where it breaks, too short to be a line alone", () => {
    const width = 400,
      height = 400;
    const mask = new Uint8Array(width * height);
    // A margin line from the frame's bottom up to where a digit hid it (a gap), and on beyond it for 90 px.
    for (let y = 60; y < height; y++) if (y < 150 || y >= 165) mask[y * width + 200] = mask[y * width + 201] = 255;
    // A 1 beside it, as tall as the stub and a pen thick.
    for (let y = 60; y < 150; y++) for (let x = 260; x < 264; x++) mask[y * width + x] = 255;
    removeRuledLines(mask, width, height, 3);
    expect(mask[100 * width + 200]).toBe(0);
    expect(mask[300 * width + 200]).toBe(0);
    expect(mask[100 * width + 261]).toBe(255);
  });

  it("cuts off a faint line's stubs out of bold digits, and keeps the digits' own strokes", () => {
    const width = 400,
      height = 200;
    const mask = new Uint8Array(width * height);
    // A 4-like digit in a 10 px pen: a stem, an arm and a bar, with a ruled line's stub 2 px thick
    // running 45 px on from its bar, and a 0 in the same pen whose side a stub 2 px thick leaves upwards.
    const fill = (x0: number, y0: number, x1: number, y1: number) => {
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) mask[y * width + x] = 255;
    };
    fill(150, 60, 160, 140);
    fill(110, 60, 120, 110);
    fill(110, 100, 170, 110);
    fill(170, 104, 215, 106);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (Math.abs(Math.hypot((x - 280) / 0.7, y - 100) - 35) < 5) mask[y * width + x] = 255;
    fill(300, 30, 302, 70);
    const before = mask.filter((v) => v > 0).length;
    expect(removeLineStubs(mask, width, height, 10)).toBe(2);
    expect(mask[105 * width + 200]).toBe(0);
    expect(mask[40 * width + 300]).toBe(0);
    // Only the stubs' pixels went: the digits' corners and ends stay.
    expect(before - mask.filter((v) => v > 0).length).toBeLessThanOrEqual(45 * 2 + 40 * 2);
    for (const [x, y] of [
      [110, 60],
      [169, 109],
      [155, 139],
      [255, 100],
    ])
      expect(mask[y * width + x]).toBe(255);
  });

  it("cuts off a margin line's stub out of a 1 whose edges the opening trims too", async () => {
    // The mask of a photo-margin frame (validation digits) round "03/185" in a 14 px marker: the
    // margin line, found and taken out above and below, left a stub 1-2 px thick running 60 px down
    // from the 1's foot. Labelled together with the slivers the opening took off the 1's ragged
    // side, it was neither straight nor thin and stayed; the piece it hangs from stood 97 px tall,
    // the writing's height was taken from it, and nothing was read.
    const { data, info } = await sharp(await readFile(new URL('./fixtures/margin-stub-beside-a-1.png', import.meta.url)))
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const mask = Uint8Array.from(data, (v) => (v > 127 ? 255 : 0));
    const before = mask.filter((v) => v > 0).length;
    expect(removeLineStubs(mask, info.width, info.height, 14)).toBeGreaterThanOrEqual(1);
    for (const y of [60, 80, 100]) expect(mask.subarray(y * info.width, (y + 1) * info.width).some((v) => v > 0)).toBe(false);
    // Only the stub went, not the digits' edges.
    expect(before - mask.filter((v) => v > 0).length).toBeLessThanOrEqual(120);
  });

  it("keeps the thin top of a 9's loop that lies along a ruled line, short of a stub's length", async () => {
    // A photo-ruled frame (test digits, a reported figure's own): the rule took most of the 9's
    // loop top, and what was left is 9 px of thin ink. Taken for a stub by length alone, it went,
    // and the 9 read as 4.
    const jpeg = await readFile(new URL('./fixtures/nine-top-along-ruled-line.jpg', import.meta.url));
    const { digits } = await recognizeImage(jpeg, classifier);
    expect(digits.map((d) => d.digit)).toHaveLength(7);
    expect(digits[5]).toMatchObject({ digit: 9, uncertain: false });
    // The 8's top loop is open where the pen lifted (a test digit's own, faint in the photo): read
    // unsure, as 8 or as 3. Every digit read sure is right.
    const sure = digits.filter((d) => !d.uncertain);
    expect(sure.length).toBeGreaterThanOrEqual(6);
    for (const digit of sure) expect(digit.digit).toBe(Number('9451893'[digits.indexOf(digit)]));
  });

  it('leaves the ink of a fine pen whole, and thin ink by the frame border to be judged as a whole', () => {
    const width = 300,
      height = 200;
    const mask = new Uint8Array(width * height);
    // A 1 and a bar of a 3 px pen, and, near the border, a thin line beside a bold block.
    for (let y = 60; y < 140; y++) for (let x = 100; x < 103; x++) mask[y * width + x] = 255;
    for (let y = 60; y < 63; y++) for (let x = 103; x < 140; x++) mask[y * width + x] = 255;
    for (let y = 20; y < 120; y++) for (let x = 4; x < 14; x++) mask[y * width + x] = 255;
    for (let y = 120; y < 170; y++) mask[y * width + 5] = 255;
    const before = Uint8Array.from(mask);
    expect(removeLineStubs(mask, width, height, 3)).toBe(0);
    expect(removeLineStubs(mask, width, height, 10)).toBe(0);
    expect(mask).toEqual(before);
  });

  it('reads writing that a margin line crosses at its own size, though a coarse look joins the two into one tall piece', async () => {
    // A photo-margin frame (validation digits about 60 px tall): in the half-size copy that measures
    // the writing first, the thin red line was left joined to the digits, a piece 160 px tall in
    // frame pixels, and the frame was read from a copy made for writing that large: nothing read.
    const jpeg = await readFile(new URL('./fixtures/margin-line-through-small-writing.jpg', import.meta.url));
    const result = await recognizeImage(jpeg, classifier);
    expect(result.text).toBe('9793');
    expect(result.writingHeight).toBeLessThan(80);
  });

  it('keeps a tall 1 that does not run off the frame', () => {
    const width = 300,
      height = 300;
    const mask = new Uint8Array(width * height);
    for (let y = 60; y < 240; y++) for (let x = 150; x < 153; x++) mask[y * width + x] = 255;
    expect(removeRuledLines(mask, width, height, 3)).toBe(0);
    expect(mask[150 * width + 151]).toBe(255);
  });
});

describe('large writing', () => {
  it('reads no number in pictures as large as writing held close, however coarsely the frame is first measured', async () => {
    // A photo-blank frame: a ring, a block and a pie, each over 150 px across. Measured first on a
    // quarter-size copy, where they were too small to be told from writing, they passed for large
    // writing, and the copy made for it read two lines, "21" and "2".
    const jpeg = await readFile(new URL('./fixtures/pictures-large-as-writing.jpg', import.meta.url));
    expect((await recognizeImage(jpeg, classifier)).text).toBe('');
  });
});

describe('small writing', () => {
  it("reads digits 15-25 px tall whose loops the camera's blur, enlarged with them, would fill", async () => {
    // Two photo-small frames (validation digits). Enlarged and thresholded without sharpening, the
    // blur spread the strokes over the loops: a 9 read as 5, a 1 as 8.
    for (const [file, text] of [
      ['small-marker-5097.jpg', '5097'],
      ['small-marker-7012.jpg', '7012'],
    ]) {
      const jpeg = await readFile(new URL(`./fixtures/${file}`, import.meta.url));
      expect((await recognizeImage(jpeg, classifier)).text).toBe(text);
    }
  });

  it('sharpens small writing again when the plain enlargement read nothing at all', async () => {
    // A photo-small frame (validation digits, a bold marker 20 px tall): enlarged without
    // sharpening, the blur filled the 9's and the 6's loops and every piece read "not one digit".
    // Only unsure digits were looked at again sharpened, and with none read there were none.
    const jpeg = await readFile(new URL('./fixtures/small-marker-796-loops-filled.jpg', import.meta.url));
    expect((await recognizeImage(jpeg, classifier)).text).toBe('796');
  });

  it('reads faint small digits that the full-size look missed, beside the ones it found', async () => {
    // A photo-small frame (validation digits): at full size only the 3 of 3086 stood out of the
    // pale graphite, and the enlarged part round it ended a digit's height to its right.
    const jpeg = await readFile(new URL('./fixtures/small-faint-3086.jpg', import.meta.url));
    expect((await recognizeImage(jpeg, classifier)).text).toBe('3086');
  });
});

describe('reading webcam frames of paper (held-out photo sets)', () => {
  const readExactly = async (set: string, seed: number, frames: number) => {
    const random = seededRandom(seed);
    let exact = 0;
    for (let i = 0; i < frames; i++) {
      const photo = await photoSample(PHOTO_SETS[set], digits, random);
      if ((await recognizeImage(photo.jpeg, classifier)).text === photo.text) exact++;
    }
    return exact;
  };

  it('reads numbers on a sheet whose edge and the desk beyond it are in view', async () => {
    // Before the page was looked for, the desk and the sheet's edge read as 1s: 2 of 10.
    expect(await readExactly('photo-edge', 5, 10)).toBeGreaterThanOrEqual(8);
  });

  it('reads numbers written across ruled lines', async () => {
    // Before ruled lines were taken out: 7 of 10.
    expect(await readExactly('photo-ruled', 5, 10)).toBeGreaterThanOrEqual(9);
  });

  it('reads numbers across a red margin line on a sheet turned a little', async () => {
    // Before the margin line's pieces were joined and the turned ruled lines were kept out of the pen's width: 7 of 10.
    expect(await readExactly('photo-margin', 5, 10)).toBeGreaterThanOrEqual(9);
  });

  it("reads numbers that a hard shadow's edge crosses", async () => {
    // Before the background was estimated more finely where it steps: 15 of 20.
    expect((await readExactly('photo-shadow', 5, 10)) + (await readExactly('photo-shadow', 7, 10))).toBeGreaterThanOrEqual(17);
  });

  it('reads no stroke into the edge of a shadow or of the desk', async () => {
    // Before the ink lying along long steps in the background was dropped: 7 of 10 (a 1 read from the edge).
    expect((await readExactly('photo-shadow', 21, 5)) + (await readExactly('photo-shadow', 39, 5))).toBeGreaterThanOrEqual(9);
  });

  it('reads no number in frames with no writing', async () => {
    const random = seededRandom(9);
    let numbers = 0;
    for (let i = 0; i < 20; i++) {
      const photo = await photoSample(PHOTO_SETS['photo-blank'], digits, random);
      if ((await recognizeImage(photo.jpeg, classifier)).text !== '') numbers++;
    }
    // Before pictures were told from writing: 7 of the first 10. Before rings at a slant or cut by
    // the frame, pies, blocks and slivers the frame cuts: 4 of 20 (2 of the first 10). Still short
    // of none: see the README's photo sets.
    expect(numbers).toBeLessThanOrEqual(2);
  });
});
