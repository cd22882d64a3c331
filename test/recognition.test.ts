import { encode as encodeBmp } from 'fast-bmp';
import sharp from 'sharp';
import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../server/ml/backend.js';
import { loadMnist, type DigitSet } from '../training/mnist.js';
import { seededRandom } from '../training/random.js';
import { DigitClassifier, DEFAULT_PEN_MODEL_DIR, toPrediction } from '../server/recognition/classifier.js';
import { decodeImage } from '../server/recognition/decode.js';
import { RecognitionError } from '../server/recognition/errors.js';
import { binarize, type GrayImage8 } from '../server/recognition/binarize.js';
import { findComponents } from '../server/recognition/components.js';
import { findPieces, isNumber, MAX_COMPONENTS, planReading, recognizeGray, recognizeImage } from '../server/recognition/recognize.js';
import { parseStrokeSet, recognizeStrokes, type StrokePoint } from '../server/recognition/strokes.js';
import { composeNumber, encodePng, SETS, type ComposedImage } from '../training/compose.js';
import { digitStrokes } from './support/strokes-from-mnist.js';

let classifier: DigitClassifier;
let penClassifier: DigitClassifier;
let mnistTest: DigitSet;

beforeAll(async () => {
  await initBackend(undefined, () => {});
  classifier = await DigitClassifier.load();
  penClassifier = await DigitClassifier.load(DEFAULT_PEN_MODEL_DIR);
  mnistTest = await loadMnist('test');
});

async function composed(seed: number, set = SETS.clean): Promise<ComposedImage> {
  return composeNumber(mnistTest, seededRandom(seed), set);
}

/** `image` `factor` times larger, as a camera held that much closer would see it. */
async function enlarged(image: ComposedImage, factor: number): Promise<GrayImage8> {
  const { data, info } = await sharp(image.gray, { raw: { width: image.width, height: image.height, channels: 1 } })
    .resize({ width: image.width * factor, height: image.height * factor })
    .grayscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(1);
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

function expectCode(error: unknown, code: string): void {
  expect(error).toBeInstanceOf(RecognitionError);
  expect((error as RecognitionError).code).toBe(code);
}

describe('reading numbers from images', () => {
  it('reads most clean multi-digit numbers exactly, with a box, confidence and alternatives per digit', async () => {
    let exact = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const image = await composed(seed);
      const result = await recognizeImage(await encodePng(image), classifier);
      if (result.text === image.text) exact++;
      for (const digit of result.digits) {
        expect(digit.box[2]).toBeGreaterThan(0);
        expect(digit.box[0] + digit.box[2]).toBeLessThanOrEqual(image.width);
        expect(digit.alternatives).toHaveLength(3);
        expect(digit.alternatives[0]).toEqual({ digit: digit.digit, p: expect.closeTo(digit.confidence, 3) });
        expect(digit.uncertain).toBe(digit.confidence < 0.7);
      }
    }
    expect(exact).toBeGreaterThanOrEqual(16);
  });

  it('puts each line of a two-line image on its own line of text', async () => {
    let exact = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const image = await composed(seed, SETS['two-line']);
      const result = await recognizeGray({ data: image.gray, width: image.width, height: image.height }, classifier);
      expect(result.lines.length).toBe(2);
      if (result.text === image.text) exact++;
    }
    expect(exact).toBeGreaterThanOrEqual(7);
  });

  it('reads light ink on a dark background the same as dark ink on paper', async () => {
    const image = await composed(3);
    const inverted = { data: image.gray.map((v) => 255 - v), width: image.width, height: image.height };
    const normal = await recognizeGray({ data: image.gray, width: image.width, height: image.height }, classifier);
    const dark = await recognizeGray(inverted, classifier);
    expect(dark.polarity).toBe('light-on-dark');
    expect(normal.polarity).toBe('dark-on-light');
    expect(dark.text).toBe(normal.text);
  });

  it('applies EXIF orientation and reports boxes in the upright image', async () => {
    const image = await composed(4);
    const png = await encodePng(image);
    // Stored rotated a quarter turn, with the EXIF tag that tells viewers to turn it back.
    const stored = await sharp(png).rotate(-90).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    const upright = await recognizeImage(png, classifier);
    const fromExif = await recognizeImage(stored, classifier);
    expect(fromExif.width).toBe(image.width);
    expect(fromExif.height).toBe(image.height);
    expect(fromExif.text).toBe(upright.text);
    fromExif.digits.forEach((d, i) => d.box.forEach((v, j) => expect(Math.abs(v - upright.digits[i].box[j])).toBeLessThanOrEqual(3)));
  });

  it('reads BMP files, which sharp itself cannot', async () => {
    const image = await composed(9);
    const rgb = new Uint8Array(image.gray.length * 3);
    image.gray.forEach((v, i) => rgb.fill(v, i * 3, i * 3 + 3));
    const bmp = encodeBmp({ width: image.width, height: image.height, data: rgb, channels: 3, components: 3, bitsPerPixel: 24 });
    const fromBmp = await recognizeImage(bmp, classifier);
    expect(fromBmp.text).toBe((await recognizeImage(await encodePng(image), classifier)).text);
    expect((await decodeImage(bmp)).format).toBe('bmp');
    await decodeImage(bmp.subarray(0, 200)).then(
      () => expect.unreachable(),
      (e) => expectCode(e, 'corrupt-image'),
    );
  });

  it('flattens transparency onto white paper', async () => {
    const image = await composed(5);
    // Black ink whose alpha is the ink, on a fully transparent background.
    const rgba = Buffer.alloc(image.width * image.height * 4);
    for (let i = 0; i < image.gray.length; i++) rgba[i * 4 + 3] = 255 - image.gray[i];
    const png = await sharp(rgba, { raw: { width: image.width, height: image.height, channels: 4 } })
      .png()
      .toBuffer();
    const result = await recognizeImage(png, classifier);
    expect(result.text).toBe((await recognizeImage(await encodePng(image), classifier)).text);
    expect(result.text.length).toBeGreaterThan(0);
  });

  it('ignores ruled lines and specks', async () => {
    const image = await composed(6);
    const { width, height } = image;
    const gray = Uint8Array.from(image.gray);
    const ruleY = height - Math.round(height * 0.15);
    for (let x = 0; x < width; x++) gray[ruleY * width + x] = 40;
    const random = seededRandom(9);
    for (let i = 0; i < 40; i++) gray[Math.floor(random() * gray.length)] = 0;
    const clean = await recognizeGray({ data: image.gray, width, height }, classifier);
    const marked = await recognizeGray({ data: gray, width, height }, classifier);
    expect(marked.text).toBe(clean.text);
  });

  it("takes the writing's height from the writing, not from a sliver of desk far taller than it", async () => {
    const image = await composed(13);
    const clean = findPieces(binarize({ data: image.gray, width: image.width, height: image.height }));
    expect(clean.pieces.length).toBeGreaterThanOrEqual(3);
    // The number on a taller sheet, and left of it a dark sliver four times the writing's height,
    // a sixth as wide (what is left of a strip of desk too narrow for the page test).
    const sliverHeight = Math.round(4 * clean.digitHeight),
      sliverWidth = Math.round(sliverHeight / 6),
      width = image.width + 3 * sliverWidth,
      height = Math.max(image.height, sliverHeight) + 40;
    const gray = new Uint8Array(width * height).fill(image.gray[0]);
    for (let y = 0; y < image.height; y++)
      gray.set(image.gray.subarray(y * image.width, (y + 1) * image.width), (height - image.height + y) * width + 3 * sliverWidth);
    for (let y = 20; y < 20 + sliverHeight; y++) for (let x = sliverWidth; x < 2 * sliverWidth; x++) gray[y * width + x] = 30;
    const withSliver = findPieces(binarize({ data: gray, width, height }));
    expect(withSliver.digitHeight).toBe(clean.digitHeight);
    // And the sliver, no piece of the number, is not read as a 1 in front of it.
    expect((await recognizeGray({ data: gray, width, height }, classifier)).text).toBe(image.text);
  });

  it('leaves a small blot beside a number out of it, where the network calls the blot no digit', async () => {
    const image = await composed(8);
    const { width, height } = image;
    let left = width,
      top = height,
      bottom = 0;
    image.owners.forEach((owner, i) => {
      if (owner < 0) return;
      const x = i % width,
        y = (i - x) / width;
      [left, top, bottom] = [Math.min(left, x), Math.min(top, y), Math.max(bottom, y)];
    });
    // A disc of ink a third of the digits' height, in their line, before the first of them.
    const radius = Math.round((bottom - top) / 6),
      cx = left - 2 * radius - 4,
      cy = Math.round(bottom - 0.3 * (bottom - top));
    const gray = Uint8Array.from(image.gray);
    for (let y = cy - radius; y <= cy + radius; y++)
      for (let x = cx - radius; x <= cx + radius; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2) gray[y * width + x] = 20;
    const clean = await recognizeGray({ data: image.gray, width, height }, classifier);
    // Before specks were left out of their line, the blot was read as a 0 in front of the number.
    expect(clean.text).toBe(image.text);
    expect((await recognizeGray({ data: gray, width, height }, classifier)).text).toBe(image.text);
  });

  it('cuts narrow digits that touch (11, 17, 41) though together they are no wider than one digit', async () => {
    const size = 28,
      factor = 3,
      paper = 235;
    const nthOf = (label: number, n: number) => {
      for (let i = 0, seen = 0; i < mnistTest.labels.length; i++) if (mnistTest.labels[i] === label && seen++ === n) return i;
      throw new Error(`no ${label}`);
    };
    // Two MNIST test digits whose 28-pixel boxes overlap by `overlap` columns, dark on paper, scaled up.
    const touchingPair = (first: number, second: number, overlap: number) => {
      const width = (2 * size - overlap + 40) * factor,
        height = (size + 40) * factor;
      const data = new Uint8Array(width * height).fill(paper);
      [
        [first, 20],
        [second, 20 + size - overlap],
      ].forEach(([index, left]) => {
        for (let y = 0; y < size * factor; y++) {
          for (let x = 0; x < size * factor; x++) {
            const value = mnistTest.images.pixels[index * size * size + Math.floor(y / factor) * size + Math.floor(x / factor)];
            const at = (20 * factor + y) * width + left * factor + x;
            data[at] = Math.min(data[at], paper - Math.round(0.85 * value));
          }
        }
      });
      return { data, width, height };
    };
    let right = 0,
      total = 0;
    for (const [a, b] of [
      [1, 7],
      [1, 1],
      [7, 1],
      [1, 4],
      [4, 1],
      [1, 2],
      [3, 1],
      [1, 9],
    ]) {
      for (let n = 0; n < 3; n++) {
        for (const overlap of [14, 16, 18, 20]) {
          total++;
          if ((await recognizeGray(touchingPair(nthOf(a, n), nthOf(b, n), overlap), classifier)).text === `${a}${b}`) right++;
        }
      }
    }
    // Read as one piece of ink this is about 70 % (the pair is often read as a single digit).
    expect(right / total).toBeGreaterThanOrEqual(0.8);
  });

  it('reads at most a bounded number of pieces of ink from one image, however many it holds', async () => {
    // 1,600 rings (each a digit-sized 0) on a 1600x1600 page.
    const side = 1600,
      cell = 40;
    const data = new Uint8Array(side * side).fill(235);
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        const r = Math.hypot((x % cell) - cell / 2, (y % cell) - cell / 2);
        if (r > 10 && r < 14) data[y * side + x] = 30;
      }
    const ink = binarize({ data, width: side, height: side });
    expect(findComponents(ink.mask, side, side).components.length).toBeGreaterThan(1500);
    const { pieces } = findPieces(ink);
    expect(pieces.length).toBeLessThanOrEqual(MAX_COMPONENTS);
    expect(planReading(ink).inputs.length).toBeLessThanOrEqual(MAX_COMPONENTS);
  });

  it('reads a line as a number only where its shapes read as digits, not where one digit-like shape stands among no-digits', () => {
    /** The network's output for one shape: `digit` at `p`, "not one digit" at `notDigit`, the rest spread over the others. */
    const read = (digit: number, p: number, notDigit: number) => {
      const probabilities = new Float32Array(11).fill((1 - p - notDigit) / 9);
      probabilities[digit] = p;
      probabilities[10] = notDigit;
      return toPrediction(probabilities);
    };
    expect(isNumber([read(4, 0.97, 0.01), read(2, 0.95, 0.02)])).toBe(true);
    // Unsure between digits, not unsure whether it is writing: a number, its digits flagged.
    expect(isNumber([read(1, 0.4, 0.05), read(7, 0.35, 0.05)])).toBe(true);
    // An arc of a ring the frame cuts, read as a 3, beside a block read as no digit.
    expect(isNumber([read(3, 0.92, 0.08), read(6, 0.02, 0.97)])).toBe(false);
    // A smiling face's two eyes.
    expect(isNumber([read(0, 0.17, 0.81), read(0, 0.5, 0.47)])).toBe(false);
    // One digit blotted by a ruled line among clear ones stays.
    expect(isNumber([read(9, 0.99, 0.01), read(0, 0.02, 0.97)])).toBe(true);
  });

  it('returns no digits for a blank page', async () => {
    const blank = { data: new Uint8Array(300 * 200).fill(235), width: 300, height: 200 };
    expect((await recognizeGray(blank, classifier)).digits).toEqual([]);
  });
});

describe('bad images get clear errors', () => {
  it('refuses bytes that are not an image', async () => {
    await decodeImage(new Uint8Array(Buffer.from('%PDF-1.4 not an image'))).then(
      () => expect.unreachable(),
      (e) => expectCode(e, 'unsupported-image'),
    );
    await decodeImage(new Uint8Array(0)).then(
      () => expect.unreachable(),
      (e) => expectCode(e, 'unsupported-image'),
    );
  });

  it('refuses a truncated image', async () => {
    const png = await encodePng(await composed(7));
    await decodeImage(png.subarray(0, Math.floor(png.length / 2))).then(
      () => expect.unreachable(),
      (e) => expectCode(e, 'corrupt-image'),
    );
  });

  it('refuses an image over the pixel limit before decoding it', async () => {
    // A tiny PNG whose header claims 100000 x 100000 pixels: a decompression bomb's calling card.
    const png = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#ffffff' } })
      .png()
      .toBuffer();
    const bomb = Buffer.from(png);
    const header = 8 + 4 + 4; // signature, IHDR length, IHDR type
    bomb.writeUInt32BE(100_000, header);
    bomb.writeUInt32BE(100_000, header + 4);
    bomb.writeUInt32BE(zlib.crc32(bomb.subarray(header - 4, header + 13)), header + 13);
    await decodeImage(bomb).then(
      () => expect.unreachable(),
      (e) => expectCode(e, 'image-too-large'),
    );
  });

  it('scales big images down to the working size and reports boxes in input pixels', async () => {
    const image = await composed(8);
    const big = await sharp(await encodePng(image))
      .resize({ width: image.width * 5 })
      .png()
      .toBuffer();
    const decoded = await decodeImage(big, { maxInputPixels: 40_000_000, maxWorkingSide: 800 });
    expect(Math.max(decoded.width, decoded.height)).toBe(800);
    const result = await recognizeImage(big, classifier, { maxInputPixels: 40_000_000, maxWorkingSide: 800 });
    const small = await recognizeImage(await encodePng(image), classifier);
    expect(result.width).toBe(image.width * 5);
    expect(result.text).toBe(small.text);
    result.digits.forEach((d, i) => expect(Math.abs(d.box[0] - 5 * small.digits[i].box[0])).toBeLessThanOrEqual(12));
  });

  it('reads writing held close to a camera (digits hundreds of pixels tall) as it reads it small, boxes in input pixels', async () => {
    for (const seed of [3, 9]) {
      const image = await composed(seed);
      const gray = { width: image.width, height: image.height, data: image.gray };
      const factor = 6;
      const big = await recognizeGray(await enlarged(image, factor), classifier);
      const small = await recognizeGray(gray, classifier);
      expect(big.width).toBe(image.width * factor);
      expect(big.text).toBe(small.text);
      big.digits.forEach((d, i) => {
        for (let k = 0; k < 4; k++) expect(Math.abs(d.box[k] - factor * small.digits[i].box[k])).toBeLessThanOrEqual(2 * factor);
      });
    }
  });

  it("reads a camera's next frame from the writing height of the last one, and a frame whose writing is no longer large as any other", async () => {
    for (const seed of [3, 9]) {
      const image = await composed(seed);
      const gray = { width: image.width, height: image.height, data: image.gray };
      const factor = 4;
      const big = await enlarged(image, factor);
      const first = await recognizeGray(big, classifier);
      const small = await recognizeGray(gray, classifier);
      expect(first.writingHeight!).toBeGreaterThan(factor * 0.8 * small.writingHeight!);
      expect(first.writingHeight!).toBeLessThan(factor * 1.25 * small.writingHeight!);
      // The same scene again, hinted: the same reading and boxes, and the height to hint the next frame.
      const next = await recognizeGray(big, classifier, 1, { writingHeight: first.writingHeight });
      expect(next.text).toBe(first.text);
      expect(next.width).toBe(big.width);
      next.digits.forEach((d, i) => {
        for (let k = 0; k < 4; k++) expect(Math.abs(d.box[k] - first.digits[i].box[k])).toBeLessThanOrEqual(2 * factor);
      });
      expect(Math.abs(next.writingHeight! - first.writingHeight!)).toBeLessThan(0.2 * first.writingHeight!);
      // Another card, written small, after the close one: read as it is, not from a copy made for large writing.
      const after = await recognizeGray(gray, classifier, 1, { writingHeight: first.writingHeight });
      expect(after.text).toBe(small.text);
      expect(after.digits.map((d) => d.box)).toEqual(small.digits.map((d) => d.box));
    }
  });
});

/** Strokes as a person draws them, in canvas units, with times. */
function drawn(strokes: [number, number][][], startMs = 0): StrokePoint[][] {
  let t = startMs;
  return strokes.map((stroke) => stroke.map(([x, y]) => [x, y, (t += 16)] as StrokePoint));
}

const ellipse = (cx: number, cy: number, rx: number, ry: number): [number, number][] =>
  Array.from({ length: 33 }, (_, i) => [cx + rx * Math.sin((i / 32) * 2 * Math.PI), cy - ry * Math.cos((i / 32) * 2 * Math.PI)]);
const one = (x: number): [number, number][][] => [
  [
    [x, 60],
    [x + 2, 150],
    [x + 4, 240],
  ],
];
const zero = (x: number): [number, number][][] => [ellipse(x, 150, 45, 90)];
const seven = (x: number): [number, number][][] => [
  [
    [x - 45, 65],
    [x + 45, 62],
    [x + 15, 150],
    [x - 5, 240],
  ],
];
/** A 4 in two strokes, as most people write it. */
const four = (x: number): [number, number][][] => [
  [
    [x - 10, 60],
    [x - 45, 175],
    [x + 45, 175],
  ],
  [
    [x + 20, 100],
    [x + 20, 245],
  ],
];

describe('reading pen strokes', () => {
  it('reads a number written stroke by stroke, joining a digit drawn in two strokes', async () => {
    const strokes = drawn([...one(80), ...zero(200), ...seven(330), ...four(460)]);
    const result = await recognizeStrokes({ width: 800, height: 300, strokes }, penClassifier);
    expect(result.text).toBe('1074');
    // The 0 spans x 155..245 and y 60..240, drawn with a pen about a ninth of its height wide.
    const [x, y, w, h] = result.digits[1].box;
    expect(x).toBeGreaterThanOrEqual(135);
    expect(x + w).toBeLessThanOrEqual(265);
    expect(y).toBeLessThan(70);
    expect(y + h).toBeGreaterThan(230);
  });

  it('keeps digits written one right after the other apart, however close', async () => {
    // People write the next digit at once and close: a 1 beside a 4 or a 7, a 2 under a 7's bar.
    for (const [a, b] of [
      [7, 2],
      [1, 7],
      [4, 2],
      [1, 4],
    ] as const) {
      for (const gap of [20, 0]) {
        const strokes: StrokePoint[][] = [];
        let x = 40;
        let t = 0;
        for (const label of [a, b]) {
          const digit = digitStrokes(mnistTest, mnistTest.labels.indexOf(label));
          const xs = digit.flat().map((p) => p[0]);
          const left = Math.min(...xs);
          for (const stroke of digit) {
            strokes.push(stroke.map(([px, py]): StrokePoint => [x + (px - left) * 200, 40 + py * 200, (t += 12)]));
            t += 120;
          }
          x += (Math.max(...xs) - left) * 200 + gap;
          t += 250;
        }
        expect((await recognizeStrokes({ width: 800, height: 300, strokes }, penClassifier)).text).toBe(`${a}${b}`);
      }
    }
  });

  it('reads the same writing the same on a canvas of any size', async () => {
    const strokes = drawn([...one(80), ...zero(200), ...seven(330)]);
    const scaled = strokes.map((s) => s.map(([x, y, t]) => [x * 3, y * 3, t] as StrokePoint));
    const small = await recognizeStrokes({ width: 800, height: 300, strokes }, penClassifier);
    const big = await recognizeStrokes({ width: 2400, height: 900, strokes: scaled }, penClassifier);
    expect(big.text).toBe(small.text);
    // The drawing scale is rounded to steps, so boxes agree to a few canvas units.
    big.digits.forEach((d, i) => d.box.forEach((v, j) => expect(Math.abs(v / 3 - small.digits[i].box[j])).toBeLessThanOrEqual(4)));
  });

  it('does not re-read digits whose ink did not change when a stroke is added', async () => {
    const fresh = await DigitClassifier.load(DEFAULT_PEN_MODEL_DIR);
    const first = drawn([...one(80), ...zero(200)]);
    await recognizeStrokes({ width: 800, height: 300, strokes: first }, fresh);
    const before = fresh.stats.inferred;
    const more = [...first, ...drawn(seven(330), 5000)];
    const result = await recognizeStrokes({ width: 800, height: 300, strokes: more }, fresh);
    expect(result.text).toBe('107');
    expect(fresh.stats.inferred - before).toBe(1);
    await fresh.dispose();
  });

  it('refuses malformed and absurd stroke sets with a clear error', () => {
    const bad: unknown[] = [
      null,
      [],
      { width: 800, height: 300 },
      { width: -1, height: 300, strokes: [] },
      { width: 800, height: 300, strokes: [[]] },
      { width: 800, height: 300, strokes: [[[1, Number.NaN]]] },
      { width: 800, height: 300, strokes: [[[1e9, 5]]] },
      { width: 800, height: 300, strokes: [[['1', 2]]] },
      { width: 800, height: 300, strokes: [Array.from({ length: 5000 }, () => [1, 2])] },
    ];
    for (const value of bad) {
      try {
        parseStrokeSet(value);
        expect.unreachable(`accepted ${JSON.stringify(value)?.slice(0, 80)}`);
      } catch (error) {
        expectCode(error, 'invalid-strokes');
      }
    }
  });

  it('handles tiny writing on a huge canvas without a huge raster', async () => {
    const strokes = drawn([
      [
        [10, 10],
        [10.5, 12],
      ],
    ]);
    const result = await recognizeStrokes(parseStrokeSet({ width: 16000, height: 16000, strokes }), penClassifier);
    expect(result.digits.length).toBeLessThanOrEqual(1);
  });
});
