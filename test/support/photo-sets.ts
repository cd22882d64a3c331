/**
 * Held-out photo sets: 640x480 webcam frames of handwritten numbers on paper, made by a scene
 * renderer of their own (not training/compose.ts's photo path): a desk beyond the sheet's edge, the
 * sheet turned and seen in perspective, ruled, squared and margin lines crossing the digits, hard shadows,
 * ballpoint, graphite and marker, small writing, and frames with no writing at all. The digits are
 * MNIST digits laid out by compose.ts's clean set, so only the scene differs from what is measured
 * elsewhere. Seeded: the same seed gives the same frames.
 */
import sharp from 'sharp';
import { cv, withMats } from '../../server/ml/opencv.js';
import { composeNumber, SETS } from '../../training/compose.js';
import type { DigitSet } from '../../training/mnist.js';
import { gaussian, uniform, type Random } from '../../training/random.js';

export const FRAME_WIDTH = 640;
export const FRAME_HEIGHT = 480;

type Rgb = [number, number, number];

export interface PhotoSpec {
  /** Digit height in frame pixels. */
  digitHeight: [number, number];
  /** Probability that the sheet's edge and the desk beyond it are in view. */
  edge: number;
  ruled: boolean;
  margin: boolean;
  /** Probability of a hard shadow (a hand, a phone) across the sheet. */
  shadow: number;
  /** No writing: blank paper or pictures; the right reading is no number. */
  blank?: boolean;
  /** Squared paper: ruled both ways, the squares a little over half the digits' height. */
  squared?: boolean;
}

const common: PhotoSpec = { digitHeight: [28, 60], edge: 0.3, ruled: false, margin: false, shadow: 0 };

export const PHOTO_SETS: Record<string, PhotoSpec> = {
  /** The sheet's edge and a desk in view, always. */
  'photo-edge': { ...common, edge: 1 },
  /** Ruled notebook lines through the digits. */
  'photo-ruled': { ...common, ruled: true },
  /** A red margin line crossing the number (and ruled lines). */
  'photo-margin': { ...common, ruled: true, margin: true },
  /** A hard-edged shadow across the sheet. */
  'photo-shadow': { ...common, shadow: 1 },
  /** Squared (grid) paper, as school and squared notebooks are: lines cross every digit both ways. */
  'photo-squared': { ...common, ruled: true, squared: true },
  /** Digits 15-25 px tall. */
  'photo-small': { ...common, digitHeight: [15, 25] },
  /** Blank paper, pictures and patterns: no number to read. */
  'photo-blank': { ...common, blank: true, edge: 0.5 },
};

interface Pen {
  colour: Rgb;
  /** How much of the paper's light the ink takes away at full cover. */
  strength: number;
  /** Stroke change in pixels at 40 px digits (compose.ts's thickness). */
  thickness: [number, number];
}

const PENS: Pen[] = [
  { colour: [0.08, 0.08, 0.12], strength: 0.9, thickness: [0, 1] }, // black ballpoint
  { colour: [0.1, 0.18, 0.55], strength: 0.85, thickness: [-0.5, 0.5] }, // blue ballpoint
  { colour: [0.35, 0.35, 0.38], strength: 0.7, thickness: [-0.5, 0.5] }, // graphite
  { colour: [0.05, 0.05, 0.05], strength: 0.95, thickness: [1.5, 3] }, // marker
];

export interface Photo {
  text: string;
  jpeg: Buffer;
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** The sheet: a turned rectangle in frame pixels; `inside` and the page coordinates of a frame pixel. */
function placeSheet(random: Random, showEdge: boolean) {
  const angle = uniform(random, -0.12, 0.12);
  let centre: [number, number], half: [number, number];
  if (showEdge) {
    // Sheet about the frame's size, pushed off-centre so that one or two edges show.
    half = [uniform(random, 300, 420), uniform(random, 230, 320)];
    const push = uniform(random, 0.15, 0.35);
    const side = Math.floor(random() * 4);
    const dx = side === 0 ? -1 : side === 1 ? 1 : uniform(random, -0.4, 0.4);
    const dy = side === 2 ? -1 : side === 3 ? 1 : uniform(random, -0.4, 0.4);
    centre = [FRAME_WIDTH / 2 + dx * push * FRAME_WIDTH, FRAME_HEIGHT / 2 + dy * push * FRAME_HEIGHT];
  } else {
    half = [FRAME_WIDTH, FRAME_HEIGHT];
    centre = [FRAME_WIDTH / 2, FRAME_HEIGHT / 2];
  }
  const cos = Math.cos(angle),
    sin = Math.sin(angle);
  /** Page coordinates (along the sheet's width and height, from its centre) of a frame pixel. */
  const toPage = (x: number, y: number): [number, number] => {
    const dx = x - centre[0],
      dy = y - centre[1];
    return [cos * dx + sin * dy, -sin * dx + cos * dy];
  };
  const inside = (x: number, y: number) => {
    const [u, v] = toPage(x, y);
    return Math.abs(u) < half[0] && Math.abs(v) < half[1];
  };
  /** Distance outside the sheet, 0 inside. */
  const outside = (x: number, y: number) => {
    const [u, v] = toPage(x, y);
    return Math.hypot(Math.max(0, Math.abs(u) - half[0]), Math.max(0, Math.abs(v) - half[1]));
  };
  return { angle, centre, half, toPage, inside, outside };
}

/** Where the visible sheet is, as a box in frame pixels the number must fit in. */
function visibleSheetBox(sheet: ReturnType<typeof placeSheet>) {
  let x0 = FRAME_WIDTH,
    y0 = FRAME_HEIGHT,
    x1 = 0,
    y1 = 0;
  // Clear of the frame's border by more than the perspective can move a pixel.
  const border = 0.07;
  for (let y = Math.round(border * FRAME_HEIGHT); y < (1 - border) * FRAME_HEIGHT; y += 4)
    for (let x = Math.round(border * FRAME_WIDTH); x < (1 - border) * FRAME_WIDTH; x += 4)
      if (
        sheet.outside(x, y) === 0 &&
        sheet.outside(x + 40, y) === 0 &&
        sheet.outside(x - 40, y) === 0 &&
        sheet.outside(x, y + 40) === 0 &&
        sheet.outside(x, y - 40) === 0
      ) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
  return { x0, y0, x1, y1 };
}

/** A desk: a dark or mid colour with grain along one direction and blotches. */
function deskColour(random: Random): (x: number, y: number) => Rgb {
  const bases: Rgb[] = [
    [0.35, 0.22, 0.12],
    [0.18, 0.18, 0.2],
    [0.5, 0.45, 0.4],
    [0.08, 0.08, 0.08],
    [0.55, 0.38, 0.22],
  ];
  const base = bases[Math.floor(random() * bases.length)];
  const grain = uniform(random, 0.02, 0.1),
    frequency = uniform(random, 0.05, 0.3),
    phase = uniform(random, 0, 10);
  return (x, y) => {
    const g = 1 + grain * Math.sin(frequency * y + 3 * Math.sin(0.01 * x + phase));
    return [base[0] * g, base[1] * g, base[2] * g];
  };
}

/** Ink cover (0..1) of a number of MNIST digits at `digitHeight` and its text, cropped to its ink. */
async function numberInk(digits: DigitSet, random: Random, digitHeight: number, pen: Pen) {
  const composed = await composeNumber(digits, random, { ...SETS.clean, length: [2, 7], height: [digitHeight, digitHeight], thickness: pen.thickness });
  const paper = 235,
    ink = 31;
  const cover = Float32Array.from(composed.gray, (g) => clamp01((paper - g) / (paper - ink)));
  return { text: composed.text, cover, width: composed.width, height: composed.height };
}

/** Pictures that are not writing: filled discs with a wedge cut out, bars, rings, a gradient, a face. */
function drawPicture(
  random: Random,
  paint: (x: number, y: number, colour: Rgb, alpha: number) => void,
  box: { x0: number; y0: number; x1: number; y1: number },
) {
  const shapes = 1 + Math.floor(random() * 3);
  for (let s = 0; s < shapes; s++) {
    const colour: Rgb = [random(), random(), random()];
    const cx = uniform(random, box.x0, box.x1),
      cy = uniform(random, box.y0, box.y1),
      r = uniform(random, 30, 120);
    const kind = Math.floor(random() * 5);
    const wedgeStart = uniform(random, 0, 2 * Math.PI),
      wedge = uniform(random, 0.5, 2);
    for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(FRAME_HEIGHT, cy + r); y++)
      for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(FRAME_WIDTH, cx + r); x++) {
        const dx = x - cx,
          dy = y - cy,
          d = Math.hypot(dx, dy);
        let on: boolean;
        if (kind === 0) {
          // A pie with a wedge cut out (like a camera's test pattern).
          const a = (Math.atan2(dy, dx) - wedgeStart + 4 * Math.PI) % (2 * Math.PI);
          on = d < r && a > wedge;
        } else if (kind === 1)
          on = Math.abs(dx) < r && Math.abs(dy) < r * 0.4; // a bar
        else if (kind === 2)
          on = d < r && d > r * 0.8; // a ring
        else if (kind === 3) {
          // A face: a disc with eyes and a mouth left out.
          const eye = Math.hypot(Math.abs(dx) - r * 0.35, dy + r * 0.3) < r * 0.12;
          const mouth = Math.abs(Math.hypot(dx, dy + r * 0.1) - r * 0.5) < r * 0.06 && dy > r * 0.1;
          on = d < r && !eye && !mouth;
        } else on = Math.abs(dx) < r && Math.abs(dy) < r * 0.7; // a block shaded left to right
        if (on) paint(x, y, colour, kind === 4 ? clamp01(0.3 + (dx / r + 1) / 2) : 0.9);
      }
  }
}

export async function photoSample(spec: PhotoSpec, digits: DigitSet, random: Random): Promise<Photo> {
  const showEdge = random() < spec.edge;
  const sheet = placeSheet(random, showEdge);
  const desk = deskColour(random);
  // White to cream, a little tinted.
  const white = uniform(random, 0.82, 1),
    warmth = uniform(random, -0.02, 0.08);
  const paperColour: Rgb = [white, white * (1 - warmth / 2), white * (1 - warmth)];
  const lightAngle = uniform(random, 0, 2 * Math.PI),
    lightStrength = uniform(random, 0.1, 0.35);
  const pen = PENS[Math.floor(random() * PENS.length)];
  const digitHeight = Math.round(uniform(random, ...spec.digitHeight));
  const visible = visibleSheetBox(sheet);

  const rgb = new Float32Array(FRAME_WIDTH * FRAME_HEIGHT * 3);
  const lineSpacing = digitHeight * (spec.squared ? uniform(random, 0.55, 0.8) : uniform(random, 1.1, 1.5));
  const lineOffset = uniform(random, 0, lineSpacing);
  const lineColour: Rgb = [0.55, 0.7, 0.95];
  const lineWidth = uniform(random, 0.8, 1.8);
  /** How far a page coordinate lies inside the nearest line's edge, in pixels (negative off the line). */
  const fromLine = (w: number) =>
    Math.abs(((((w - lineOffset) % lineSpacing) + lineSpacing) % lineSpacing) - lineSpacing / 2) - (lineSpacing / 2 - lineWidth / 2);
  for (let y = 0; y < FRAME_HEIGHT; y++)
    for (let x = 0; x < FRAME_WIDTH; x++) {
      const at = (y * FRAME_WIDTH + x) * 3;
      const out = sheet.outside(x, y);
      let colour: Rgb;
      if (out > 0) {
        // The desk, darker close to the sheet where the sheet's own shadow falls.
        const d = desk(x, y);
        const shade = 1 - 0.35 * Math.exp(-out / 6);
        colour = [d[0] * shade, d[1] * shade, d[2] * shade];
      } else {
        colour = [...paperColour];
        if (spec.ruled) {
          const [u, v] = sheet.toPage(x, y);
          const cover = clamp01(Math.max(fromLine(v), spec.squared ? fromLine(u) : -Infinity) + 0.5);
          for (let c = 0; c < 3; c++) colour[c] *= 1 - cover * (1 - lineColour[c]);
        }
      }
      const u = (x / FRAME_WIDTH - 0.5) * Math.cos(lightAngle) + (y / FRAME_HEIGHT - 0.5) * Math.sin(lightAngle);
      const light = 1 - lightStrength * (u + 0.5);
      rgb[at] = colour[0] * light;
      rgb[at + 1] = colour[1] * light;
      rgb[at + 2] = colour[2] * light;
    }

  const paint = (x: number, y: number, colour: Rgb, alpha: number) => {
    if (x < 0 || y < 0 || x >= FRAME_WIDTH || y >= FRAME_HEIGHT || sheet.outside(x, y) > 0) return;
    const at = (y * FRAME_WIDTH + x) * 3;
    for (let c = 0; c < 3; c++) rgb[at + c] *= 1 - alpha * (1 - colour[c]);
  };

  let text = '';
  if (spec.blank) {
    if (random() < 0.7) drawPicture(random, paint, visible);
  } else {
    // A number that fits on the visible sheet: fewer digits, or smaller, until it does.
    let number = await numberInk(digits, random, digitHeight, pen);
    for (let tries = 0; number.width > visible.x1 - visible.x0 || number.height > visible.y1 - visible.y0; tries++) {
      if (tries > 40) throw new Error('no number fits on the visible sheet');
      number = await numberInk(digits, random, tries < 4 ? digitHeight : Math.max(spec.digitHeight[0], Math.round(digitHeight * 0.9 ** (tries - 3))), pen);
    }
    text = number.text;
    // The number somewhere on the visible sheet, turned with it.
    const room = { x: visible.x1 - visible.x0 - number.width, y: visible.y1 - visible.y0 - number.height };
    const left = visible.x0 + room.x * random();
    const top = visible.y0 + room.y * random();
    const cos = Math.cos(sheet.angle),
      sin = Math.sin(sheet.angle);
    const cx = left + number.width / 2,
      cy = top + number.height / 2;
    for (let y = 0; y < FRAME_HEIGHT; y++)
      for (let x = 0; x < FRAME_WIDTH; x++) {
        // Inverse of turning the number by the sheet's angle about its centre.
        const dx = x - cx,
          dy = y - cy;
        const ix = Math.round(cos * dx + sin * dy + number.width / 2),
          iy = Math.round(-sin * dx + cos * dy + number.height / 2);
        if (ix < 0 || iy < 0 || ix >= number.width || iy >= number.height) continue;
        const cover = number.cover[iy * number.width + ix];
        if (cover > 0) paint(x, y, pen.colour, cover * pen.strength);
      }
    if (spec.margin) {
      // A red margin line, vertical on the sheet, through the number.
      const [marginU] = sheet.toPage(uniform(random, left + number.width * 0.15, left + number.width * 0.85), cy);
      for (let y = 0; y < FRAME_HEIGHT; y++)
        for (let x = 0; x < FRAME_WIDTH; x++) {
          const [u] = sheet.toPage(x, y);
          const cover = clamp01(1.2 - Math.abs(u - marginU));
          if (cover > 0) paint(x, y, [0.95, 0.35, 0.35], cover * 0.8);
        }
    }
  }

  if (random() < spec.shadow) {
    // A hard shadow: a half-plane at a random angle, soft over a few pixels.
    const a = uniform(random, 0, 2 * Math.PI),
      nx = Math.cos(a),
      ny = Math.sin(a);
    const through = [uniform(random, 0.3, 0.7) * FRAME_WIDTH, uniform(random, 0.3, 0.7) * FRAME_HEIGHT];
    const depth = uniform(random, 0.35, 0.6),
      softness = uniform(random, 1, 6);
    for (let y = 0; y < FRAME_HEIGHT; y++)
      for (let x = 0; x < FRAME_WIDTH; x++) {
        const d = (x - through[0]) * nx + (y - through[1]) * ny;
        const shade = 1 - depth * clamp01(0.5 + d / softness);
        const at = (y * FRAME_WIDTH + x) * 3;
        for (let c = 0; c < 3; c++) rgb[at + c] *= shade;
      }
  }

  const camera = withMats(2, (warped, blurred) => {
    const source = cv.matFromArray(FRAME_HEIGHT, FRAME_WIDTH, cv.CV_32FC3, rgb);
    // Squared paper's lines, mirrored in from beyond the frame's edge where the warp reaches past
    // it, would meet their own images in V shapes no camera sees (read as 1s and 7s); there the
    // corners only move outwards, so that every pixel comes from the scene. The other sets keep
    // their warp (one-way rules meet their images at a shallow angle, read as nothing), so that
    // their frames, and every figure measured on them, stay as they were.
    const nearSide = (side: number) => (spec.squared ? -uniform(random, 0, 0.05) : uniform(random, -0.05, 0.05)) * side;
    const farSide = (side: number) => (spec.squared ? uniform(random, 0, 0.05) : uniform(random, -0.05, 0.05)) * side;
    const from = cv.matFromArray(4, 1, cv.CV_32FC2, [0, 0, FRAME_WIDTH, 0, FRAME_WIDTH, FRAME_HEIGHT, 0, FRAME_HEIGHT]);
    const to = cv.matFromArray(4, 1, cv.CV_32FC2, [
      nearSide(FRAME_WIDTH),
      nearSide(FRAME_HEIGHT),
      FRAME_WIDTH + farSide(FRAME_WIDTH),
      nearSide(FRAME_HEIGHT),
      FRAME_WIDTH + farSide(FRAME_WIDTH),
      FRAME_HEIGHT + farSide(FRAME_HEIGHT),
      nearSide(FRAME_WIDTH),
      FRAME_HEIGHT + farSide(FRAME_HEIGHT),
    ]);
    const transform = cv.getPerspectiveTransform(from, to);
    cv.warpPerspective(source, warped, transform, new cv.Size(FRAME_WIDTH, FRAME_HEIGHT), cv.INTER_LINEAR, cv.BORDER_REFLECT);
    const sigma = uniform(random, 0.5, 1.2);
    cv.GaussianBlur(warped, blurred, new cv.Size(0, 0), sigma, sigma, cv.BORDER_REPLICATE);
    for (const m of [source, from, to, transform]) m.delete();
    return Float32Array.from(blurred.data32F);
  });
  const noise = uniform(random, 0.005, 0.025);
  const bytes = Uint8Array.from(camera, (v) => Math.max(0, Math.min(255, Math.round((v + noise * gaussian(random)) * 255))));
  const jpeg = await sharp(bytes, { raw: { width: FRAME_WIDTH, height: FRAME_HEIGHT, channels: 3 } })
    .jpeg({ quality: Math.round(uniform(random, 55, 85)) })
    .toBuffer();
  return { text, jpeg };
}
