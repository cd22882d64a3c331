/**
 * What one person has written on a canvas: strokes in the order they were begun, the ones still
 * being drawn, and undo/redo over finished strokes, erasures and clears. Pure state, no I/O; every
 * change is checked against the limits first and an error leaves the board as it was. The server
 * keeps one per session, the client a mirror of it, so both mean the same by undo.
 */
import { ErrorCode, nearCanvas, type Point, type StrokeId } from './protocol.js';

type StrokePoint = Point;

export interface BoardLimits {
  maxStrokes: number;
  maxPointsPerStroke: number;
  /** Undo steps kept; older ones are forgotten. */
  maxHistory: number;
}

export class BoardError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
  }
}

interface Stroke {
  id: StrokeId;
  points: StrokePoint[];
}

type Action =
  | { kind: 'add'; stroke: Stroke }
  | { kind: 'erase'; removed: { stroke: Stroke; index: number }[] }
  | { kind: 'clear'; removed: Stroke[] };

export class StrokeBoard {
  private strokes: Stroke[] = [];
  private readonly open = new Map<StrokeId, Stroke>();
  private history: Action[] = [];
  private future: Action[] = [];

  constructor(readonly width: number, readonly height: number, private readonly limits: BoardLimits) {}

  get strokeCount(): number {
    return this.strokes.length;
  }

  private checkPoints(points: Point[]): StrokePoint[] {
    for (const [x, y] of points) {
      if (!nearCanvas(x, y, this.width, this.height)) {
        throw new BoardError(ErrorCode.OutOfCanvas, `point (${x}, ${y}) is far outside the ${this.width}x${this.height} canvas`);
      }
    }
    return points as StrokePoint[];
  }

  begin(id: StrokeId, point: Point): void {
    if (this.open.has(id) || this.strokes.some((s) => s.id === id)) throw new BoardError(ErrorCode.DuplicateStroke, `stroke ${JSON.stringify(id)} already exists`);
    if (this.strokes.length + this.open.size >= this.limits.maxStrokes) {
      throw new BoardError(ErrorCode.TooManyStrokes, `at most ${this.limits.maxStrokes} strokes per canvas: clear or erase some`);
    }
    const stroke = { id, points: this.checkPoints([point]) };
    this.open.set(id, stroke);
    this.strokes.push(stroke);
  }

  /** Adds points to a stroke being drawn; points past the limit are refused, the stroke kept. */
  append(id: StrokeId, points: Point[]): void {
    const stroke = this.open.get(id);
    if (!stroke) throw new BoardError(ErrorCode.UnknownStroke, `no stroke ${JSON.stringify(id)} is being drawn`);
    const checked = this.checkPoints(points);
    if (stroke.points.length + checked.length > this.limits.maxPointsPerStroke) {
      throw new BoardError(ErrorCode.TooManyPoints, `at most ${this.limits.maxPointsPerStroke} points per stroke: end this stroke and begin another`);
    }
    stroke.points.push(...checked);
  }

  end(id: StrokeId): void {
    const stroke = this.open.get(id);
    if (!stroke) throw new BoardError(ErrorCode.UnknownStroke, `no stroke ${JSON.stringify(id)} is being drawn`);
    this.open.delete(id);
    this.record({ kind: 'add', stroke });
  }

  erase(ids: StrokeId[]): void {
    const wanted = new Set(ids);
    const removed = this.strokes.map((stroke, index) => ({ stroke, index })).filter(({ stroke }) => wanted.has(stroke.id) && !this.open.has(stroke.id));
    if (removed.length === 0) throw new BoardError(ErrorCode.UnknownStroke, 'none of those strokes is on the canvas');
    this.strokes = this.strokes.filter((s) => !removed.some((r) => r.stroke === s));
    this.record({ kind: 'erase', removed });
  }

  clear(): void {
    const removed = this.strokes.filter((s) => !this.open.has(s.id));
    this.strokes = this.strokes.filter((s) => this.open.has(s.id));
    this.record({ kind: 'clear', removed });
  }

  /** Takes back the last finished change; false when there is none. */
  undo(): boolean {
    const action = this.history.pop();
    if (!action) return false;
    if (action.kind === 'add') this.strokes = this.strokes.filter((s) => s !== action.stroke);
    else if (action.kind === 'erase') for (const { stroke, index } of action.removed) this.strokes.splice(Math.min(index, this.strokes.length), 0, stroke);
    else this.strokes = [...action.removed, ...this.strokes];
    this.future.push(action);
    return true;
  }

  redo(): boolean {
    const action = this.future.pop();
    if (!action) return false;
    if (action.kind === 'add') this.strokes.push(action.stroke);
    else if (action.kind === 'erase') this.strokes = this.strokes.filter((s) => !action.removed.some((r) => r.stroke === s));
    else this.strokes = this.strokes.filter((s) => !action.removed.includes(s));
    this.history.push(action);
    return true;
  }

  private record(action: Action): void {
    this.history.push(action);
    if (this.history.length > this.limits.maxHistory) this.history.shift();
    this.future = [];
  }

  /** The strokes as the pipeline reads them, finished and being drawn. */
  snapshot(): StrokePoint[][] {
    return this.strokes.map((s) => s.points.slice());
  }

  /** The strokes with their ids, for drawing and erasing. */
  list(): readonly { id: StrokeId; points: readonly Point[] }[] {
    return this.strokes;
  }
}
