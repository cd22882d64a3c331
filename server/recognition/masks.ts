/**
 * Passes over 0/255 ink masks that OpenCV also offers, written out because here they visit only
 * the ink, which is a few per cent of a camera frame, where OpenCV's wasm build (without SIMD)
 * passes over every pixel. Each gives exactly what its OpenCV counterpart gives
 * (test/masks.test.ts).
 */

/**
 * The mask four pixels to a word, where every row starts on a word (a width divisible by four, as
 * camera frames' are); null where rows do not, to be read pixel by pixel.
 */
export function rowWords(mask: Uint8Array, width: number, height: number): Uint32Array | null {
  return mask.byteOffset % 4 === 0 && width % 4 === 0 ? new Uint32Array(mask.buffer, mask.byteOffset, (width * height) >> 2) : null;
}

/**
 * The top bit of each byte of `word` that is not zero (ink, whatever its grey): a byte's low seven
 * bits carry into its top bit, or that bit was set already.
 */
export function inkBytesOf(word: number): number {
  return ((((word & 0x7f7f7f7f) + 0x7f7f7f7f) | word) & 0x80808080) >>> 0;
}

/**
 * Which rows of a mask hold any ink. Most rows of a camera frame hold none (63-93 % of the rows of
 * a photo's final mask), and the per-pixel passes that follow runs of ink (pen width, ruled lines)
 * skip them.
 */
export function inkRows(mask: Uint8Array, width: number, height: number): Uint8Array {
  const rows = new Uint8Array(height);
  // Four bytes at a time where every row starts on a word: the empty rows are read whole.
  const words = rowWords(mask, width, height);
  for (let y = 0; y < height; y++) {
    if (words) {
      const first = (y * width) >> 2;
      for (let w = first; w < first + (width >> 2); w++)
        if (words[w]) {
          rows[y] = 1;
          break;
        }
      continue;
    }
    const row = y * width;
    for (let x = 0; x < width; x++)
      if (mask[row + x]) {
        rows[y] = 1;
        break;
      }
  }
  return rows;
}

/**
 * Hysteresis thresholding: pixels above `low` are ink when they connect (8-connected) to a pixel
 * above `high`. Thin or faint joins inside a digit (pencil, fast pen strokes, MNIST's own faint
 * pixels) stay joined, while faint marks with no strong ink in them stay out.
 * A flood fill from the strong pixels rather than OpenCV's labelling of every weak component: it
 * visits only the ink (a few per cent of a frame) where labelling writes a label for every pixel,
 * and costs a third as much on a camera frame. It fills a run along the row at a time: pixel by
 * pixel, each of the ink's pixels was pushed, popped and looked round on its own, at twice the cost.
 */
export function hysteresis(intensity: Uint8Array, width: number, height: number, high: number, low: number, mask: Uint8Array): void {
  mask.fill(0);
  const seed = Math.max(high, low);
  const pending: number[] = [];
  // Most of a frame is paper, a few levels above 0: words of four bytes none of which is over the
  // seed level are passed over whole. A byte over `level` (under 128) sets its top bit once
  // 127 - level is added to it, and nothing added carries into the next byte unless the byte was
  // 128 or more, over the level itself. A whole byte is over the seed when it is over its floor.
  const level = Math.floor(seed);
  const words = level < 128 && intensity.byteOffset % 4 === 0 ? new Uint32Array(intensity.buffer, intensity.byteOffset, intensity.length >> 2) : null;
  const raise = 0x01010101 * (127 - level);
  for (let start = 0; start < intensity.length; start++) {
    if (words && (start & 3) === 0 && start + 4 <= intensity.length) {
      const word = words[start >> 2];
      if ((((word + raise) | word) & 0x80808080) === 0) {
        start += 3;
        continue;
      }
    }
    if (intensity[start] <= seed || mask[start]) continue;
    pending.push(start);
    // A run of weak ink along the row at a time (a scanline fill), then one seed for each run of
    // weak ink it touches in the rows above and below (8-connected: a pixel past either end too).
    while (pending.length > 0) {
      const at = pending.pop()!;
      if (mask[at]) continue;
      const y = (at / width) | 0,
        row = y * width,
        rowEnd = row + width - 1;
      let first = at,
        last = at;
      while (first > row && !mask[first - 1] && intensity[first - 1] > low) first--;
      while (last < rowEnd && !mask[last + 1] && intensity[last + 1] > low) last++;
      mask.fill(255, first, last + 1);
      const from = first > row ? first - 1 : first,
        to = last < rowEnd ? last + 1 : last;
      for (let offset = -width; offset <= width; offset += 2 * width) {
        if ((offset < 0 && y === 0) || (offset > 0 && y === height - 1)) continue;
        let inRun = false;
        for (let next = from + offset; next <= to + offset; next++) {
          const weak = !mask[next] && intensity[next] > low;
          if (weak && !inRun) pending.push(next);
          inRun = weak;
        }
      }
    }
  }
}

/**
 * A photo's threshold breaks thin strokes into pieces; a closing with a 3x3 cross (OpenCV's 3x3
 * ellipse) joins gaps of a pixel or two. Written out: OpenCV's morphology, without SIMD in its wasm
 * build, cost three times as much on camera frames. Pixels beyond the border count for nothing
 * either way, as with OpenCV's default border.
 */
export function closeSmallGaps(mask: Uint8Array, width: number, height: number): void {
  const words = rowWords(mask, width, height);
  if (words) closeSmallGapsByWords(words, width, height);
  else closeSmallGapsByPixels(mask, width, height);
}

/**
 * Four pixels at a time, where every row starts on a word, over the rows within one of ink: a
 * quarter of a pass over those rows costs less than visiting each ink pixel and its neighbours on
 * its own once a photo's threshold leaves much of a frame's writing band as ink.
 */
function closeSmallGapsByWords(words: Uint32Array, width: number, height: number): void {
  const perRow = width >> 2,
    count = perRow * height;
  // Ink as whole bytes of ones, whatever its grey. Rows a row or more from any ink come out empty
  // from both passes, and are not visited.
  const ink = new Uint32Array(count);
  const nearInk = new Uint8Array(height);
  for (let y = 0, i = 0; y < height; y++) {
    let any = 0;
    for (const end = i + perRow; i < end; i++) {
      const word = words[i];
      if (word === 0) continue;
      ink[i] = Math.imul(inkBytesOf(word) >>> 7, 0xff);
      any = 1;
    }
    if (any) for (let near = Math.max(0, y - 1); near <= Math.min(height - 1, y + 1); near++) nearInk[near] = 1;
  }
  const grown = new Uint32Array(count);
  crossOf(ink, grown, perRow, height, nearInk, false);
  words.fill(0);
  crossOf(grown, words, perRow, height, nearInk, true);
}

/**
 * Each word of `to` in the marked `rows` from the word of `from` and its four neighbours (a 3x3
 * cross): their union, or with `erode` their intersection, where beyond the frame counts as ink so
 * that the border never erodes. A pixel's left neighbour is the byte below it in its word
 * (little-endian): the word shifted up a byte, with the top byte of the word before carried in.
 */
function crossOf(from: Uint32Array, to: Uint32Array, perRow: number, height: number, rows: Uint8Array, erode: boolean): void {
  const outside = erode ? 0xffffffff : 0;
  for (let y = 0; y < height; y++) {
    if (!rows[y]) continue;
    for (let x = 0, i = y * perRow; x < perRow; x++, i++) {
      const word = from[i];
      const before = x > 0 ? from[i - 1] : outside,
        after = x < perRow - 1 ? from[i + 1] : outside,
        up = y > 0 ? from[i - perRow] : outside,
        down = y < height - 1 ? from[i + perRow] : outside;
      const left = (word << 8) | (before >>> 24),
        right = (word >>> 8) | (after << 24);
      to[i] = erode ? word & left & right & up & down : word | left | right | up | down;
    }
  }
}

/** The same closing pixel by pixel, visiting only the ink and what grows round it. */
function closeSmallGapsByPixels(mask: Uint8Array, width: number, height: number): void {
  const total = width * height;
  const grown = new Uint8Array(total);
  forEachInk(mask, (i) => {
    const x = i % width;
    grown[i] = 255;
    if (x > 0) grown[i - 1] = 255;
    if (x < width - 1) grown[i + 1] = 255;
    if (i >= width) grown[i - width] = 255;
    if (i + width < total) grown[i + width] = 255;
  });
  mask.fill(0);
  forEachInk(grown, (i) => {
    const x = i % width;
    const shrinks =
      (x > 0 && !grown[i - 1]) || (x < width - 1 && !grown[i + 1]) || (i >= width && !grown[i - width]) || (i + width < total && !grown[i + width]);
    if (!shrinks) mask[i] = 255;
  });
}

/** The level below which `fraction` of a histogram's `total` lies. */
export function percentile(histogram: Float64Array | number[], total: number, fraction: number): number {
  let seen = 0;
  for (let level = 0; level < 256; level++) {
    seen += histogram[level];
    if (seen >= fraction * total) return level;
  }
  return 255;
}

/** How many of each grey `data` holds. */
export function histogramOf(data: Uint8Array): Float64Array {
  // Four bytes at a time, counting words of four zeros apart (most of an ink image is 0), and each
  // byte of a word into a count of its own: neighbouring pixels of a smooth image (a background)
  // share a grey, and adding to one bin over and over waits on each addition in turn. Written out
  // because OpenCV's calcHist would first copy the frame into its heap.
  const first = new Uint32Array(256),
    second = new Uint32Array(256),
    third = new Uint32Array(256),
    fourth = new Uint32Array(256);
  const words = data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, data.length >> 2) : new Uint32Array(0);
  let zeros = 0;
  for (let w = 0; w < words.length; w++) {
    const word = words[w];
    if (word === 0) {
      zeros += 4;
      continue;
    }
    first[word & 0xff]++;
    second[(word >>> 8) & 0xff]++;
    third[(word >>> 16) & 0xff]++;
    fourth[word >>> 24]++;
  }
  const histogram = new Float64Array(256);
  for (let level = 0; level < 256; level++) histogram[level] = first[level] + second[level] + third[level] + fourth[level];
  histogram[0] += zeros;
  for (let i = 4 * words.length; i < data.length; i++) histogram[data[i]]++;
  return histogram;
}

/** Calls `visit` with the index of every non-zero byte, skipping zero bytes four at a time. */
export function forEachInk(bytes: Uint8Array, visit: (index: number) => void): void {
  const aligned = bytes.byteOffset % 4 === 0;
  const words = aligned ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2) : new Uint32Array(0);
  for (let w = 0; w < words.length; w++) {
    if (words[w] === 0) continue;
    for (let i = 4 * w; i < 4 * w + 4; i++) if (bytes[i]) visit(i);
  }
  for (let i = 4 * words.length; i < bytes.length; i++) if (bytes[i]) visit(i);
}

/** A mask's 8-connected pieces of ink, laid out as OpenCV's connectedComponentsWithStats gives them. */
export interface InkLabels {
  /** Pieces of ink plus one: label 0 is what holds no ink. */
  count: number;
  /** Each pixel's label. */
  labels: Int32Array;
  /**
   * Five numbers a label (left, top, width, height, area), as OpenCV's stats rows. Row 0, for what
   * holds no ink, is the whole frame with the count of pixels without ink.
   */
  stats: Int32Array;
}

/**
 * Labels the 8-connected pieces of a mask's ink (any non-zero byte), numbered in the order their
 * first pixels come in the mask. Each piece and its stats are exactly those of OpenCV's
 * connectedComponentsWithStats (test/masks.test.ts), only the numbering differs. Written out for the
 * reason the passes above are: OpenCV's labelling, without SIMD in its wasm build, writes every
 * pixel and was the costliest single call of a camera frame's binarisation. This one works on runs
 * of ink along rows, skipping empty bytes four at a time: a run takes the label of the runs it
 * touches in the row above (joining them with union-find where it touches several), and is then
 * written with one fill. A frame's binarisation labels 20-odd masks, and per pixel, as before, this
 * was a tenth of a 640x480 photo's time; by runs it is a third of that (the same labels and stats
 * on 1,326 masks of the bench's photos).
 */
export function labelInk(mask: Uint8Array, width: number, height: number): InkLabels {
  const total = width * height;
  const runs = new InkRuns();
  let parent = new Int32Array(256);
  let provisional = 0;
  const root = (label: number) => {
    while (parent[label] !== label) {
      parent[label] = parent[parent[label]];
      label = parent[label];
    }
    return label;
  };
  // The runs of the row above the one being read (those not yet passed), and of that row.
  let above = 0,
    aboveEnd = 0,
    rowFirst = 0,
    row = -1;
  const words = mask.byteOffset % 4 === 0 ? new Uint32Array(mask.buffer, mask.byteOffset, total >> 2) : null;
  let i = 0;
  while (i < total) {
    if (words !== null && (i & 3) === 0) {
      let word = i >> 2;
      while (word < words.length && words[word] === 0) word++;
      i = Math.min(total, word << 2);
      if (i === total) break;
    }
    if (mask[i] === 0) {
      i++;
      continue;
    }
    const y = (i / width) | 0;
    const rowStart = y * width;
    let end = i + 1;
    while (end < rowStart + width && mask[end] !== 0) end++;
    if (y !== row) {
      above = row === y - 1 ? rowFirst : runs.count;
      aboveEnd = runs.count;
      rowFirst = runs.count;
      row = y;
    }
    // A run above touches this one, 8-connected, if it reaches a column either side of it.
    const left = i - width - 1,
      right = end - width;
    while (above < aboveEnd && runs.ends[above] <= left) above++;
    let label = 0;
    for (let k = above; k < aboveEnd && runs.starts[k] <= right; k++) {
      if (label === 0) {
        label = runs.labels[k];
        continue;
      }
      const a = root(label),
        b = root(runs.labels[k]);
      if (a < b) parent[b] = a;
      else if (b < a) parent[a] = b;
    }
    if (label === 0) {
      if (++provisional >= parent.length) {
        const grown = new Int32Array(parent.length * 2);
        grown.set(parent);
        parent = grown;
      }
      parent[provisional] = provisional;
      label = provisional;
    }
    runs.add(i, end, label);
    i = end;
  }

  const labels = new Int32Array(total);
  const final = new Int32Array(provisional + 1);
  // Left, top, right, bottom and area per final label, in one array grown as labels come.
  const bounds: number[] = [0, 0, 0, 0, 0];
  let count = 1,
    ink = 0;
  for (let r = 0; r < runs.count; r++) {
    const piece = root(runs.labels[r]);
    const start = runs.starts[r],
      end = runs.ends[r],
      y = (start / width) | 0;
    const left = start - y * width,
      right = end - 1 - y * width;
    let label = final[piece];
    if (label === 0) {
      label = final[piece] = count++;
      bounds.push(left, y, right, y, 0);
    }
    labels.fill(label, start, end);
    const at = label * 5;
    if (left < bounds[at]) bounds[at] = left;
    if (right > bounds[at + 2]) bounds[at + 2] = right;
    bounds[at + 3] = y;
    bounds[at + 4] += end - start;
    ink += end - start;
  }
  const stats = new Int32Array(count * 5);
  stats.set([0, 0, width, height, total - ink]);
  for (let label = 1; label < count; label++) {
    const at = label * 5;
    stats.set([bounds[at], bounds[at + 1], bounds[at + 2] - bounds[at] + 1, bounds[at + 3] - bounds[at + 1] + 1, bounds[at + 4]], at);
  }
  return { count, labels, stats };
}

/** Runs of ink along rows, in the order they come in a mask: where each starts and ends (exclusive) in the mask, and its label. */
class InkRuns {
  starts = new Int32Array(256);
  ends = new Int32Array(256);
  labels = new Int32Array(256);
  count = 0;

  add(start: number, end: number, label: number): void {
    if (this.count === this.starts.length) {
      this.starts = doubled(this.starts);
      this.ends = doubled(this.ends);
      this.labels = doubled(this.labels);
    }
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.labels[this.count] = label;
    this.count++;
  }
}

function doubled(values: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(values.length * 2);
  grown.set(values);
  return grown;
}

/** A straight line: a point on it and its unit direction. */
export interface Line {
  px: number;
  py: number;
  dx: number;
  dy: number;
}

/** Sums over points that give their principal axis: count, first and second moments. */
export interface Moments {
  n: number;
  x: number;
  y: number;
  xx: number;
  xy: number;
  yy: number;
}

export const noMoments = (): Moments => ({ n: 0, x: 0, y: 0, xx: 0, xy: 0, yy: 0 });

export function addPoint(m: Moments, x: number, y: number): void {
  m.n++;
  m.x += x;
  m.y += y;
  m.xx += x * x;
  m.xy += x * y;
  m.yy += y * y;
}

/**
 * The principal axis of points (the least-squares line through them) and their variance along it
 * and across it, from their moments: summed as the points are visited, so that a piece's pixels
 * are never gathered into arrays (2 MB of garbage a photo when they were).
 */
export function principalAxis(m: Moments): { line: Line; varianceAlong: number; varianceAcross: number } {
  const px = m.x / m.n,
    py = m.y / m.n;
  const sxx = Math.max(0, m.xx - m.n * px * px),
    sxy = m.xy - m.n * px * py,
    syy = Math.max(0, m.yy - m.n * py * py);
  const mean = (sxx + syy) / 2 / m.n,
    spread = Math.sqrt(((sxx - syy) / 2) ** 2 + sxy * sxy) / m.n;
  const angle = 0.5 * Math.atan2(2 * sxy, sxx - syy);
  return { line: { px, py, dx: Math.cos(angle), dy: Math.sin(angle) }, varianceAlong: mean + spread, varianceAcross: Math.max(0, mean - spread) };
}
