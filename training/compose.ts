/**
 * Synthetic handwritten numbers made of real MNIST digits, for measuring the pipeline and for
 * training the classifier on what the segmenter cuts from them. Each image comes with its true
 * text. Built from whichever digits it is given: MNIST test digits for the reported figures,
 * validation digits (carved out of MNIST train) for development, training digits for training.
 */
import sharp from 'sharp';
import { cv, withMats } from '../server/ml/opencv.js';
import { digitPixels, inkCrop, type DigitSet } from './mnist.js';
import { gaussian, uniform, type Random } from './random.js';

export interface ComposeSpec {
  /** How many digits per line, inclusive range. */
  length: [number, number];
  lines: 1 | 2;
  /** Digit ink height in pixels. */
  height: [number, number];
  /** Space between neighbours, in digit heights; negative overlaps (touching digits). */
  gap: [number, number];
  /** Horizontal shear of the whole number (slanted writing). */
  slant: [number, number];
  /** Stroke change in pixels at the composed size: negative thins, positive thickens. */
  thickness: [number, number];
  /** Probability of light ink on a dark background (canvas, chalkboard). */
  lightOnDark: number;
  /** Standard deviation of pixel noise, 0..1 of full scale. */
  noise: number;
  /** Paper texture, uneven light, blur, slight perspective and JPEG: a phone photo of paper. */
  photo: boolean;
}

export interface ComposedImage {
  text: string;
  width: number;
  height: number;
  /** Grey levels, 0 black .. 255 white. */
  gray: Uint8Array;
  /**
   * Per pixel, which digit's ink is strongest there (its index in `text` without line breaks), -1
   * where there is none; moved with the ink by slant and perspective.
   */
  owners: Int16Array;
}

const base: ComposeSpec = {
  length: [1, 10],
  lines: 1,
  height: [28, 64],
  gap: [0.15, 0.6],
  slant: [0, 0],
  thickness: [0, 0],
  lightOnDark: 0,
  noise: 0,
  photo: false,
};

export const SETS: Record<string, ComposeSpec> = {
  /** Dark ink on white, clear gaps: a clean scan or a careful canvas. */
  clean: base,
  /** Scales, slants, pens from fine to marker, both polarities, light noise. */
  varied: { ...base, height: [20, 120], slant: [-0.3, 0.3], thickness: [-1, 2.5], lightOnDark: 0.5, noise: 0.04, gap: [0.1, 0.7] },
  /** Neighbours touching or overlapping slightly. */
  touching: { ...base, gap: [-0.08, 0.0], length: [2, 8] },
  /** Two numbers one above the other. */
  'two-line': { ...base, lines: 2, length: [1, 8] },
  /** Photographed paper: texture, uneven light, blur, perspective, JPEG. */
  photo: { ...base, height: [30, 70], thickness: [0, 3], noise: 0.03, photo: true },
};

interface PlacedDigit {
  label: number;
  ink: Float32Array;
  width: number;
  height: number;
}

/** One MNIST digit cut to its ink, scaled to `height`, thickened or thinned. */
function scaledDigit(set: DigitSet, index: number, height: number, thickness: number): PlacedDigit {
  const crop = inkCrop(digitPixels(set, index));
  const width = Math.max(1, Math.round((crop.width * height) / crop.height));
  return withMats(2, (resized, adjusted) => {
    const source = cv.matFromArray(crop.height, crop.width, cv.CV_32F, crop.values);
    cv.resize(source, resized, new cv.Size(width, height), 0, 0, cv.INTER_LINEAR);
    source.delete();
    const radius = Math.round(Math.abs(thickness));
    if (radius > 0) {
      const kernel = cv.getStructuringElement(cv.MORPH_ELLIPSE, new cv.Size(2 * radius + 1, 2 * radius + 1));
      cv.morphologyEx(resized, adjusted, thickness > 0 ? cv.MORPH_DILATE : cv.MORPH_ERODE, kernel);
      kernel.delete();
      adjusted.copyTo(resized);
    }
    return { label: set.labels[index], ink: Float32Array.from(resized.data32F), width, height };
  });
}

function pickLength(random: Random, [low, high]: [number, number]): number {
  return low + Math.floor(random() * (high - low + 1));
}

/** Ink (1 = full) of one line of digits, which digit each pixel's ink is from, and its text. */
function composeLine(set: DigitSet, random: Random, spec: ComposeSpec, digitHeight: number) {
  const count = pickLength(random, spec.length);
  const thickness = uniform(random, ...spec.thickness) * (digitHeight / 40);
  const digits = Array.from({ length: count }, () => {
    const h = Math.round(digitHeight * uniform(random, 0.9, 1.1));
    return scaledDigit(set, Math.floor(random() * set.labels.length), h, thickness);
  });
  const positions: { x: number; y: number }[] = [];
  let x = 0;
  for (const d of digits) {
    const baselineJitter = Math.round(uniform(random, -0.08, 0.08) * digitHeight);
    positions.push({ x, y: Math.round((digitHeight * 1.1 - d.height) / 2) + baselineJitter + Math.round(0.1 * digitHeight) });
    x += d.width + Math.round(uniform(random, ...spec.gap) * digitHeight);
  }
  const width = Math.max(1, x - Math.round(spec.gap[0] * digitHeight) + 2);
  const height = Math.round(digitHeight * 1.4);
  const ink = new Float32Array(width * height);
  const owners = new Int16Array(width * height).fill(-1);
  digits.forEach((d, i) => {
    const { x: ox, y: oy } = positions[i];
    for (let yy = 0; yy < d.height; yy++)
      for (let xx = 0; xx < d.width; xx++) {
        const tx = ox + xx,
          ty = oy + yy,
          value = d.ink[yy * d.width + xx];
        if (tx >= 0 && tx < width && ty >= 0 && ty < height && value > 0 && value > ink[ty * width + tx]) {
          ink[ty * width + tx] = value;
          owners[ty * width + tx] = i;
        }
      }
  });
  return { ink, owners, width, height, text: digits.map((d) => d.label).join('') };
}

export async function composeNumber(set: DigitSet, random: Random, spec: ComposeSpec): Promise<ComposedImage> {
  const digitHeight = Math.round(uniform(random, ...spec.height));
  const lineImages = Array.from({ length: spec.lines }, () => composeLine(set, random, spec, digitHeight));
  const margin = Math.round(digitHeight * uniform(random, 0.4, 1.0));
  const slant = uniform(random, ...spec.slant);
  const slantRoom = Math.ceil(Math.abs(slant) * digitHeight * 1.5 * spec.lines);
  const width = Math.max(...lineImages.map((l) => l.width)) + 2 * margin + slantRoom;
  const lineGap = Math.round(digitHeight * uniform(random, 0.3, 0.8));
  const height = lineImages.reduce((sum, l) => sum + l.height, 0) + lineGap * (spec.lines - 1) + 2 * margin;
  let ink: Float32Array = new Float32Array(width * height);
  const inkOwners = new Int16Array(width * height).fill(-1);
  let top = margin,
    digitsBefore = 0;
  for (const line of lineImages) {
    const left = margin + Math.floor(random() * Math.max(1, width - 2 * margin - slantRoom - line.width));
    for (let y = 0; y < line.height; y++) {
      for (let x = 0; x < line.width; x++) {
        const at = (top + y) * width + left + Math.floor(slantRoom / 2) + x,
          owner = line.owners[y * line.width + x];
        ink[at] = line.ink[y * line.width + x];
        inkOwners[at] = owner < 0 ? -1 : digitsBefore + owner;
      }
    }
    top += line.height + lineGap;
    digitsBefore += line.text.length;
  }
  let owners: Int16Array = inkOwners;
  if (slant !== 0) {
    const shear = [1, -slant, (slant * height) / 2, 0, 1, 0];
    ink = warp(ink, width, height, shear);
    owners = Int16Array.from(warp(Float32Array.from(inkOwners), width, height, shear, cv.INTER_NEAREST, -1));
  }

  const lightOnDark = random() < spec.lightOnDark;
  let paper = 0.92,
    inkLevel = 0.12;
  if (spec.photo) {
    paper = uniform(random, 0.7, 0.95);
    inkLevel = uniform(random, 0.1, 0.3);
  }
  const values = new Float32Array(width * height);
  const light = spec.photo ? unevenLight(random, width, height) : null;
  const texture = spec.photo ? paperTexture(random, width, height) : null;
  for (let i = 0; i < values.length; i++) {
    const background = lightOnDark ? 1 - paper : paper;
    const inkValue = lightOnDark ? 1 - inkLevel : inkLevel;
    let v = background + (inkValue - background) * Math.min(1, ink[i]);
    if (texture) v += texture[i];
    if (light) v *= light[i];
    if (spec.noise > 0) v += spec.noise * gaussian(random);
    values[i] = v;
  }
  let gray: Uint8Array = Uint8Array.from(values, (v) => Math.max(0, Math.min(255, Math.round(v * 255))));
  let outWidth = width,
    outHeight = height;
  if (spec.photo) {
    const blurred = await photograph(random, gray, owners, width, height);
    gray = blurred.gray;
    owners = blurred.owners;
    outWidth = blurred.width;
    outHeight = blurred.height;
  }
  const text = lineImages.map((l) => l.text).join('\n');
  return { text, width: outWidth, height: outHeight, gray, owners };
}

function warp(values: Float32Array, width: number, height: number, matrix: number[], interpolation = cv.INTER_LINEAR, border = 0): Float32Array {
  return withMats(1, (out) => {
    const source = cv.matFromArray(height, width, cv.CV_32F, values);
    const transform = cv.matFromArray(2, 3, cv.CV_64F, matrix);
    cv.warpAffine(source, out, transform, new cv.Size(width, height), interpolation, cv.BORDER_CONSTANT, new cv.Scalar(border));
    source.delete();
    transform.delete();
    return Float32Array.from(out.data32F);
  });
}

/** A brightness ramp and a vignette: a lamp to one side of the page. */
function unevenLight(random: Random, width: number, height: number): Float32Array {
  const angle = uniform(random, 0, 2 * Math.PI);
  const strength = uniform(random, 0.25, 0.5);
  const dx = Math.cos(angle),
    dy = Math.sin(angle);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const u = (x / width - 0.5) * dx + (y / height - 0.5) * dy + 0.5;
      const r = Math.hypot(x / width - 0.5, y / height - 0.5);
      out[y * width + x] = 1 - strength * u - 0.3 * r * r;
    }
  return out;
}

/** Low-frequency blotches, like paper fibre and shadows, made by blurring noise. */
function paperTexture(random: Random, width: number, height: number): Float32Array {
  return withMats(1, (blurred) => {
    const noise = cv.matFromArray(
      height,
      width,
      cv.CV_32F,
      Float32Array.from({ length: width * height }, () => gaussian(random)),
    );
    const sigma = uniform(random, 3, 8);
    cv.GaussianBlur(noise, blurred, new cv.Size(0, 0), sigma, sigma, cv.BORDER_CONSTANT);
    noise.delete();
    const amplitude = uniform(random, 0.05, 0.12) * sigma;
    return Float32Array.from(blurred.data32F, (v) => v * amplitude);
  });
}

/** Slight perspective, lens blur and JPEG compression; `owners` go where their pixels go. */
async function photograph(random: Random, gray: Uint8Array, owners: Int16Array, width: number, height: number) {
  let warpedOwners = owners;
  const warped = withMats(1, (out) => {
    const source = cv.matFromArray(height, width, cv.CV_8U, gray);
    const j = () => uniform(random, -0.04, 0.04);
    const from = cv.matFromArray(4, 1, cv.CV_32FC2, [0, 0, width, 0, width, height, 0, height]);
    const to = cv.matFromArray(4, 1, cv.CV_32FC2, [
      width * j(),
      height * j(),
      width * (1 + j()),
      height * j(),
      width * (1 + j()),
      height * (1 + j()),
      width * j(),
      height * (1 + j()),
    ]);
    const transform = cv.getPerspectiveTransform(from, to);
    cv.warpPerspective(source, out, transform, new cv.Size(width, height), cv.INTER_LINEAR, cv.BORDER_REPLICATE, new cv.Scalar(0));
    warpedOwners = withMats(1, (ownersOut) => {
      const ownersIn = cv.matFromArray(height, width, cv.CV_32F, Float32Array.from(owners));
      cv.warpPerspective(ownersIn, ownersOut, transform, new cv.Size(width, height), cv.INTER_NEAREST, cv.BORDER_CONSTANT, new cv.Scalar(-1));
      ownersIn.delete();
      return Int16Array.from(ownersOut.data32F);
    });
    const sigma = uniform(random, 0.5, 1.4);
    cv.GaussianBlur(out, source, new cv.Size(0, 0), sigma, sigma, cv.BORDER_REPLICATE);
    const result = Uint8Array.from(source.data);
    for (const m of [source, from, to, transform]) m.delete();
    return result;
  });
  const jpeg = await sharp(warped, { raw: { width, height, channels: 1 } })
    .jpeg({ quality: Math.round(uniform(random, 45, 85)) })
    .toBuffer();
  const { data, info } = await sharp(jpeg).grayscale().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height) throw new Error('JPEG round trip changed the image size');
  return { gray: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), owners: warpedOwners, width, height };
}

export async function encodePng(image: ComposedImage): Promise<Buffer> {
  return sharp(image.gray, { raw: { width: image.width, height: image.height, channels: 1 } })
    .png()
    .toBuffer();
}

/**
 * A composed photo as a webcam frame of width x height: scaled to fit and extended with the grey of
 * its own paper (the median of its border), so the frame is all paper: a letterbox band of another
 * grey, or repeated edge pixels, would add edges and streaks no camera makes.
 */
export async function asCameraFrame(image: ComposedImage, width = 640, height = 480): Promise<{ gray: Buffer; jpeg: Buffer }> {
  const fitted = await sharp(image.gray, { raw: { width: image.width, height: image.height, channels: 1 } })
    .resize({ width, height, fit: 'inside' })
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (fitted.info.channels !== 1) throw new Error(`expected one grey channel, got ${fitted.info.channels}`);
  const { width: w, height: h } = fitted.info;
  const border: number[] = [];
  for (let x = 0; x < w; x++) border.push(fitted.data[x], fitted.data[(h - 1) * w + x]);
  for (let y = 0; y < h; y++) border.push(fitted.data[y * w], fitted.data[y * w + w - 1]);
  const paper = border.sort((a, b) => a - b)[Math.floor(border.length / 2)];
  const padX = width - w,
    padY = height - h;
  const gray = await sharp(fitted.data, { raw: { width: w, height: h, channels: 1 } })
    .extend({
      left: Math.floor(padX / 2),
      right: Math.ceil(padX / 2),
      top: Math.floor(padY / 2),
      bottom: Math.ceil(padY / 2),
      background: { r: paper, g: paper, b: paper },
    })
    .grayscale()
    .raw()
    .toBuffer();
  const jpeg = await sharp(gray, { raw: { width, height, channels: 1 } })
    .jpeg({ quality: 80 })
    .toBuffer();
  return { gray, jpeg };
}
