/**
 * Training digits as a pen writes them: MNIST training digits traced into strokes (trace.ts) and
 * digits of the training fonts (fonts.ts), bent (affine and smooth elastic distortion), in the
 * styles MNIST's American writers seldom use (1s with a flag and a foot, crossed 7s, open 4s), and
 * drawn by the serving rasteriser (server/recognition/pen/raster.ts) with pens from fine to bold:
 * so the network sees pen ink as serving will draw it, in more hands than MNIST's.
 */
import { MODEL_INPUT_SIZE } from '../server/ml/normalize.js';
import { REJECT_CLASS } from '../server/ml/model.js';
import { penStroke } from '../server/recognition/pen/ink.js';
import { drawDigit } from '../server/recognition/pen/raster.js';
import type { StrokePoint } from '../server/recognition/strokes.js';
import { fontGlyphStrokes } from './fonts.js';
import { digitPixels, type DigitSet } from './mnist.js';
import { gaussian, shuffledIndices, uniform, type Random } from './random.js';
import type { SegmentSamples } from './segment-samples.js';
import { glyphStrokes } from './trace.js';

type Polyline = [number, number][];
const INPUT_VALUES = MODEL_INPUT_SIZE * MODEL_INPUT_SIZE;

export interface PenSampleOptions {
  count: number;
  /** Share drawn from fonts (when any are given). */
  fontShare: number;
  fonts: readonly string[];
  /** Share drawn as two digits close or overlapping, labelled "not one digit" (default none). */
  rejectShare?: number;
}

const line = (x0: number, y0: number, x1: number, y1: number, steps = 8): Polyline =>
  Array.from({ length: steps + 1 }, (_, i) => [x0 + ((x1 - x0) * i) / steps, y0 + ((y1 - y0) * i) / steps]);

/**
 * A 1 as much of Europe writes it: a flag from the top, sometimes a foot. Hands draw the flag up to
 * two thirds of the digit's height long and often curl it (an arch bulging up and left); a long
 * flag still falls steeply, where a 7's bar lies nearly flat.
 */
function flaggedOne(random: Random): Polyline[] {
  const lean = uniform(random, -0.05, 0.15);
  const [topX, bottomX] = [0.5 + lean, 0.5];
  const flag = uniform(random, 0.2, 0.7),
    angle = (uniform(random, flag > 0.5 ? 35 : 20, 60) * Math.PI) / 180;
  const bow = random() < 0.5 ? uniform(random, 0.05, 0.2) * flag : 0;
  const [startX, startY] = [topX - flag * Math.cos(angle), flag * Math.sin(angle)];
  const arch = line(startX, startY, topX, 0, 6).map(([x, y], i): Polyline[number] => {
    const out = bow * Math.sin((Math.PI * i) / 6);
    return [x - out * Math.sin(angle), y - out * Math.cos(angle)];
  });
  const stem = [...arch, ...line(topX, 0, bottomX, 1).slice(1)];
  if (random() < 0.35) return [stem];
  const foot = uniform(random, 0.15, 0.3);
  return [stem, line(bottomX - foot, 1, bottomX + foot, 1, 4)];
}

/** A 7 crossed through its middle. */
function crossedSeven(strokes: Polyline[], random: Random): Polyline[] {
  const middle = strokes.flat().filter(([, y]) => Math.abs(y - 0.55) < 0.1);
  if (middle.length === 0) return strokes;
  const x = middle.reduce((sum, [px]) => sum + px, 0) / middle.length;
  const half = uniform(random, 0.12, 0.25),
    y = uniform(random, 0.45, 0.6);
  return [...strokes, line(x - half, y + uniform(random, -0.03, 0.03), x + half, y)];
}

/** A 4 with an open top, in two strokes. */
function openFour(random: Random): Polyline[] {
  const j = () => uniform(random, -0.05, 0.05);
  const bar = uniform(random, 0.55, 0.7);
  return [
    [...line(0.3 + j(), 0, 0 + j(), bar, 5), ...line(0, bar, 0.7 + j(), bar + j(), 5).slice(1)],
    line(0.5 + j(), uniform(random, 0.15, 0.35), 0.5 + j(), 1),
  ];
}

/** Affine bend (rotation, slant, aspect) and a smooth elastic wobble, on points in a unit box. */
function distorted(strokes: Polyline[], random: Random): Polyline[] {
  const angle = (uniform(random, -12, 12) * Math.PI) / 180,
    shear = uniform(random, -0.3, 0.3),
    aspect = uniform(random, 0.8, 1.25);
  const waves = Array.from({ length: 2 }, () => ({
    ax: uniform(random, 0, 0.04),
    ay: uniform(random, 0, 0.04),
    fx: uniform(random, 1, 3),
    fy: uniform(random, 1, 3),
    phase: uniform(random, 0, 2 * Math.PI),
  }));
  const cos = Math.cos(angle),
    sin = Math.sin(angle);
  return strokes.map((stroke) =>
    stroke.map(([x, y]): [number, number] => {
      let px = x,
        py = y;
      for (const w of waves) {
        px += w.ax * Math.sin(w.fy * Math.PI * y + w.phase);
        py += w.ay * Math.sin(w.fx * Math.PI * x + w.phase);
      }
      px = (px + shear * (0.5 - py)) * aspect;
      return [cos * px - sin * py + 0.002 * gaussian(random), sin * px + cos * py + 0.002 * gaussian(random)];
    }),
  );
}

/** A digit's strokes side by side with another's, `gap` of a digit height apart (negative: overlapping). */
function pair(left: Polyline[], right: Polyline[], gap: number, drop: number): Polyline[] {
  let edge = -Infinity;
  for (const stroke of left) for (const [x] of stroke) edge = Math.max(edge, x);
  let start = Infinity;
  for (const stroke of right) for (const [x] of stroke) start = Math.min(start, x);
  const shift = edge + gap - start;
  return [...left, ...right.map((stroke) => stroke.map(([x, y]): Polyline[number] => [x + shift, y + drop]))];
}

/**
 * `count` pen-drawn digits with their labels (see the module comment). With `rejectShare`, that
 * share are instead two digits written close or overlapping, drawn as one group and labelled "not
 * one digit" (REJECT_CLASS): what the pen reading's grouping search must learn to turn down.
 */
export async function makePenSamples(train: DigitSet, random: Random, options: PenSampleOptions, onProgress?: (done: number) => void): Promise<SegmentSamples> {
  const { count, fontShare, fonts, rejectShare = 0 } = options;
  const inputs = new Float32Array(count * INPUT_VALUES);
  const labels = new Int32Array(count);
  const order = shuffledIndices(train.labels.length, random);
  let next = 0;
  const digit = async (): Promise<{ label: number; strokes: Polyline[] }> => {
    let label: number;
    let strokes: Polyline[];
    if (fonts.length > 0 && random() < fontShare) {
      label = Math.floor(random() * 10);
      strokes = await fontGlyphStrokes(fonts[Math.floor(random() * fonts.length)], String(label));
    } else {
      const index = order[next++ % order.length];
      label = train.labels[index];
      strokes = glyphStrokes(
        Float32Array.from(digitPixels(train, index), (v) => v / 255),
        train.images.width,
        train.images.height,
      );
    }
    if (label === 1 && random() < 0.5) strokes = flaggedOne(random);
    else if (label === 7 && random() < 0.35) strokes = crossedSeven(strokes, random);
    else if (label === 4 && random() < 0.2) strokes = openFour(random);
    return { label, strokes };
  };
  for (let i = 0; i < count; i++) {
    let { label, strokes } = await digit();
    if (random() < rejectShare) {
      // Close (a tenth of a height apart) to overlapping by a third of a height, as written numbers are.
      strokes = pair(strokes, (await digit()).strokes, uniform(random, -0.35, 0.1), uniform(random, -0.1, 0.1));
      label = REJECT_CLASS;
    }
    const pen = distorted(strokes, random).map((points, s) => penStroke(points as StrokePoint[], s));
    inputs.set(drawDigit(pen, uniform(random, 1 / 14, 1 / 6)), i * INPUT_VALUES);
    labels[i] = label;
    onProgress?.(i + 1);
  }
  return { inputs, labels, count };
}
