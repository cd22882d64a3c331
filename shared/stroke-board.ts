/**
 * What one person has written on a canvas: strokes in the order they were begun, the ones still
 * being drawn, and undo/redo over finished strokes, erasures and clears. Pure state, no I/O; every
 * change is checked against the limits first and an error leaves the board as it was. The server
 * keeps one per session, the client a mirror of it, so both mean the same by undo.
 *
 * Points are stored packed (three float32 per point: x, y and the time since the stroke's first
 * timed point), so a canvas at its point limit holds about half a megabyte on the server, not the
 * tens of bytes per point that arrays of arrays cost.
 */
import { ErrorCode, nearCanvas, type CanvasMessage, type Point, type StrokeId } from './protocol.js';

export interface BoardLimits {
  maxStrokes: number;
  maxPointsPerStroke: number;
  /** Points the board holds in all, its undo history included; the oldest undo steps are forgotten first. */
  maxPointsPerCanvas: number;
  /** Undo steps kept; older ones are forgotten. */
  maxHistory: number;
}

export class BoardError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A stroke's points as the pipeline takes them: [x, y, dt] triples, dt in ms after `t0` (NaN where a point has no time). */
export interface PackedStroke {
  t0: number;
  xyt: Float32Array;
}

const VALUES_PER_POINT = 3;

class Stroke {
  private xyt = new Float32Array(8 * VALUES_PER_POINT);
  private t0 = Number.NaN;
  count = 0;
  private cached: Point[] | null = null;

  constructor(readonly id: StrokeId) {}

  static fromPacked(id: StrokeId, packed: PackedStroke): Stroke {
    const stroke = new Stroke(id);
    stroke.xyt = Float32Array.from(packed.xyt);
    stroke.t0 = packed.t0;
    stroke.count = Math.floor(packed.xyt.length / VALUES_PER_POINT);
    return stroke;
  }

  push(points: readonly Point[]): void {
    const needed = (this.count + points.length) * VALUES_PER_POINT;
    if (needed > this.xyt.length) {
      const grown = new Float32Array(Math.max(needed, 2 * this.xyt.length));
      grown.set(this.xyt.subarray(0, this.count * VALUES_PER_POINT));
      this.xyt = grown;
    }
    for (const [x, y, t] of points) {
      if (t !== undefined && Number.isNaN(this.t0)) this.t0 = t;
      const at = this.count++ * VALUES_PER_POINT;
      this.xyt[at] = x;
      this.xyt[at + 1] = y;
      this.xyt[at + 2] = t === undefined ? Number.NaN : t - this.t0;
    }
    this.cached = null;
  }

  packed(): PackedStroke {
    return { t0: this.t0, xyt: this.xyt.slice(0, this.count * VALUES_PER_POINT) };
  }

  /** The points as [x, y, t] arrays, built on demand (for drawing and hit-testing) and kept until the stroke grows. */
  get points(): readonly Point[] {
    this.cached ??= unpackPoints(this.packed());
    return this.cached;
  }
}

/** A packed stroke's points as [x, y] or [x, y, tMs] arrays. */
export function unpackPoints({ t0, xyt }: PackedStroke): Point[] {
  const points: Point[] = [];
  for (let at = 0; at < xyt.length; at += VALUES_PER_POINT) {
    const dt = xyt[at + 2];
    points.push(Number.isNaN(dt) ? [xyt[at], xyt[at + 1]] : [xyt[at], xyt[at + 1], t0 + dt]);
  }
  return points;
}

type Action = { kind: 'add'; stroke: Stroke } | { kind: 'erase'; removed: { stroke: Stroke; index: number }[] } | { kind: 'clear'; removed: Stroke[] };

function strokesOf(action: Action): Stroke[] {
  if (action.kind === 'add') return [action.stroke];
  if (action.kind === 'erase') return action.removed.map((r) => r.stroke);
  return action.removed;
}

export class StrokeBoard {
  private strokes: Stroke[] = [];
  private readonly open = new Map<StrokeId, Stroke>();
  private history: Action[] = [];
  private future: Action[] = [];
  /**
   * Points held, counted as they arrive and never lowered except by a recount: an upper bound
   * that is cheap to keep, made exact (by walking what is still reachable) only near the limit.
   */
  private pointsHeld = 0;

  constructor(
    readonly width: number,
    readonly height: number,
    private readonly limits: BoardLimits,
  ) {}

  get strokeCount(): number {
    return this.strokes.length;
  }

  private checkPoints(points: readonly Point[]): void {
    for (const [x, y] of points) {
      if (!nearCanvas(x, y, this.width, this.height)) {
        throw new BoardError(ErrorCode.OutOfCanvas, `point (${x}, ${y}) is far outside the ${this.width}x${this.height} canvas`);
      }
    }
  }

  /** Points in strokes the board can still show: on the canvas, being drawn, or in undo/redo. */
  private countReachable(): number {
    const reachable = new Set<Stroke>([...this.strokes, ...this.open.values()]);
    for (const action of [...this.history, ...this.future]) for (const stroke of strokesOf(action)) reachable.add(stroke);
    let points = 0;
    for (const stroke of reachable) points += stroke.count;
    return points;
  }

  /** Makes room for `adding` points, forgetting the oldest undo steps if need be, or refuses. */
  private reserve(adding: number): void {
    if (this.pointsHeld + adding <= this.limits.maxPointsPerCanvas) {
      this.pointsHeld += adding;
      return;
    }
    this.future = [];
    this.pointsHeld = this.countReachable();
    while (this.pointsHeld + adding > this.limits.maxPointsPerCanvas && this.history.length > 0) {
      this.history.shift();
      this.pointsHeld = this.countReachable();
    }
    if (this.pointsHeld + adding > this.limits.maxPointsPerCanvas) {
      throw new BoardError(
        ErrorCode.TooManyPoints,
        `this canvas holds ${this.pointsHeld} points and takes at most ${this.limits.maxPointsPerCanvas}: clear or erase some writing`,
      );
    }
    this.pointsHeld += adding;
  }

  begin(id: StrokeId, point: Point): void {
    if (this.open.has(id) || this.strokes.some((s) => s.id === id))
      throw new BoardError(ErrorCode.DuplicateStroke, `stroke ${JSON.stringify(id)} already exists`);
    if (this.strokes.length + this.open.size >= this.limits.maxStrokes) {
      throw new BoardError(ErrorCode.TooManyStrokes, `at most ${this.limits.maxStrokes} strokes per canvas: clear or erase some`);
    }
    this.checkPoints([point]);
    this.reserve(1);
    const stroke = new Stroke(id);
    stroke.push([point]);
    this.open.set(id, stroke);
    this.strokes.push(stroke);
  }

  /** Adds points to a stroke being drawn; points past the limit are refused, the stroke kept. */
  append(id: StrokeId, points: readonly Point[]): void {
    const stroke = this.open.get(id);
    if (!stroke) throw new BoardError(ErrorCode.UnknownStroke, `no stroke ${JSON.stringify(id)} is being drawn`);
    this.checkPoints(points);
    if (stroke.count + points.length > this.limits.maxPointsPerStroke) {
      throw new BoardError(ErrorCode.TooManyPoints, `at most ${this.limits.maxPointsPerStroke} points per stroke: end this stroke and begin another`);
    }
    this.reserve(points.length);
    stroke.push(points);
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
    const gone = new Set(removed.map((r) => r.stroke));
    this.strokes = this.strokes.filter((s) => !gone.has(s));
    this.record({ kind: 'erase', removed });
  }

  clear(): void {
    const removed = this.strokes.filter((s) => !this.open.has(s.id));
    this.strokes = this.strokes.filter((s) => this.open.has(s.id));
    this.record({ kind: 'clear', removed });
  }

  /**
   * Applies one canvas message: the one place a message becomes a change, for the server's board
   * and the page's mirror alike. False when it changed nothing (an undo or redo with nothing left);
   * a message that breaks a rule throws a BoardError and changes nothing.
   */
  apply(message: CanvasMessage): boolean {
    switch (message.type) {
      case 'stroke-begin':
        this.begin(message.stroke, message.point);
        return true;
      case 'stroke-points':
        this.append(message.stroke, message.points);
        return true;
      case 'stroke-end':
        this.end(message.stroke);
        return true;
      case 'undo':
        return this.undo();
      case 'redo':
        return this.redo();
      case 'clear':
        this.clear();
        return true;
      case 'erase':
        this.erase(message.strokes);
        return true;
    }
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
    else {
      const gone = new Set(strokesOf(action));
      this.strokes = this.strokes.filter((s) => !gone.has(s));
    }
    this.history.push(action);
    return true;
  }

  private record(action: Action): void {
    this.history.push(action);
    if (this.history.length > this.limits.maxHistory) this.history.shift();
    this.future = [];
  }

  /** Every stroke in order, packed, with whether it is still being drawn: what a saved canvas holds. */
  exportStrokes(): { id: StrokeId; open: boolean; stroke: PackedStroke }[] {
    return this.strokes.map((s) => ({ id: s.id, open: this.open.has(s.id), stroke: s.packed() }));
  }

  /** A board holding saved strokes (no undo history), each checked against the limits like new ones. */
  static fromStrokes(width: number, height: number, limits: BoardLimits, saved: readonly { id: StrokeId; open: boolean; stroke: PackedStroke }[]): StrokeBoard {
    const board = new StrokeBoard(width, height, limits);
    for (const { id, open, stroke } of saved.slice(0, limits.maxStrokes)) {
      const restored = Stroke.fromPacked(id, stroke);
      if (restored.count === 0 || restored.count > limits.maxPointsPerStroke || board.pointsHeld + restored.count > limits.maxPointsPerCanvas) continue;
      board.pointsHeld += restored.count;
      board.strokes.push(restored);
      if (open) board.open.set(id, restored);
    }
    return board;
  }

  /** The strokes as the pipeline reads them, finished and being drawn: packed copies, cheap to hand to a worker. */
  snapshot(): PackedStroke[] {
    return this.strokes.map((s) => s.packed());
  }

  /** Positions in snapshot() of the strokes still being drawn. */
  openPositions(): number[] {
    return this.strokes.flatMap((s, i) => (this.open.has(s.id) ? [i] : []));
  }

  /** The strokes with their ids, for drawing and erasing. */
  list(): readonly { id: StrokeId; points: readonly Point[] }[] {
    return this.strokes;
  }
}
