import { css, html, LitElement, type PropertyValues } from 'lit';
import type { Point, PredictionMessage, StrokeId } from '../../shared/protocol.js';

export interface StrokeEventDetail {
  stroke: StrokeId;
  points: Point[];
}

/** Confidence colours of the boxes: sure, less sure (under 95 %), doubtful (flagged uncertain). */
export const BOX_COLOURS = { sure: '#1b7f3b', lessSure: '#b26a00', doubtful: '#c62828' } as const;
const CONFIDENT = BOX_COLOURS.sure;
const UNSURE = BOX_COLOURS.lessSure;
const FLAGGED = BOX_COLOURS.doubtful;

/**
 * A surface to write digits on with a pen, a finger or a mouse. It draws the ink as it comes and
 * the reading it is given over it; it knows nothing of the server.
 *
 * @fires stroke-begin - pen down: detail {stroke, points: [first point]}
 * @fires stroke-points - pen moved: detail {stroke, points}
 * @fires stroke-end - pen up: detail {stroke, points: []}
 * @fires canvas-size - the drawing surface's size in CSS pixels: detail {width, height}
 */
export class DrawCanvas extends LitElement {
  static override styles = css`
    :host {
      display: block;
      position: relative;
      touch-action: none;
      user-select: none;
    }
    canvas {
      display: block;
      width: 100%;
      height: 100%;
      background: #fffdf7;
      border-radius: 8px;
      cursor: crosshair;
      box-shadow: inset 0 0 0 1px #d8d2c4;
    }
    /* An eraser-sized ring: what is under it goes. */
    :host([erasing]) canvas {
      cursor:
        url('data:image/svg+xml;utf8,<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24"><circle cx="12" cy="12" r="10" fill="white" fill-opacity="0.6" stroke="black" stroke-width="1.5"/></svg>')
          12 12,
        cell;
    }
  `;

  static override properties = {
    strokes: { attribute: false },
    prediction: { attribute: false },
    erasing: { type: Boolean, reflect: true },
  };

  /** The pen erases (the page decides what); only the cursor shows it here. */
  declare erasing: boolean;

  /** Finished and in-progress strokes, in canvas units (CSS pixels). */
  declare strokes: readonly { id: StrokeId; points: readonly Point[] }[];
  declare prediction: PredictionMessage | null;

  private canvas!: HTMLCanvasElement;
  private active: { id: StrokeId; pointer: number; points: Point[]; pressure: number[] } | null = null;
  /** Pen pressure per stroke, for the ink's width on screen (the server reads shapes, not pressure). */
  private readonly pressures = new Map<StrokeId, number[]>();
  private penDown = false;
  private nextId = 1;
  private readonly resize = new ResizeObserver(() => this.fit());

  constructor() {
    super();
    this.strokes = [];
    this.prediction = null;
    this.erasing = false;
  }

  override render() {
    return html`<canvas
      aria-label="Writing area: write digits here"
      @pointerdown=${this.down}
      @pointermove=${this.move}
      @pointerup=${this.up}
      @pointercancel=${this.up}
    ></canvas>`;
  }

  override firstUpdated(): void {
    this.canvas = this.renderRoot.querySelector('canvas')!;
    this.resize.observe(this.canvas);
    this.fit();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize.disconnect();
  }

  override updated(changed: PropertyValues): void {
    if (changed.has('strokes') || changed.has('prediction')) this.paint();
  }

  /** The surface's size in CSS pixels, the units of every point. */
  get size(): { width: number; height: number } {
    const rect = this.getBoundingClientRect();
    return { width: Math.max(1, Math.round(rect.width)), height: Math.max(1, Math.round(rect.height)) };
  }

  private fit(): void {
    const { width, height } = this.size;
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    this.dispatchEvent(new CustomEvent('canvas-size', { detail: { width, height }, bubbles: true, composed: true }));
    this.paint();
  }

  private point(event: PointerEvent): Point {
    const rect = this.canvas.getBoundingClientRect();
    return [Math.round((event.clientX - rect.left) * 10) / 10, Math.round((event.clientY - rect.top) * 10) / 10, Math.round(event.timeStamp)];
  }

  /** Pressure where the device reports it (pens, some touch screens); mice report 0.5 while pressed. */
  private pressure(event: PointerEvent): number {
    return event.pointerType === 'mouse' || !event.pressure ? 0.5 : event.pressure;
  }

  private width(pressure: number): number {
    return 2 + 4 * pressure;
  }

  private emit(type: 'stroke-begin' | 'stroke-points' | 'stroke-end', detail: StrokeEventDetail): void {
    this.dispatchEvent(new CustomEvent<StrokeEventDetail>(type, { detail, bubbles: true, composed: true }));
  }

  private down = (event: PointerEvent) => {
    // Palm rejection: while a pen is on the surface, touches are the hand resting on it.
    if (event.pointerType === 'touch' && this.penDown) return;
    if (this.active || event.button > 0) return;
    if (event.pointerType === 'pen') this.penDown = true;
    this.canvas.setPointerCapture(event.pointerId);
    const first = this.point(event);
    this.active = { id: `p${Date.now().toString(36)}-${this.nextId++}`, pointer: event.pointerId, points: [first], pressure: [this.pressure(event)] };
    this.pressures.set(this.active.id, this.active.pressure);
    this.emit('stroke-begin', { stroke: this.active.id, points: [first] });
    event.preventDefault();
  };

  private move = (event: PointerEvent) => {
    if (!this.active || event.pointerId !== this.active.pointer) return;
    const events = event.getCoalescedEvents?.() ?? [event];
    const moves = events.length ? events : [event];
    const points = moves.map((e) => this.point(e));
    this.active.points.push(...points);
    this.active.pressure.push(...moves.map((e) => this.pressure(e)));
    this.emit('stroke-points', { stroke: this.active.id, points });
    this.paintActive(points);
  };

  private up = (event: PointerEvent) => {
    if (event.pointerType === 'pen') this.penDown = false;
    if (!this.active || event.pointerId !== this.active.pointer) return;
    this.emit('stroke-end', { stroke: this.active.id, points: [] });
    this.active = null;
  };

  private get context(): CanvasRenderingContext2D {
    const context = this.canvas.getContext('2d')!;
    const ratio = window.devicePixelRatio || 1;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.lineCap = 'round';
    context.lineJoin = 'round';
    context.lineWidth = 4;
    context.strokeStyle = '#1d1d1f';
    return context;
  }

  private paintActive(points: Point[]): void {
    if (!this.active) return;
    const { points: all, pressure } = this.active;
    this.segments(this.context, all, pressure, Math.max(1, all.length - points.length));
  }

  /** Draws a stroke from point `from` on, segment by segment, each as wide as its pressure. */
  private segments(context: CanvasRenderingContext2D, points: readonly Point[], pressure: readonly number[] | undefined, from = 1): void {
    if (points.length === 1) {
      context.beginPath();
      context.arc(points[0][0], points[0][1], this.width(pressure?.[0] ?? 0.5) / 2, 0, 2 * Math.PI);
      context.fillStyle = '#1d1d1f';
      context.fill();
      return;
    }
    for (let i = Math.max(1, from); i < points.length; i++) {
      context.beginPath();
      context.lineWidth = this.width(pressure?.[i] ?? 0.5);
      context.moveTo(points[i - 1][0], points[i - 1][1]);
      context.lineTo(points[i][0], points[i][1]);
      context.stroke();
    }
  }

  private paint(): void {
    if (!this.canvas) return;
    const context = this.context;
    context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    for (const stroke of this.strokes) this.segments(context, stroke.points, this.pressures.get(stroke.id));
    context.lineWidth = 4;
    for (const line of this.prediction?.lines ?? []) {
      for (const digit of line.digits) {
        const [x, y, w, h] = digit.box;
        const colour = digit.uncertain ? FLAGGED : digit.confidence < 0.95 ? UNSURE : CONFIDENT;
        context.lineWidth = 1.5;
        context.strokeStyle = colour;
        context.strokeRect(x - 3, y - 3, w + 6, h + 6);
        context.fillStyle = colour;
        context.font = '600 14px system-ui, sans-serif';
        context.fillText(`${digit.digit}${digit.uncertain ? '?' : ''}`, x - 2, Math.max(14, y - 6));
      }
    }
  }
}

customElements.define('draw-canvas', DrawCanvas);

declare global {
  interface HTMLElementTagNameMap {
    'draw-canvas': DrawCanvas;
  }
  interface HTMLElementEventMap {
    'stroke-begin': CustomEvent<StrokeEventDetail>;
    'stroke-points': CustomEvent<StrokeEventDetail>;
    'stroke-end': CustomEvent<StrokeEventDetail>;
    'canvas-size': CustomEvent<{ width: number; height: number }>;
  }
}
