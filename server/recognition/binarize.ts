/**
 * From a grey image to an ink mask: decide the polarity, compensate uneven light where there is
 * any, threshold with Otsu, and tidy the mask with light morphology.
 */
import { cv, withMats, type Mat } from '../ml/opencv.js';
import { LINE_PIECE_ASPECT, LINE_PIECE_LENGTH } from './components.js';
import { withoutShapes } from './shapes.js';
import { beyondPage, labelsReachingBorder, withoutRegionsWritingCrosses } from './page.js';
import { addPoint, closeSmallGaps, forEachInk, histogramOf, hysteresis, inkRows, labelInk, noMoments, percentile, principalAxis, rowWords } from './masks.js';
import { removeLineStubs, removeRuledLines } from './ruling.js';

export interface GrayImage8 {
  data: Uint8Array;
  width: number;
  height: number;
}

export type BinarizeMethod = 'otsu' | 'adaptive';

export interface InkImage {
  width: number;
  height: number;
  /** 255 where there is ink, 0 elsewhere. */
  mask: Uint8Array;
  /** Ink brightness with the background at about 0: what digit crops are cut from (keeps anti-aliasing). */
  intensity: Uint8Array;
  polarity: 'dark-on-light' | 'light-on-dark';
  method: BinarizeMethod;
  threshold: number;
  /** 1 where the frame shows what is not paper (a desk beyond the sheet), when a page was found (see page.ts). */
  notPaper?: Uint8Array;
}

/** Background brightness that varies more than this across the image (in grey levels) is uneven light. */
const UNEVEN_LIGHT_LEVELS = 24;
/** Ink must stand out from the background by at least this many grey levels. */
const MIN_INK_CONTRAST = 28;
/**
 * A frame holds ink when at least this many pixels stand out by MIN_INK_CONTRAST: a short stroke's
 * worth. A share of the frame would miss a lone digit written small (a 1 twenty pixels tall is a
 * few dozen pixels of a 640x480 frame's 307,200).
 */
const MIN_INK_PIXELS = 40;
/** Hysteresis: ink connected to strong ink counts down to this fraction of the threshold. */
const HYSTERESIS_LOW = 0.5;

/** Otsu's threshold over a histogram: the level that best separates two classes of grey. */
function otsuLevel(histogram: Float64Array, total: number): number {
  let sumAll = 0;
  for (let level = 0; level < 256; level++) sumAll += level * histogram[level];
  let weightBackground = 0,
    sumBackground = 0,
    best = 0,
    bestVariance = -1;
  for (let level = 0; level < 256; level++) {
    weightBackground += histogram[level];
    if (weightBackground === 0) continue;
    const weightForeground = total - weightBackground;
    if (weightForeground === 0) break;
    sumBackground += level * histogram[level];
    const meanBackground = sumBackground / weightBackground;
    const meanForeground = (sumAll - sumBackground) / weightForeground;
    const variance = weightBackground * weightForeground * (meanBackground - meanForeground) ** 2;
    if (variance > bestVariance) {
      bestVariance = variance;
      best = level;
    }
  }
  return best;
}

function odd(value: number): number {
  const rounded = Math.max(3, Math.round(value));
  return rounded % 2 === 0 ? rounded + 1 : rounded;
}

/**
 * The local mean's window, as a fraction of the short side: wide enough that ink is the minority
 * within it, narrow enough that a large dark region (a desk, a shadow) pulls few means beside it.
 */
const POLARITY_WINDOW = 8;
/** The share of pixels in each tail of the frame's greys, and how much further the dark tail must reach to overrule a light skew. */
const POLARITY_TAIL = 0.005;
const POLARITY_TAIL_RATIO = 2;
/**
 * A light skew below this is weak evidence and is judged again without the steps in the light:
 * light ink on a dark surface mostly skews 0.5 to 4 (on the varied set; a few frames in a hundred
 * lower, down to about 0.2), shadowed paper with dark ink up to about 0.25.
 */
const POLARITY_WEAK_SKEW = 0.3;
/**
 * Where the local mean changes by more than this many grey levels within one window, there is a
 * step in the light: sparse ink moves the mean far less.
 */
const POLARITY_STEP_LEVELS = 45;

/** The skew of grey minus local mean over the pixels `skip` does not pick. */
function residualSkew(values: Uint8Array, means: Uint8Array, skip: (i: number) => boolean): number {
  let second = 0,
    third = 0,
    n = 0;
  for (let i = 0; i < values.length; i++) {
    if (skip(i)) continue;
    const residual = values[i] - means[i];
    second += residual * residual;
    third += residual * residual * residual;
    n++;
  }
  return third / Math.max(1, n) / Math.max(1e-9, (second / Math.max(1, n)) ** 1.5);
}

/**
 * Pixels where `means` changes by more than POLARITY_STEP_LEVELS within a `window` around them, in
 * bands that reach the frame's border: a shadow's edge runs in from outside the frame, while bold
 * ink moves the mean as much but inside it (a single marker digit).
 */
function stepBand(means: Mat, window: number): Uint8Array {
  return withMats(3, (highest, lowest, labels) => {
    const kernel = cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(window, window));
    cv.morphologyEx(means, highest, cv.MORPH_DILATE, kernel);
    cv.morphologyEx(means, lowest, cv.MORPH_ERODE, kernel);
    kernel.delete();
    const band = new Uint8Array(highest.data.length);
    for (let i = 0; i < band.length; i++) band[i] = highest.data[i] - lowest.data[i] > POLARITY_STEP_LEVELS ? 255 : 0;
    const bandMat = cv.matFromArray(means.rows, means.cols, cv.CV_8U, band);
    const count = cv.connectedComponents(bandMat, labels, 8, cv.CV_32S);
    bandMat.delete();
    const label = labels.data32S;
    const reaches = labelsReachingBorder(label, count, means.cols, means.rows);
    for (let i = 0; i < band.length; i++) band[i] = reaches[label[i]];
    return band;
  });
}

/**
 * Which way ink deviates from its surroundings. Ink is the minority of pixels that stand out from
 * the local background, so the residuals (grey minus a wide local mean) have a long tail on the
 * ink's side: negative for dark ink, positive for light ink. Their skew's sign says which, whatever
 * the exposure (an underexposed photo of white paper is mostly dark grey, yet its ink is darker).
 * `notPaper` (see page.ts) is left out, and painted with the paper's median so that the local means
 * beside it are the paper's own: a dark desk beside bright paper would make the paper look like light ink.
 *
 * A step in the light (a hard shadow's edge) leaves residuals on both sides of it, as many light as
 * dark, and with little ink in the shadow they can outweigh the ink: the skew comes out near zero,
 * either way. A weakly light skew is therefore judged again without the band along such steps.
 */
export function inkPolarity(image: GrayImage8, notPaper: Uint8Array | null = null): InkImage['polarity'] {
  const { width, height } = image;
  return withMats(2, (small, localMean) => {
    const factor = backgroundReduction(width, height);
    const size = new cv.Size(Math.max(1, Math.round(width / factor)), Math.max(1, Math.round(height / factor)));
    const source = cv.matFromArray(height, width, cv.CV_8U, image.data);
    cv.resize(source, small, size, 0, 0, cv.INTER_AREA);
    source.delete();
    const values = small.data;
    let outside: Uint8Array | null = null;
    if (notPaper) {
      outside = withMats(1, (smallOutside) => {
        const mask = cv.matFromArray(height, width, cv.CV_8U, notPaper);
        cv.resize(mask, smallOutside, size, 0, 0, cv.INTER_NEAREST);
        mask.delete();
        return smallOutside.data.slice();
      });
      const paper = new Uint8Array(values.length);
      let paperCount = 0;
      for (let i = 0; i < values.length; i++) if (!outside[i]) paper[paperCount++] = values[i];
      paper.subarray(0, paperCount).sort();
      const median = paperCount > 0 ? paper[Math.floor(paperCount / 2)] : 255;
      for (let i = 0; i < values.length; i++) if (outside[i]) values[i] = median;
    }
    const window = odd(Math.min(small.cols, small.rows) / POLARITY_WINDOW);
    cv.blur(small, localMean, new cv.Size(window, window), new cv.Point(-1, -1), cv.BORDER_REPLICATE);
    const means = localMean.data;
    let skew = residualSkew(values, means, (i) => Boolean(outside?.[i]));
    if (skew > 0 && skew < POLARITY_WEAK_SKEW) {
      const steps = stepBand(localMean, window);
      skew = residualSkew(values, means, (i) => Boolean(outside?.[i] || steps[i]));
    }
    if (skew <= 0) return 'dark-on-light';
    // Light ink needs a surface darker than itself. A dark picture on light paper (a face, whose
    // eyes stand out light from it) skews light too, but most of the frame is the light paper: what
    // stands out darker than the frame's middle grey goes further than what stands out lighter.
    const histogram = new Float64Array(256);
    let n = 0;
    for (let i = 0; i < values.length; i++) {
      if (outside?.[i]) continue;
      histogram[values[i]]++;
      n++;
    }
    const middle = percentile(histogram, n, 0.5);
    const lighter = percentile(histogram, n, 1 - POLARITY_TAIL) - middle;
    const darker = middle - percentile(histogram, n, POLARITY_TAIL);
    return darker > POLARITY_TAIL_RATIO * lighter ? 'dark-on-light' : 'light-on-dark';
  });
}

export function binarize(image: GrayImage8): InkImage {
  const page = beyondPage(image);
  const ink = binarizeOnPage(image, page);
  if (!ink.notPaper) return ink;
  // Writing that runs on into a region taken for not paper says that region is the sheet in shadow.
  const crossed = withoutRegionsWritingCrosses(ink);
  // The ink stays as it was found: the region it runs on into is paper in shadow, which the skew,
  // with so much more shadow to judge, may take for a dark surface under light ink.
  return crossed === undefined ? ink : binarizeOnPage(image, crossed, ink.polarity);
}

/**
 * `page`: what is not paper (see page.ts), or null for a frame that is all paper. `inkOnSheet`:
 * the ink's polarity on the sheet where already known.
 */
function binarizeOnPage(image: GrayImage8, page: Uint8Array | null, inkOnSheet?: InkImage['polarity']): InkImage {
  const { width, height } = image;
  const total = width * height;
  // A sheet is looked for as light paper; if, leaving out what is not that paper, the ink is still
  // light on dark (a board, a screen), there is no sheet.
  const onSheet = inkOnSheet ?? inkPolarity(image, page);
  const notPaper = onSheet === 'dark-on-light' ? page : null;
  // Then the whole frame says which way its ink goes: what was left out may hold all the writing
  // there is (a sheet half in a hand's shadow, taken for a desk), and the lit paper left has no ink
  // to tell by.
  const polarity = page && onSheet === 'light-on-dark' ? inkPolarity(image, null) : onSheet;

  return withMats(4, (inkBright, background, flattened, kernelScratch) => {
    const source = cv.matFromArray(height, width, cv.CV_8U, image.data);
    if (polarity === 'dark-on-light') {
      // Work on ink-bright values (255 - grey) from here on, whatever the paper.
      cv.bitwise_not(source, inkBright);
      // Painted in the Mat's own bytes: nothing in between allocates in OpenCV's heap, which would move them.
      if (notPaper) paintOverNotPaper(inkBright.data, notPaper, width, height);
    } else {
      source.copyTo(inkBright);
    }
    source.delete();

    // The background is what an opening with a window wider than any stroke leaves behind. First
    // a third of the short side: wider than any stroke of digits that fit in the image.
    backgroundOf(inkBright, Math.min(width, height) / 3, background, kernelScratch);
    const backgroundHistogram = histogramOf(background.data);
    const unevenness = percentile(backgroundHistogram, total, 0.98) - percentile(backgroundHistogram, total, 0.02);
    // A frame that shows the sheet's edge is a photo, never an evenly lit scan.
    const method: BinarizeMethod = unevenness > UNEVEN_LIGHT_LEVELS || notPaper ? 'adaptive' : 'otsu';

    const wide = { paper: backgroundHistogram, background: backgroundHistogram };
    let { intensity, mask, threshold, nearSteps } = inkOf(inkBright, background, kernelScratch, flattened, method, wide, notPaper);
    let pen: number | undefined;
    if (method === 'adaptive') {
      // So wide a window cuts the top off light that changes within it (a dark corner, a shadow's
      // edge), and what it cuts off reads as ink. Once the pen's width is known from this first
      // mask, the background is estimated again with a window a few pens wide, which follows the
      // light closely and still removes every stroke.
      // Ruled lines out first: their thickness, in every column they cross, would pass for the pen's.
      removeRuledLines(mask, width, height, penWidth(mask, width, height), intensity);
      const { writing, sized } = writingPieces(mask, width, height);
      pen = penWidth(writing, width, height);
      // The window must be wider than the strokes that hold most of the writing's ink, or it
      // leaves their middles in the background and they come out hollow.
      const { thickness, pixels } = inkThickness(sized, width, height, Math.floor(Math.min(width, height) / 3 / PEN_WIDTHS_PER_WINDOW));
      // And narrower than the commonest run where that run was not the pen's but a band of
      // something thick (a hard shadow's edge the first window could not follow), once the
      // writing's own strokes hold enough ink to say so.
      const thinnerWriting =
        thickness >= MIN_WRITING_THICKNESS &&
        pixels >= Math.max(MIN_WRITING_STROKE_LENGTH * thickness, MIN_WRITING_ASPECT * thickness ** 2) &&
        pen >= THIN_RUNS_RATIO * thickness;
      const thickerWriting = thickness >= THIN_RUNS_RATIO * pen;
      const window = PEN_WIDTHS_PER_WINDOW * (thickerWriting || thinnerWriting ? thickness : pen);
      if (pen > 0 && window < Math.min(width, height) / 3) {
        backgroundOf(inkBright, window, background, kernelScratch, nearSteps ? Math.min(STEP_REDUCTION, backgroundReduction(width, height)) : undefined);
        const close = { paper: backgroundHistogram, background: histogramOf(background.data) };
        ({ intensity, mask, threshold, nearSteps } = inkOf(inkBright, background, kernelScratch, flattened, method, close, notPaper));
      }
    }
    // Before anything judges ink by what it touches: a ruled line joins the digits on it to the border.
    removeRuledLines(mask, width, height, penWidth(mask, width, height), intensity);
    if (nearSteps) dropStepResidue(mask, width, height, nearSteps);
    withoutShapes(mask, width, height);
    // After the pictures are judged whole: thin ink inside one (a threshold's seams) is no stub.
    removeLineStubs(mask, width, height, pen ?? penWidth(withoutLinePieces(mask, width, height), width, height));
    return { width, height, mask, intensity, polarity, method, threshold, ...(notPaper ? { notPaper } : {}) };
  });
}

/**
 * What is not paper is painted over with the paper nearest it (low ink-bright values) before the
 * background is estimated: left dark, the desk would pull the background estimate of the paper
 * beside it, and its edge would read as ink. The nearest paper, not the brightest: light falls off
 * across a sheet, and paper darker than the brightest by more than ink's contrast, painted beside,
 * read as a wedge of ink a background window wide along the whole edge. Filled at the background's
 * reduction (light varies slowly): each reduced cell of paper is the brightest of its pixels (ink
 * is never the brightest), and cells of what is not paper take, ring by ring outwards, the value of
 * the paper reached first.
 */
function paintOverNotPaper(inkBright: Uint8Array, notPaper: Uint8Array, width: number, height: number): void {
  const factor = backgroundReduction(width, height);
  const cellsAcross = Math.ceil(width / factor),
    cellsDown = Math.ceil(height / factor);
  const fill = new Uint8Array(cellsAcross * cellsDown).fill(255);
  const known = new Uint8Array(fill.length);
  const cellAcross = Int32Array.from({ length: width }, (_, x) => Math.floor(x / factor));
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / factor) * cellsAcross;
    for (let x = 0, i = y * width; x < width; x++, i++) {
      if (notPaper[i]) continue;
      const cell = row + cellAcross[x];
      known[cell] = 1;
      if (inkBright[i] < fill[cell]) fill[cell] = inkBright[i];
    }
  }
  // Breadth first from every cell of paper: each cell reached takes its reacher's value.
  const queue = new Int32Array(fill.length);
  let head = 0,
    tail = 0;
  for (let cell = 0; cell < fill.length; cell++) if (known[cell]) queue[tail++] = cell;
  if (tail === 0) return;
  while (head < tail) {
    const cell = queue[head++];
    const cx = cell % cellsAcross,
      cy = (cell - cx) / cellsAcross;
    for (const [dx, dy] of NEIGHBOURS_4) {
      const nx = cx + dx,
        ny = cy + dy;
      if (nx < 0 || ny < 0 || nx >= cellsAcross || ny >= cellsDown) continue;
      const next = ny * cellsAcross + nx;
      if (known[next]) continue;
      known[next] = 1;
      fill[next] = fill[cell];
      queue[tail++] = next;
    }
  }
  forEachInk(notPaper, (i) => {
    const y = (i / width) | 0;
    inkBright[i] = fill[Math.floor(y / factor) * cellsAcross + cellAcross[i - y * width]];
  });
}

const NEIGHBOURS_4 = [
  [1, 0],
  [-1, 0],
  [0, 1],
  [0, -1],
] as const;

/**
 * The writing's ink this many times thicker than the commonest run (usually 1 to 1.5 times): the
 * runs were a thin line's (a ruled line joined to the writing, a shadow's ragged edge), not the
 * pen's, and the background window is sized on the ink's thickness instead.
 */
const THIN_RUNS_RATIO = 2.5;
/**
 * The writing's thickness says the commonest run was something else's only where it is measured on
 * as much ink as a stroke this many pixels long holds (a couple of digits' strokes, even small
 * ones), and this many times longer than it is thick (a digit's strokes are; a filled shape is not),
 * and is over a pixel: a few specks, or a picture's features or a disc, which are all that some
 * frames have clear of the border at that size, say nothing.
 */
const MIN_WRITING_STROKE_LENGTH = 100;
const MIN_WRITING_ASPECT = 15;
const MIN_WRITING_THICKNESS = 2;
/** Pieces of ink longer than this share of the frame's short side are not writing's, for inkThickness. */
const WRITING_PIECE_SHARE = 0.25;
/** The background window, in pen widths, once the pen's width is known. */
const PEN_WIDTHS_PER_WINDOW = 3;

/**
 * Where the first background steps (a hard shadow's edge across the sheet), the second is estimated
 * at this reduction rather than on a copy 120 pixels high: scaled back up, a step is blurred over a
 * reduced pixel, and the band beside it that clearBackgroundSteps must clear of ink narrows from
 * four pixels (in a 640x480 frame) to two, so digits that a shadow's edge crosses keep their strokes
 * there. A finer estimate costs more for every frame and read no better on frames without steps.
 */
const STEP_REDUCTION = 2;

/** Light varies slowly: by default the background is estimated on a copy about 120 pixels on its short side. */
function backgroundReduction(width: number, height: number): number {
  return Math.max(1, Math.floor(Math.min(width, height) / 120));
}

/**
 * The background of ink-bright `source` into `background`: an opening (erosion then dilation) with
 * a square `window` pixels wide, computed at reduced resolution (light varies slowly, and a big
 * window is costly) and scaled back.
 */
function backgroundOf(source: Mat, window: number, background: Mat, scratch: Mat, factor = backgroundReduction(source.cols, source.rows)): void {
  const { cols: width, rows: height } = source;
  const small = new cv.Mat();
  cv.resize(source, small, new cv.Size(Math.max(1, Math.round(width / factor)), Math.max(1, Math.round(height / factor))), 0, 0, cv.INTER_AREA);
  const side = odd(window / factor);
  const kernel = cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(side, side));
  cv.morphologyEx(small, scratch, cv.MORPH_OPEN, kernel);
  kernel.delete();
  small.delete();
  cv.resize(scratch, background, new cv.Size(width, height), 0, 0, cv.INTER_LINEAR);
}

/**
 * Where the background itself steps by more than this many grey levels within a reduced pixel, no ink is
 * read: that is the edge of the sheet against the desk, the sheet's shadow on the desk, or a hard
 * shadow's edge, whose dark side a background estimate cannot follow exactly and would leave as a
 * long thin line of "ink". Ink on paper sits on a flat background, whatever its own contrast.
 */
const BACKGROUND_STEP_LEVELS = 40;

/** How many pixels of a background hold each grey. */
interface BackgroundGreys {
  /** Of the first, wide background, on which the brightest paper is judged. */
  paper: Float64Array;
  /** Of the background in use (the first one's counts again while it is the one in use). */
  background: Float64Array;
}

/** Ink brightness above the background, the mask thresholded from it, and where the background steps (see clearBackgroundSteps). */
function inkOf(
  inkBright: Mat,
  background: Mat,
  smallBackground: Mat,
  flattened: Mat,
  method: BinarizeMethod,
  greys: BackgroundGreys,
  notPaper: Uint8Array | null,
) {
  const { cols: width, rows: height } = inkBright;
  const total = width * height;
  let intensity: Uint8Array;
  let steps: ReturnType<typeof clearBackgroundSteps> = null;
  if (method === 'adaptive') {
    cv.subtract(inkBright, background, flattened);
    intensity = relativeToPaper(flattened.data, background.data, greys, total);
    steps = clearBackgroundSteps(smallBackground, intensity, width, height);
  } else {
    // Even light: subtract the single background level so faint paper does not read as ink.
    const level = percentile(greys.paper, total, 0.5);
    const bright = inkBright.data;
    intensity = new Uint8Array(total);
    for (let i = 0; i < total; i++) intensity[i] = bright[i] > level ? bright[i] - level : 0;
  }
  if (notPaper) forEachInk(notPaper, (i) => (intensity[i] = 0));
  const histogram = histogramOf(intensity);
  const strongest = percentile(histogram, total, 0.999);
  const threshold = Math.max(MIN_INK_CONTRAST, otsuLevel(histogram, total), Math.round(strongest * 0.25));
  if (steps) bridgeStrokesAcross(steps.cleared, intensity, width, height, steps.span, threshold);
  const mask = new Uint8Array(total);
  const anyInk = percentile(histogram, total, 1 - MIN_INK_PIXELS / total) >= MIN_INK_CONTRAST;
  if (anyInk) hysteresis(intensity, width, height, threshold, Math.max(MIN_INK_CONTRAST * 0.6, threshold * HYSTERESIS_LOW), mask);
  if (method === 'adaptive') closeSmallGaps(mask, width, height);
  return { intensity, mask, threshold, nearSteps: steps?.near ?? null };
}

/** Paper this much darker than the brightest paper, or more, gets no more gain (a desk, a deep shadow). */
const MAX_SHADOW_GAIN = 3;

/**
 * Ink contrast as a share of the paper's own brightness where it lies, scaled to the brightest
 * paper's: light falls on ink and paper alike, so ink in a hand's shadow takes away as large a
 * share of a dimmer paper's light, and would otherwise fall below a threshold set by the lit part.
 * `background` is ink-bright (255 - the paper's grey).
 */
function relativeToPaper(difference: Uint8Array, background: Uint8Array, greys: BackgroundGreys, total: number): Uint8Array {
  const brightestPaper = 255 - percentile(greys.paper, total, 0.1);
  const dimmest = brightestPaper / MAX_SHADOW_GAIN;
  // The gain for each of the 256 background levels, and from it the result for every pair of
  // background level and difference (64 K entries, a fifth of a frame's pixels), looked up per pixel.
  const gain = Float32Array.from({ length: 256 }, (_, level) => brightestPaper / Math.max(dimmest, 255 - level, 1));
  const scaledByLevel = new Uint8Array(256 * 256);
  // Only for the levels this background has: light varies slowly, so a frame's background holds a
  // few dozen of them, and filling all 256 rows cost more than the lookups themselves.
  for (let level = 0; level < 256; level++) {
    if (greys.background[level] === 0) continue;
    for (let value = 1; value < 256; value++) {
      const scaled = value * gain[level] + 0.5;
      scaledByLevel[(level << 8) | value] = scaled > 255 ? 255 : scaled;
    }
  }
  const intensity = new Uint8Array(difference.length);
  // Without a branch on the difference: about half a frame's paper differs from its background by
  // a level or two, and a branch that goes either way at random costs more than the lookup.
  for (let i = 0; i < difference.length; i++) intensity[i] = scaledByLevel[(background[i] << 8) | difference[i]];
  return intensity;
}

/**
 * Zeroes `intensity` on the dark side of a step in the background (`smallBackground`, the opening at
 * reduced resolution that backgroundOf leaves in its scratch): scaled back up, a step is blurred
 * over a reduced pixel, and on its dark side the background is underestimated by up to the step.
 * Returns where the steps are, grown by a few reduced pixels (`near`), the pixels zeroed
 * (`cleared`) and how far a stroke's ink may lie across them (`span`: a reduced pixel and one, for
 * bridgeStrokesAcross), or null when there are none.
 */
function clearBackgroundSteps(
  smallBackground: Mat,
  intensity: Uint8Array,
  width: number,
  height: number,
): { near: Uint8Array; cleared: Uint8Array; span: number } | null {
  return withMats(3, (brightest, steps, near) => {
    const kernel = cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(3, 3));
    // In ink-bright terms the dark side is the high one: the lowest value around is the paper beside it.
    cv.morphologyEx(smallBackground, brightest, cv.MORPH_ERODE, kernel);
    kernel.delete();
    const level = smallBackground.data,
      paper = brightest.data;
    const step = new Uint8Array(level.length);
    let any = false;
    for (let i = 0; i < level.length; i++)
      if (level[i] - paper[i] > BACKGROUND_STEP_LEVELS) {
        step[i] = 1;
        any = true;
      }
    if (!any) return null;
    const stepMat = cv.matFromArray(smallBackground.rows, smallBackground.cols, cv.CV_8U, step);
    cv.resize(stepMat, steps, new cv.Size(width, height), 0, 0, cv.INTER_NEAREST);
    const full = steps.data;
    forEachInk(full, (i) => (intensity[i] = 0));
    const cleared = full.slice();
    const grow = cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(5, 5));
    cv.morphologyEx(stepMat, near, cv.MORPH_DILATE, grow);
    cv.resize(near, steps, new cv.Size(width, height), 0, 0, cv.INTER_NEAREST);
    grow.delete();
    stepMat.delete();
    return { near: steps.data.slice(), cleared, span: Math.ceil(width / smallBackground.cols) + 1 };
  });
}

/** A step's band is drawn out when its main axis's spread is this many times the spread across it. */
const BRIDGED_STEP_ELONGATION = 3;

/**
 * Gives back their ink to the stroke pixels that clearing a step took: a digit written across a
 * shadow's edge had each stroke cut by a band of no ink a reduced pixel wide, and the network, which
 * sees the ink's intensity, read a 1 so cut as "not one digit" and a 9 as a 2. A cleared pixel with
 * ink (at least `inkLevel`) within `span` pixels on both sides, across, down or diagonally, lies on
 * a stroke that crosses the band, and takes the mean of the two sides; the residue a step leaves
 * lies along the band, on its dark side only, with the lit paper across from it.
 */
function bridgeStrokesAcross(cleared: Uint8Array, intensity: Uint8Array, width: number, height: number, span: number, inkLevel: number): void {
  // Only across long, drawn-out steps (see LONG_STEP and BRIDGED_STEP_ELONGATION): a shadow's edge
  // or the sheet's. A short one, or one that runs round, is bold ink or a picture raising the
  // background estimate itself, and bridging there joins shapes that merely come close (two rings
  // into an 8).
  const { count, labels, stats } = labelInk(cleared, width, height);
  const moments = Array.from({ length: count }, noMoments);
  forEachInk(cleared, (i) => {
    const x = i % width;
    addPoint(moments[labels[i]], x, (i - x) / width);
  });
  const bridgeable = new Uint8Array(count);
  for (let k = 1; k < count; k++) {
    const { varianceAlong, varianceAcross } = principalAxis(moments[k]);
    const long = Math.max(stats[k * 5 + 2], stats[k * 5 + 3]) >= LONG_STEP * Math.min(width, height);
    if (long && varianceAlong >= BRIDGED_STEP_ELONGATION ** 2 * Math.max(varianceAcross, 1e-9)) bridgeable[k] = 1;
  }
  const stillCleared = new Uint8Array(cleared.length);
  forEachInk(cleared, (i) => (stillCleared[i] = bridgeable[labels[i]]));
  // Across, down and both diagonals: a slanted stroke meets a band of square pixels at a slant.
  const directions = [
    [1, 0],
    [0, 1],
    [1, 1],
    [-1, 1],
  ] as const;
  /** The intensity of the first pixel not cleared from (x, y) in steps of (dx, dy), at most `span` of them, if it is ink; else 0. */
  const inkBeyond = (x: number, y: number, dx: number, dy: number) => {
    for (let k = 1; k <= span; k++) {
      const nx = x + k * dx,
        ny = y + k * dy;
      if (nx < 0 || ny < 0 || nx >= width || ny >= height) return 0;
      const j = ny * width + nx;
      if (!stillCleared[j]) return intensity[j] >= inkLevel ? intensity[j] : 0;
    }
    return 0;
  };
  // A few rounds: a pixel whose sides were cleared too is reached once its neighbours are bridged.
  for (let round = 0; round < 3; round++) {
    const bridged: [number, number][] = [];
    forEachInk(stillCleared, (i) => {
      const x = i % width,
        y = (i - x) / width;
      let value = 0;
      for (const [dx, dy] of directions) {
        const before = inkBeyond(x, y, -dx, -dy),
          after = inkBeyond(x, y, dx, dy);
        if (before && after) value = Math.max(value, (before + after) / 2);
      }
      if (value > 0) bridged.push([i, Math.round(value)]);
    });
    if (bridged.length === 0) break;
    for (const [i, value] of bridged) {
      intensity[i] = value;
      stillCleared[i] = 0;
    }
  }
}

/**
 * What a step in the background leaves as ink, which no background window follows exactly:
 * - ink touching the frame's border near a step: where a shadow's edge meets the border, the
 *   shadow's corner is narrower than any window and reads as a wedge of ink;
 * - ink lying along a long step, ALONG_STEP_SHARE of it or more within the step's band, and
 *   ALONG_STEP_ASPECT times longer than wide: the edge of a shadow or of the desk left as a stroke,
 *   read as a 1 of its own or added to the digit beside it. A step is long when it runs LONG_STEP
 *   of the frame's short side: a shorter one is bold ink raising the background estimate itself,
 *   and the thin 1 beside such ink is writing. Digits that merely cross an edge have most of their
 *   ink off its band.
 */
const ALONG_STEP_SHARE = 0.6;
const ALONG_STEP_ASPECT = 2.5;
const LONG_STEP = 0.25;

function dropStepResidue(mask: Uint8Array, width: number, height: number, nearSteps: Uint8Array): void {
  const { count: stepCount, labels: stepLabel, stats: ss } = labelInk(nearSteps, width, height);
  const longStep = new Uint8Array(stepCount);
  for (let k = 1; k < stepCount; k++) if (Math.max(ss[k * 5 + 2], ss[k * 5 + 3]) >= LONG_STEP * Math.min(width, height)) longStep[k] = 1;
  const { count, labels: label, stats: s } = labelInk(mask, width, height);
  const atBorder = labelsReachingBorder(label, count, width, height),
    atStep = new Uint8Array(count),
    alongLongStep = new Float64Array(count);
  forEachInk(nearSteps, (i) => {
    atStep[label[i]] = 1;
    if (longStep[stepLabel[i]]) alongLongStep[label[i]]++;
  });
  const drop = new Uint8Array(count);
  for (let l = 1; l < count; l++) {
    const [w, h, area] = [s[l * 5 + 2], s[l * 5 + 3], s[l * 5 + 4]];
    const residueAlong = alongLongStep[l] >= ALONG_STEP_SHARE * area && Math.max(w, h) >= ALONG_STEP_ASPECT * Math.min(w, h);
    if ((atBorder[l] && atStep[l]) || residueAlong) drop[l] = 1;
  }
  forEachInk(mask, (i) => {
    if (drop[label[i]]) mask[i] = 0;
  });
}

/**
 * The pen's width in pixels: the most common length of the mask's horizontal and vertical runs of
 * ink, in bins a fifth of an octave wide. Strokes make many runs of about the pen's width; a blob
 * of shadow makes runs of every length, spread too thin to make the peak. 0 when there is no ink.
 */
export function penWidth(mask: Uint8Array, width: number, height: number): number {
  const BINS_PER_OCTAVE = 5;
  const bins = new Float64Array(Math.ceil(Math.log2(Math.max(width, height) + 1) * BINS_PER_OCTAVE) + 1);
  const count = (length: number) => {
    if (length > 1) bins[Math.round(Math.log2(length) * BINS_PER_OCTAVE)]++;
  };
  // Rows and columns in one pass in the mask's own order, each column's current run kept apart.
  // A row without ink ends every column's run; the empty rows after it change nothing.
  const columnRun = new Int32Array(width);
  const withInk = inkRows(mask, width, height);
  // Four pixels at a time where rows start on a word: a word without ink, under columns with no
  // run going on, only ends the row's run.
  const words = rowWords(mask, width, height);
  for (let y = 0; y < height; y++) {
    if (y > 0 && !withInk[y] && !withInk[y - 1]) continue;
    const row = y * width;
    let rowRun = 0;
    for (let x = 0; x < width; x++) {
      if (words && (x & 3) === 0 && words[(row + x) >> 2] === 0 && (columnRun[x] | columnRun[x + 1] | columnRun[x + 2] | columnRun[x + 3]) === 0) {
        count(rowRun);
        rowRun = 0;
        x += 3;
        continue;
      }
      if (mask[row + x]) {
        rowRun++;
        columnRun[x]++;
      } else {
        count(rowRun);
        rowRun = 0;
        count(columnRun[x]);
        columnRun[x] = 0;
      }
    }
    count(rowRun);
  }
  for (let x = 0; x < width; x++) count(columnRun[x]);
  let peak = 0;
  for (let bin = 1; bin < bins.length; bin++) if (bins[bin] > bins[peak]) peak = bin;
  return bins[peak] > 0 ? Math.round(2 ** (peak / BINS_PER_OCTAVE)) : 0;
}

/**
 * The stroke thickness that most of the ink has: each ink pixel's thickness is the shorter of its
 * row's and its column's run through it, and this is their median over the ink (pixels thicker
 * than `thickest` left out); 0 without ink. Where penWidth counts runs, so that a thin line joined
 * to the writing outnumbers a bold pen's strokes and passes for the pen, this weighs each stroke
 * by its ink. `pixels`: how many ink pixels it was measured on.
 */
export function inkThickness(mask: Uint8Array, width: number, height: number, thickest: number): { thickness: number; pixels: number } {
  const rowRun = new Uint16Array(width * height);
  const withInk = inkRows(mask, width, height);
  for (let y = 0; y < height; y++) {
    if (!withInk[y]) continue;
    const row = y * width;
    for (let x = 0; x < width;) {
      if (!mask[row + x]) {
        x++;
        continue;
      }
      let end = x;
      while (end < width && mask[row + end]) end++;
      rowRun.fill(Math.min(end - x, 0xffff), row + x, row + end);
      x = end;
    }
  }
  // Columns in the mask's own order: each column's run start kept apart, its pixels counted when it ends.
  const histogram = new Float64Array(thickest + 1);
  let counted = 0;
  const runStart = new Int32Array(width).fill(-1);
  const closeRun = (x: number, end: number) => {
    const length = end - runStart[x];
    for (let y = runStart[x]; y < end; y++) {
      const thickness = Math.min(length, rowRun[y * width + x]);
      if (thickness <= thickest) {
        histogram[thickness]++;
        counted++;
      }
    }
    runStart[x] = -1;
  };
  for (let y = 0; y < height; y++) {
    const row = y * width;
    if (!withInk[y]) {
      if (y > 0 && withInk[y - 1]) for (let x = 0; x < width; x++) if (runStart[x] >= 0) closeRun(x, y);
      continue;
    }
    for (let x = 0; x < width; x++) {
      if (mask[row + x]) {
        if (runStart[x] < 0) runStart[x] = y;
      } else if (runStart[x] >= 0) closeRun(x, y);
    }
  }
  for (let x = 0; x < width; x++) if (runStart[x] >= 0) closeRun(x, height);
  if (counted === 0) return { thickness: 0, pixels: 0 };
  let seen = 0;
  for (let thickness = 1; thickness <= thickest; thickness++) {
    seen += histogram[thickness];
    if (seen * 2 >= counted) return { thickness, pixels: counted };
  }
  return { thickness: 0, pixels: counted };
}

/**
 * A piece of a sloped line (a sheet turned a little) has a box far less long for its thickness
 * than its own length is: its mean thickness, area over length, tells. This many times longer than
 * that is a line; a 1 written with a fine pen is 10-15 times.
 */
const SLOPED_LINE_PIECE_ASPECT = 20;

/**
 * `mask` without the pieces of straight lines that removeRuledLines left (a faint ruled line
 * thresholds into pieces too short to be found as a line): across them they are as thin as the
 * printed rule, and many, so they would pass for the pen. The mask itself if nothing else is left
 * (a number of 1s written with a fine pen).
 */
function withoutLinePieces(mask: Uint8Array, width: number, height: number): Uint8Array {
  return writingPieces(mask, width, height).writing;
}

/**
 * `writing`: as withoutLinePieces. `sized`: only those of its pieces the size
 * writing comes in, clear of the frame's border (a desk, a shadow and the sheet's edge run off
 * it) and no longer than WRITING_PIECE_SHARE of the short side (a picture, or the speckle a first
 * threshold leaves over a pale face, is larger). One labelling for both.
 */
function writingPieces(mask: Uint8Array, width: number, height: number): { writing: Uint8Array; sized: Uint8Array } {
  const { count, labels: label, stats: s } = labelInk(mask, width, height);
  const linePiece = new Uint8Array(count);
  const sizedPiece = new Uint8Array(count);
  const longest = WRITING_PIECE_SHARE * Math.min(width, height);
  let any = false;
  for (let label = 1; label < count; label++) {
    const [x, y, w, h, area] = [s[label * 5], s[label * 5 + 1], s[label * 5 + 2], s[label * 5 + 3], s[label * 5 + 4]];
    const length = Math.hypot(w, h);
    const straight = Math.max(w, h) >= LINE_PIECE_LENGTH && Math.max(w, h) >= LINE_PIECE_ASPECT * Math.min(w, h);
    const thin = length >= LINE_PIECE_LENGTH && length >= SLOPED_LINE_PIECE_ASPECT * (area / length);
    if (straight || thin) {
      linePiece[label] = 1;
      any = true;
    } else if (x > 0 && y > 0 && x + w < width && y + h < height && Math.max(w, h) <= longest) sizedPiece[label] = 1;
  }
  const sized = new Uint8Array(mask.length);
  forEachInk(mask, (i) => {
    if (sizedPiece[label[i]]) sized[i] = 255;
  });
  if (!any) return { writing: mask, sized };
  const writing = new Uint8Array(mask.length);
  let left = 0;
  forEachInk(mask, (i) => {
    if (!linePiece[label[i]]) {
      writing[i] = 255;
      left++;
    }
  });
  return { writing: left > 0 ? writing : mask, sized };
}
