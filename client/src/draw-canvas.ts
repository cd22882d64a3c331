import { css, html, LitElement, type PropertyValues } from 'lit';
import type { Point, PredictionMessage, StrokeId } from '../../shared/protocol.js';

export interface StrokeEventDetail {
  stroke: StrokeId;
  points: Point[];
}

/** Confidence colours: sure, unsure, flagged. */
const CONFIDENT = '#1b7f3b';
const UNSURE = '#b26a00';
const FLAGGED = '#c62828';

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
    :host { display: block; position: relative; touch-action: none; user-select: none; }
    canvas { display: block; width: 100%; height: 100%; background: #fffdf7; border-radius: 8px; cursor: crosshair;
      box-shadow: inset 0 0 0 1px #d8d2c4; }
  `;

  static override properties = {
    strokes: { attribute: false },
    prediction: { attribute: false },
  };

  /** Finished and in-progress strokes, in canvas units (CSS pixels). */
  declare strokes: readonly { id: StrokeId; points: readonly Point[] }[];
  declare prediction: PredictionMessage | null;

  private canvas!: HTMLCanvasElement;
  private active: { id: StrokeId; pointer: number; points: Point[] } | null = null;
  private penDown = false;
  private nextId = 1;
  private readonly resize = new ResizeObserver(() => this.fit());

  constructor() {
    super();
    this.strokes = [];
    this.prediction = null;
  }

  override render() {
    return html`<canvas
      aria-label="Writing area: write digits here"
      @pointerdown=${this.down} @pointermove=${this.move} @pointerup=${this.up} @pointercancel=${this.up}></canvas>`;
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
    this.active = { id: `p${Date.now().toString(36)}-${this.nextId++}`, pointer: event.pointerId, points: [first] };
    this.emit('stroke-begin', { stroke: this.active.id, points: [first] });
    event.preventDefault();
  };

  private move = (event: PointerEvent) => {
    if (!this.active || event.pointerId !== this.active.pointer) return;
    const events = event.getCoalescedEvents?.() ?? [event];
    const points = (events.length ? events : [event]).map((e) => this.point(e));
    this.active.points.push(...points);
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
    const all = this.active?.points ?? [];
    const context = this.context;
    context.beginPath();
    const start = Math.max(0, all.length - points.length - 1);
    context.moveTo(all[start][0], all[start][1]);
    for (let i = start + 1; i < all.length; i++) context.lineTo(all[i][0], all[i][1]);
    context.stroke();
  }

  private paint(): void {
    if (!this.canvas) return;
    const context = this.context;
    context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    for (const stroke of this.strokes) {
      context.beginPath();
      stroke.points.forEach(([x, y], i) => (i === 0 ? context.moveTo(x, y) : context.lineTo(x, y)));
      if (stroke.points.length === 1) context.lineTo(stroke.points[0][0] + 0.1, stroke.points[0][1]);
      context.stroke();
    }
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
