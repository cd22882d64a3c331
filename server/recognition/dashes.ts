/**
 * Straight lines that thresholding broke into dashes: the sheet's edge against a desk in shadow,
 * a shadow's own hard edge, a faint ruled or margin line. Each dash alone is a thin stroke of about
 * a digit's size (a 1, a digit's bar), so no rule about one piece can tell it from writing; lined
 * up with others along one straight line far longer than any digit, it is plainly not writing.
 * removeRuledLines (ruling.ts) takes out lines that are still whole; this takes out what is left
 * of the broken ones.
 */
import { labelFlags, typicalDigitHeight, type ComponentImage, type InkComponent } from './components.js';
import { addPoint, noMoments, principalAxis, type Line, type Moments } from './masks.js';

/** At least this many dashes make a line. */
const MIN_DASHES = 3;
/** A line's dashes span at least this share of the frame's longer side. */
const MIN_SPAN = 0.35;
/** A dash's centre lies this close to the line (pixels, and share of the frame's longer side). */
const ON_LINE_PIXELS = 3;
const ON_LINE_SHARE = 0.01;
/**
 * Pieces this close to the writing's height are left alone: a column of 1s (the first digits of
 * numbers written one under another) lines up too, but its pieces are digit-sized.
 */
const DIGIT_SIZED = [0.75, 1.4];
/** Lines looked for in one frame; pieces looked at (the longest), to bound the pairs tried. */
const MAX_LINES = 4;
const MAX_PIECES = 150;

interface Piece {
  component: InkComponent;
  cx: number;
  cy: number;
  length: number;
  axis: Line;
}

const distanceTo = (line: Line, x: number, y: number) => Math.abs((x - line.px) * line.dy - (y - line.py) * line.dx);
const along = (line: Line, x: number, y: number) => (x - line.px) * line.dx + (y - line.py) * line.dy;

/** The moments of a piece's pixels (their centres). */
function inkMoments(component: InkComponent, image: ComponentImage): Moments {
  const own = labelFlags(image, component.labels);
  const moments = noMoments();
  for (let y = component.y; y < component.y + component.height; y++)
    for (let x = component.x; x < component.x + component.width; x++) if (own[image.labels[y * image.width + x]]) addPoint(moments, x + 0.5, y + 0.5);
  return moments;
}

/**
 * A piece shaped as a bar: its ink's spread across its main axis (second moments) is at most
 * MAX_BAR_WIDTH of its spread along it. A 0 or a 6 is as thin in ink, but not in spread.
 */
const MAX_BAR_WIDTH = 0.3;

/** For a bar, its axis; undefined for any other shape. */
function asBar(component: InkComponent, image: ComponentImage): Line | undefined {
  const moments = inkMoments(component, image);
  if (moments.n < 4) return undefined;
  const { line, varianceAlong, varianceAcross } = principalAxis(moments);
  return Math.sqrt(varianceAcross) > MAX_BAR_WIDTH * Math.sqrt(varianceAlong) ? undefined : line;
}

/** A bar's axis lies within this angle of the line. */
const MAX_AXIS_TURN = (20 * Math.PI) / 180;

/** Whether a bar runs along the line rather than across it. */
const alongLine = (piece: Piece, line: Line) => Math.abs(piece.axis.dx * line.dx + piece.axis.dy * line.dy) >= Math.cos(MAX_AXIS_TURN);

/** `components` without the dashes of broken straight lines, and those dashes. */
export function withoutDashedLines(components: InkComponent[], image: ComponentImage): { kept: InkComponent[]; dashes: InkComponent[] } {
  const side = Math.max(image.width, image.height);
  const tolerance = Math.max(ON_LINE_PIXELS, ON_LINE_SHARE * side);
  const onLine = (p: Piece, line: Line) => distanceTo(line, p.cx, p.cy) <= tolerance && alongLine(p, line);
  let pieces: Piece[] = components
    .filter((c) => Math.hypot(c.width, c.height) >= 8)
    .sort((a, b) => Math.hypot(b.width, b.height) - Math.hypot(a.width, a.height))
    .slice(0, MAX_PIECES)
    .flatMap((component) => {
      const axis = asBar(component, image);
      return axis ? [{ component, cx: axis.px, cy: axis.py, length: Math.hypot(component.width, component.height), axis }] : [];
    });
  const lined: Piece[] = [];
  for (let found = 0; found < MAX_LINES; found++) {
    let best: Piece[] = [];
    for (let i = 0; i < pieces.length; i++)
      for (let j = i + 1; j < pieces.length; j++) {
        const [a, b] = [pieces[i], pieces[j]];
        const length = Math.hypot(b.cx - a.cx, b.cy - a.cy);
        if (length < MIN_SPAN * side * 0.5) continue;
        const line = { px: a.cx, py: a.cy, dx: (b.cx - a.cx) / length, dy: (b.cy - a.cy) / length };
        // Counted before gathered: most pairs are no line, and gathering every pair's members
        // made half a MB of garbage a photo.
        let count = 0;
        for (const p of pieces) if (onLine(p, line)) count++;
        if (count > best.length) best = pieces.filter((p) => onLine(p, line));
      }
    if (best.length < MIN_DASHES) break;
    const centres = noMoments();
    for (const p of best) addPoint(centres, p.cx, p.cy);
    const { line } = principalAxis(centres);
    const members = best.filter((p) => onLine(p, line));
    const positions = members.map((p) => along(line, p.cx, p.cy));
    const span = members.length
      ? Math.max(...members.map((p, k) => positions[k] + p.length / 2)) - Math.min(...members.map((p, k) => positions[k] - p.length / 2))
      : 0;
    if (members.length < MIN_DASHES || span < MIN_SPAN * side) {
      // Not a line: leave these pieces out of the next search, so that it can find another.
      pieces = pieces.filter((p) => !best.includes(p));
      continue;
    }
    for (const p of members) lined.push(p);
    pieces = pieces.filter((p) => !best.includes(p));
  }
  if (lined.length === 0) return { kept: components, dashes: [] };
  // The writing's height from what is not lined up: the dashes may outnumber the digits.
  const onLines = new Set(lined.map((p) => p.component));
  const writing = typicalDigitHeight(components.filter((c) => !onLines.has(c)));
  const digitSized = (p: Piece) => writing > 0 && p.length >= DIGIT_SIZED[0] * writing && p.length <= DIGIT_SIZED[1] * writing;
  const dashes = new Set(lined.filter((p) => !digitSized(p)).map((p) => p.component));
  return { kept: components.filter((c) => !dashes.has(c)), dashes: [...dashes] };
}
