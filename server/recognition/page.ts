/**
 * Finding the page before the ink: in a camera frame held over a sheet, the desk, a sleeve or the
 * table beyond the sheet's edge is dark and large, and read as ink it swamps the writing. What is
 * left of the frame once every stroke is closed over is the surface the writing lies on; its
 * regions much darker than the paper that reach the frame's border are not paper.
 */
import { cv, withMats } from '../ml/opencv.js';
import type { GrayImage8, InkImage } from './binarize.js';
import { forEachInk, histogramOf, labelInk } from './masks.js';

/** The surface is estimated on a copy about this many pixels on its short side: it varies slowly. */
const SURFACE_SIDE = 120;
/**
 * Strokes and filled loops narrower than this fraction of the short side vanish from the surface.
 * Not wider: a strip of desk narrower than the window would vanish with them.
 */
const SURFACE_WINDOW = 0.06;
/**
 * Non-paper is darker than this fraction of the paper's brightness: a desk, a sleeve, the gap
 * beside the sheet; but so is a sheet in a hand's hard shadow, told apart by the writing in it.
 */
const NOT_PAPER_BELOW = 0.65;
/**
 * A dark region with writing in it is paper in shadow, not a desk: it holds at least this share of
 * the frame in thin dark marks (black-hat above WRITING_LEVELS), about a digit's ink.
 */
const MIN_WRITING_SHARE = 0.002;
const WRITING_LEVELS = 15;
/**
 * Or, in a region that covers at least this share of the frame, as a hand's or a phone's shadow
 * does, at least MIN_SHADOW_WRITING_SHARE of the frame in blots (marks joined up) shaped like
 * writing at this scale: a digit or two of small or faint writing, which a desk's grain, in long
 * streaks, is not. A small dark region at the border is more often a thing on the paper.
 */
const MIN_SHADOW_SHARE = 0.1;
const MIN_SHADOW_WRITING_SHARE = 0.0005;
/** A blot is writing-shaped when at most this elongated and its longer side at most this share of the short side. */
const MAX_BLOT_ASPECT = 3;
const MAX_BLOT_SIDE = 0.2;
/** Along its boundary, the surface rises on average by at least this fraction of the paper's brightness. */
const MIN_EDGE_RISE = 0.25;
/** The paper must cover at least this share of the frame for the rest to be called not paper. */
const MIN_PAPER_SHARE = 0.25;
/** Around what is not paper, this share of the short side is left out too: the sheet's edge and its shadow. */
const EDGE_MARGIN = 0.02;

/** Per label of a labelling (0 the background), 1 where some pixel of it lies on the frame's border. */
export function labelsReachingBorder(labels: Int32Array, count: number, width: number, height: number): Uint8Array {
  const reaches = new Uint8Array(count);
  for (let x = 0; x < width; x++) {
    reaches[labels[x]] = 1;
    reaches[labels[(height - 1) * width + x]] = 1;
  }
  for (let y = 0; y < height; y++) {
    reaches[labels[y * width]] = 1;
    reaches[labels[y * width + width - 1]] = 1;
  }
  reaches[0] = 0;
  return reaches;
}

/**
 * 1 for each pixel of `image` (dark ink on light paper) that is not paper, or null when the whole
 * frame is paper (or no paper stands out: a close-up of the writing, a scan).
 */
export function beyondPage(image: GrayImage8): Uint8Array | null {
  const { width, height } = image;
  const factor = Math.max(1, Math.min(width, height) / SURFACE_SIDE);
  const smallWidth = Math.max(1, Math.round(width / factor)),
    smallHeight = Math.max(1, Math.round(height / factor));
  return withMats(4, (small, surface, labels, scratch) => {
    const source = cv.matFromArray(height, width, cv.CV_8U, image.data);
    cv.resize(source, small, new cv.Size(smallWidth, smallHeight), 0, 0, cv.INTER_AREA);
    source.delete();
    const side = Math.max(3, Math.round(SURFACE_WINDOW * Math.min(smallWidth, smallHeight)) | 1);
    const kernel = cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(side, side));
    // A closing (bright spreads, then shrinks back) fills every dark stroke narrower than the window.
    cv.morphologyEx(small, surface, cv.MORPH_CLOSE, kernel);
    kernel.delete();
    const level = surface.data;
    const paper = greyAtRank(level, Math.floor(0.9 * level.length));
    const limit = NOT_PAPER_BELOW * paper;
    const dark = new Uint8Array(level.length);
    let darkCount = 0;
    for (let i = 0; i < level.length; i++)
      if (level[i] < limit) {
        dark[i] = 255;
        darkCount++;
      }
    if (darkCount === 0 || darkCount > (1 - MIN_PAPER_SHARE) * level.length) return null;
    // Only dark regions that reach the frame's border: a dark blot inside the sheet is on the paper.
    const darkMat = cv.matFromArray(smallHeight, smallWidth, cv.CV_8U, dark);
    const count = cv.connectedComponents(darkMat, labels, 4, cv.CV_32S);
    darkMat.delete();
    const label = labels.data32S;
    const reachesBorder = labelsReachingBorder(label, count, smallWidth, smallHeight);
    // The surface's brightest within a few pixels: at a region's boundary it is the paper beside it.
    const edgeKernel = cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(7, 7));
    cv.morphologyEx(surface, scratch, cv.MORPH_DILATE, edgeKernel);
    edgeKernel.delete();
    const nearby = scratch.data.slice();
    // Thin dark marks (black-hat: a small closing minus the image) inside each region, away from its
    // boundary, where the sheet's own shadow on the desk is a thin dark line too.
    const markKernel = cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(5, 5));
    cv.morphologyEx(small, scratch, cv.MORPH_CLOSE, markKernel);
    markKernel.delete();
    const closed = scratch.data,
      values = small.data;
    const marks = new Float64Array(count),
      blotMarks = new Float64Array(count),
      area = new Float64Array(count),
      rise = new Float64Array(count),
      boundary = new Float64Array(count);
    const marked = new Uint8Array(level.length);
    for (let i = 0; i < level.length; i++) {
      const l = label[i];
      if (!reachesBorder[l]) continue;
      area[l]++;
      if (nearby[i] < limit) {
        if (closed[i] - values[i] > WRITING_LEVELS) {
          marks[l]++;
          marked[i] = 255;
        }
      } else {
        rise[l] += nearby[i] - level[i];
        boundary[l]++;
      }
    }
    const blots = labelInk(marked, smallWidth, smallHeight);
    const writingShaped = new Uint8Array(blots.count);
    for (let b = 1; b < blots.count; b++) {
      const [w, h] = [blots.stats[b * 5 + 2], blots.stats[b * 5 + 3]];
      writingShaped[b] = Math.max(w, h) <= MAX_BLOT_ASPECT * Math.min(w, h) && Math.max(w, h) <= MAX_BLOT_SIDE * Math.min(smallWidth, smallHeight) ? 1 : 0;
    }
    forEachInk(marked, (i) => {
      if (writingShaped[blots.labels[i]]) blotMarks[label[i]]++;
    });
    for (let l = 1; l < count; l++) {
      // Writing in it: paper in shadow. Fading into the paper: paper in dim light (a vignette, a
      // lamp to one side); not paper ends at an edge, where the surface rises steeply.
      const writing =
        marks[l] >= MIN_WRITING_SHARE * level.length || (area[l] >= MIN_SHADOW_SHARE * level.length && blotMarks[l] >= MIN_SHADOW_WRITING_SHARE * level.length);
      if (writing || rise[l] < MIN_EDGE_RISE * paper * boundary[l]) reachesBorder[l] = 0;
    }
    const outside = new Uint8Array(level.length);
    let any = false;
    for (let i = 0; i < level.length; i++)
      if (reachesBorder[label[i]]) {
        outside[i] = 255;
        any = true;
      }
    if (!any) return null;
    const outsideMat = cv.matFromArray(smallHeight, smallWidth, cv.CV_8U, outside);
    const grow = Math.max(3, Math.round(2 * EDGE_MARGIN * Math.min(smallWidth, smallHeight)) | 1);
    const growKernel = cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(grow, grow));
    cv.morphologyEx(outsideMat, scratch, cv.MORPH_DILATE, growKernel);
    growKernel.delete();
    outsideMat.delete();
    cv.resize(scratch, small, new cv.Size(width, height), 0, 0, cv.INTER_NEAREST);
    // Not Uint8Array.from with a mapping function: V8 runs that through the iterator protocol, some
    // 40 ms for a 640x480 frame against well under one.
    const grown = small.data,
      notPaper = new Uint8Array(grown.length);
    forEachInk(grown, (i) => (notPaper[i] = 1));
    return notPaper;
  });
}

/**
 * Labels of the components that touch what is not paper or the frame's border, in a frame where the
 * page was found: the remains of the sheet's edge and its shadow, slivers of desk too narrow to
 * stand out, or writing cut off by the frame.
 */
export function labelsOffPage(labels: Int32Array, width: number, height: number, notPaper: Uint8Array): Set<number> {
  const off = new Set<number>();
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const label = labels[i];
      if (label === 0 || off.has(label)) continue;
      if (
        x === 0 ||
        y === 0 ||
        x === width - 1 ||
        y === height - 1 ||
        notPaper[i] ||
        notPaper[i - 1] ||
        notPaper[i + 1] ||
        notPaper[i - width] ||
        notPaper[i + width]
      )
        off.add(label);
    }
  return off;
}

/**
 * A piece of ink that touches what was taken for not paper is writing cut off by it, not the
 * remains of the sheet's edge or a desk's grain, when it is about as tall as the free writing (this
 * share of its median height), no wider than a digit or two, and stands beside it in its line.
 */
const CUT_WRITING_HEIGHT = [0.5, 1.6];
const CUT_WRITING_MAX_WIDTH = 1.5;
/** And stands in a line of writing: within this many writing heights of a free digit-sized piece, beside it. */
const BESIDE_WRITING = 1.5;
/** Pieces shorter than this (pixels) are specks, left out of the writing's height. */
const SPECK = 8;

/**
 * `ink.notPaper` without the regions that writing runs into: a sheet's edge never has writing
 * running on beyond it, a shadow on the sheet does (the region was paper in shadow whose writing
 * the page test, at low resolution, missed). Undefined when no region changes; null when none is left.
 */
export function withoutRegionsWritingCrosses(ink: InkImage): Uint8Array | null | undefined {
  const { width, height, mask, notPaper } = ink;
  if (!notPaper) return undefined;
  return withMats(1, (regions) => {
    const { count, labels: label, stats: s } = labelInk(mask, width, height);
    const offPage = labelsOffPage(label, width, height, notPaper);
    const atBorder = (l: number) => s[l * 5] === 0 || s[l * 5 + 1] === 0 || s[l * 5] + s[l * 5 + 2] === width || s[l * 5 + 1] + s[l * 5 + 3] === height;
    const freeLabels: number[] = [];
    for (let l = 1; l < count; l++) if (!offPage.has(l) && s[l * 5 + 3] >= SPECK) freeLabels.push(l);
    if (freeLabels.length === 0) return undefined;
    const heights = freeLabels.map((l) => s[l * 5 + 3]).sort((a, b) => a - b);
    const writing = heights[Math.floor(heights.length / 2)];
    const digitSized = (l: number) =>
      s[l * 5 + 3] >= CUT_WRITING_HEIGHT[0] * writing && s[l * 5 + 3] <= CUT_WRITING_HEIGHT[1] * writing && s[l * 5 + 2] <= CUT_WRITING_MAX_WIDTH * writing;
    /** Whether a free digit-sized piece stands beside piece `l`, in the same line of writing. */
    const besideWriting = (l: number) =>
      freeLabels.some((f) => {
        if (!digitSized(f)) return false;
        const [x, y, w, h] = [s[l * 5], s[l * 5 + 1], s[l * 5 + 2], s[l * 5 + 3]];
        const [fx, fy, fw, fh] = [s[f * 5], s[f * 5 + 1], s[f * 5 + 2], s[f * 5 + 3]];
        const sharedRows = Math.min(y + h, fy + fh) - Math.max(y, fy);
        const gap = Math.max(fx - (x + w), x - (fx + fw));
        return sharedRows >= 0.5 * Math.min(h, fh) && gap <= BESIDE_WRITING * writing;
      });
    const cut = new Uint8Array(count);
    let anyCut = false;
    for (let l = 1; l < count; l++)
      if (offPage.has(l) && !atBorder(l) && digitSized(l) && besideWriting(l)) {
        cut[l] = 1;
        anyCut = true;
      }
    if (!anyCut) return undefined;
    const notPaperMat = cv.matFromArray(height, width, cv.CV_8U, notPaper);
    const regionCount = cv.connectedComponents(notPaperMat, regions, 4, cv.CV_32S);
    notPaperMat.delete();
    const region = regions.data32S;
    const crossed = new Uint8Array(regionCount);
    for (let y = 1; y < height - 1; y++)
      for (let x = 1; x < width - 1; x++) {
        const i = y * width + x;
        if (!cut[label[i]]) continue;
        for (const j of [i - 1, i + 1, i - width, i + width]) if (region[j] > 0) crossed[region[j]] = 1;
      }
    const left = new Uint8Array(notPaper.length);
    let any = false;
    for (let i = 0; i < left.length; i++)
      if (notPaper[i] && !crossed[region[i]]) {
        left[i] = 1;
        any = true;
      }
    return any ? left : null;
  });
}

/** The grey at `rank` (from 0) in `values` sorted darkest first, counted rather than sorted. */
function greyAtRank(values: Uint8Array, rank: number): number {
  const histogram = histogramOf(values);
  let seen = 0;
  for (let level = 0; level < 256; level++) {
    seen += histogram[level];
    if (seen > rank) return level;
  }
  return 255;
}
