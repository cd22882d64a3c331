import { visuallyHidden } from './visually-hidden.js';
import { css, html, LitElement } from 'lit';
import { styleMap } from 'lit/directives/style-map.js';
import { PROTOCOL_LIMITS, type CanvasMessage, type Point, type PredictionMessage } from '../../shared/protocol.js';
import { StrokeBoard, BoardError } from '../../shared/stroke-board.js';
import { ConnectionController } from './connection-controller.js';
import type { StrokeEventDetail } from './draw-canvas.js';
import type { CameraFrameDetail } from './camera-view.js';
import type { DigitCorrection, UploadResult } from './image-upload.js';
import type { ReadingEntry } from './results-list.js';
import { restoreReadings, restoreStrokes, storeReadings, storeStrokes } from './local-store.js';
import { SteadyReading } from './steady-reading.js';
import { isScratchOut, strokesTouched } from './scratch-out.js';
import './results-list.js';
import './camera-view.js';
import { BOX_COLOURS } from './draw-canvas.js';
import './image-upload.js';

/** Matches the server's default limits; the server enforces its own. */
const LIMITS = { maxStrokes: 500, maxPointsPerStroke: 4000, maxPointsPerCanvas: 40_000, maxHistory: 200 };

type Box = [number, number, number, number];

/** Intersection over union of two [x, y, w, h] boxes. */
function overlap(a: Box, b: Box): number {
  const w = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const shared = w * h;
  return shared / (a[2] * a[3] + b[2] * b[3] - shared);
}

const HELP = {
  draw: html`<p>
    Write digits on the surface with a pen, a finger or the mouse; the number appears above as you write, each digit boxed: green when sure, amber when less
    sure, red with a ? when the reading is doubtful. Scribble over digits to erase them, or use the Eraser and touch strokes. Ctrl+Z undoes, Ctrl+Shift+Z
    redoes. Several lines are read as several numbers. Strokes drawn while the server is away are kept and read when it is back.
  </p>`,
  camera: html`<p>
    Point the camera at a handwritten number on paper, filling much of the view, in even light. Frames are sent as fast as the server reads them; the number
    shown changes only when two frames agree. Freeze keeps the current reading.
  </p>`,
  upload: html`<p>
    Drop images (PNG, JPEG, WebP, GIF, TIFF, AVIF, BMP; up to 20 at a time, 20 MB each) or choose them. Each shows what was read, with the confidence and the
    runner-up digits; a file that is not a readable image says so.
  </p>`,
};

/** The canvas is kept in the browser this long after its last change. */
const STORE_CANVAS_AFTER_MS = 300;

/**
 * A reading unchanged this long after the pen is lifted is announced to screen readers: longer
 * than the server's PAUSE_READ_MS (600 ms) and a reading, so that what is heard is the number as
 * read once the pen rests (a date's slashes), not the reading just before it.
 */
const SETTLED_MS = 1000;

const STATUS_TEXT = {
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Server unreachable: still drawing, will catch up when it is back',
  incompatible: 'This page is out of date: reload it',
} as const;

/**
 * The page: a writing canvas with the number read live above it. Owns the connection and the
 * canvas's strokes; the canvas itself only draws and reports pen movements.
 */
export class DigitStreamApp extends LitElement {
  static override styles = [
    visuallyHidden,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: 12px;
        max-width: 1600px;
        margin: 0 auto;
        padding: 12px;
        box-sizing: border-box;
        min-height: 100vh;
        font-family: system-ui, sans-serif;
        color: #1d1d1f;
      }
      main {
        display: flex;
        flex-direction: column;
        gap: 12px;
        flex: 1;
        min-height: 0;
      }
      header {
        display: flex;
        align-items: center;
        gap: 8px;
        flex-wrap: wrap;
      }
      h1 {
        font-size: 1.1rem;
        margin: 0;
      }
      .status {
        font-size: 0.85rem;
        padding: 2px 10px;
        border-radius: 999px;
        background: #eee;
        max-width: 100%;
      }
      .status.open {
        background: #dff3e4;
        color: #1b5e20;
      }
      .status.reconnecting,
      .status.incompatible {
        background: #fde2e1;
        color: #8e1b1b;
      }
      /* The reading never changes height (more lines get a smaller font, the digit picker floats
       over the canvas), so nothing under it moves while a pen is down. */
      .reading {
        position: relative;
      }
      .number {
        font-size: clamp(2rem, 8vw, 4.5rem);
        font-variant-numeric: tabular-nums;
        letter-spacing: 0.05em;
        height: 1.2em;
        line-height: 1.1;
        overflow: hidden;
      }
      .number .line {
        display: block;
        white-space: nowrap;
        overflow-x: auto;
        overflow-y: hidden;
      }
      .number button.digit {
        font: inherit;
        letter-spacing: inherit;
        padding: 0;
        border: none;
        background: none;
        color: inherit;
        cursor: pointer;
      }
      .number .separator,
      .number .unsure-mark {
        padding: 0 0.05em;
      }
      .number .gap {
        display: inline-block;
        width: 0.5em;
      }
      .number .unsure-mark {
        color: #555;
        font-size: 0.5em;
        vertical-align: super;
      }
      /* Read from a stroke still being drawn: it may change once the pen lifts. */
      .number button.digit.provisional {
        color: #666;
        font-style: italic;
      }
      .number button.digit.uncertain {
        color: #c62828;
        text-decoration: underline dotted;
      }
      .number button.digit.corrected {
        color: #2962ff;
      }
      .alternatives {
        display: flex;
        gap: 6px;
        flex-wrap: wrap;
        position: absolute;
        top: 100%;
        left: 0;
        right: 0;
        z-index: 2;
        background: #fff;
        border: 1px solid #e2dccd;
        border-radius: 8px;
        padding: 8px;
        box-shadow: 0 4px 16px rgb(0 0 0 / 15%);
      }
      .alternatives button {
        font-size: 1.2rem;
        min-width: 3rem;
      }
      .alternatives .other {
        font-size: 1rem;
        color: #666;
      }
      .placeholder {
        color: #5f5b53;
        font-size: 1rem;
        letter-spacing: normal;
      }
      draw-canvas {
        flex: 1;
        min-height: 240px;
      }
      .tools {
        display: flex;
        gap: 8px;
        flex-wrap: wrap;
        position: relative;
      }
      .error.floating {
        position: absolute;
        top: 100%;
        right: 0;
        max-width: 70%;
        margin: 4px 0 0;
        padding: 4px 10px;
        z-index: 1;
        background: #fde2e1;
        border-radius: 6px;
        pointer-events: none;
      }
      button {
        font: inherit;
        padding: 8px 14px;
        border-radius: 6px;
        border: 1px solid #c9c3b5;
        background: #fff;
        cursor: pointer;
      }
      button:focus-visible {
        outline: 3px solid #2962ff;
        outline-offset: 2px;
      }
      .error {
        color: #8e1b1b;
        font-size: 0.9rem;
      }
      /* Everything after the modes is pushed right, so the status's changing width never moves them. */
      nav {
        display: flex;
        gap: 4px;
        margin-right: auto;
      }
      .legend {
        display: flex;
        gap: 10px;
        align-items: center;
        font-size: 0.85rem;
        color: #4a4640;
      }
      .legend i {
        display: inline-block;
        width: 12px;
        height: 12px;
        border: 2px solid;
        border-radius: 2px;
        margin-right: 4px;
        vertical-align: -2px;
      }
      .help {
        background: #fff;
        border: 1px solid #e2dccd;
        border-radius: 8px;
        padding: 0 12px;
        font-size: 0.9rem;
      }
      nav button[aria-pressed='true'] {
        background: #1d1d1f;
        color: #fff;
        border-color: #1d1d1f;
      }
    `,
  ];

  static override properties = {
    mode: { state: true },
    uploads: { state: true },
    frozen: { state: true },
    readings: { state: true },
    eraser: { state: true },
    help: { state: true },
    corrections: { state: true },
    picking: { state: true },
    announced: { state: true },
    cameraState: { state: true },
  };
  /** The settled reading, for the live region. */
  declare announced: string;
  /** The camera view's camera: starting, showing (Freeze needs it), or not to be had. */
  declare cameraState: 'starting' | 'on' | 'off';
  private penDown = false;
  private storeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Whether the strokes kept before a reload were written back (once, when the canvas first has its size). */
  private canvasRestored = false;
  /** The corrections a Clear took away, until the next stroke: an undo of the clear restores them. */
  private clearedCorrections: { box: Box; digit: number }[] | null = null;
  private pendingAnnouncement = '';
  private announceTimer: ReturnType<typeof setTimeout> | undefined;
  declare eraser: boolean;
  declare help: boolean;
  /** Digits the person corrected, with the box they had: a correction holds while that ink stays where it was. */
  declare corrections: { box: Box; digit: number }[];
  /** The box of the digit whose alternatives are shown. */
  declare picking: Box | null;
  declare mode: 'draw' | 'camera' | 'upload';
  declare uploads: UploadResult[];
  declare frozen: boolean;
  declare readings: ReadingEntry[];

  private readonly camera = new ConnectionController(this, DigitStreamApp.socketUrl(), 'camera', undefined, false);
  private steady = new SteadyReading();
  /** The camera prediction last fed to the steady reading, so each frame counts once. */
  private steadySeq = -1;

  constructor() {
    super();
    this.mode = 'draw';
    this.uploads = [];
    this.frozen = false;
    this.readings = restoreReadings();
    this.eraser = false;
    this.help = false;
    this.corrections = [];
    this.picking = null;
    this.announced = '';
    this.cameraState = 'starting';
  }

  /** The correction made to this digit's ink, if any: boxes move a pixel or two as the writing grows. */
  private correctionFor(box: Box): number | undefined {
    return this.corrections.find((c) => overlap(c.box, box) >= 0.8)?.digit;
  }

  /** The drawn number with the person's corrections applied. */
  /** The text read, separators and spaces kept, with each corrected digit swapped in at its place. */
  private correctedText(prediction: PredictionMessage | null): string {
    return (prediction?.lines ?? [])
      .map((line) => {
        let index = 0;
        return [...line.text].map((c) => (/[0-9]/.test(c) ? String(this.correctionFor(line.digits[index++]?.box ?? [0, 0, 0, 0]) ?? c) : c)).join('');
      })
      .join('\n');
  }

  /**
   * The prediction as the person corrected it: each corrected digit is theirs, sure (the person
   * read it), so the canvas labels its box with it and a kept row reports it.
   */
  private withCorrections(prediction: PredictionMessage | null): PredictionMessage | null {
    if (!prediction || this.corrections.length === 0) return prediction;
    const lines = prediction.lines.map((line) => ({
      ...line,
      digits: line.digits.map((d) => {
        const corrected = this.correctionFor(d.box);
        return corrected === undefined ? d : { ...d, digit: corrected, confidence: 1, uncertain: false };
      }),
    }));
    return { ...prediction, lines, text: this.correctedText(prediction) };
  }

  private correct(box: Box, digit: number): void {
    this.corrections = [...this.corrections.filter((c) => overlap(c.box, box) < 0.8), { box, digit }];
    this.picking = null;
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.has('readings')) storeReadings(this.readings);
    this.announceWhenSettled();
  }

  /**
   * What a screen reader hears: the number once the pen is up and the reading has held for a
   * moment, not every reading while a digit is being written (that would be a flood).
   */
  private announceWhenSettled(): void {
    const text = this.mode === 'draw' ? this.correctedText(this.connection.prediction) : '';
    if (this.penDown || text === this.pendingAnnouncement) return;
    this.pendingAnnouncement = text;
    clearTimeout(this.announceTimer);
    this.announceTimer = setTimeout(() => {
      this.announced = text ? `Number read: ${text.split('').join(' ').replace(/\n/g, ', then ')}` : '';
    }, SETTLED_MS);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('keydown', this.onKey);
    window.addEventListener('pagehide', this.storeCanvas);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('keydown', this.onKey);
    window.removeEventListener('pagehide', this.storeCanvas);
  }

  /** Escape closes the digit picker; Ctrl/Cmd+Z undoes, Ctrl/Cmd+Shift+Z or Ctrl+Y redoes, in draw mode. */
  private onKey = (event: KeyboardEvent) => {
    if (event.key === 'Escape' && this.picking) {
      this.picking = null;
      return;
    }
    if (this.mode !== 'draw' || !(event.ctrlKey || event.metaKey)) return;
    const key = event.key.toLowerCase();
    if (key === 'z' && !event.shiftKey) this.apply({ type: 'undo' });
    else if ((key === 'z' && event.shiftKey) || key === 'y') this.apply({ type: 'redo' });
    else return;
    event.preventDefault();
  };

  private speak(text: string): void {
    if (!text || !('speechSynthesis' in window)) return;
    // Digit by digit, as numbers like meter readings and postal codes are read.
    window.speechSynthesis.speak(new SpeechSynthesisUtterance(text.split('').join(' ')));
  }

  private keep(
    source: ReadingEntry['source'],
    prediction: { text: string; lines: { digits: { confidence: number }[] }[] } | null,
    file?: string,
    corrected = false,
  ): void {
    if (!prediction?.text) return;
    // Keeping the number just kept (a second press, a clear after Keep) adds no second row.
    const newest = this.readings[0];
    if (newest && newest.source === source && newest.text === prediction.text && newest.file === file) return;
    const confidence = Math.min(...prediction.lines.flatMap((l) => l.digits.map((d) => d.confidence)));
    this.readings = [{ time: new Date().toISOString(), source, text: prediction.text, confidence, corrected, ...(file ? { file } : {}) }, ...this.readings];
  }

  /** Camera mode with no camera showing: the status says so rather than "Live". */
  private get noCamera(): boolean {
    return this.mode === 'camera' && this.cameraState === 'off';
  }

  private get activeConnection(): ConnectionController {
    return this.mode === 'camera' ? this.camera : this.connection;
  }

  private setMode(mode: DigitStreamApp['mode']): void {
    this.mode = mode;
    if (mode === 'camera') {
      this.steady = new SteadyReading();
      this.steadySeq = -1;
      this.cameraState = 'starting';
      this.camera.start();
    } else {
      this.camera.stop();
    }
  }

  /** Clearing a canvas that shows a number keeps that number in the results first. */
  private clearCanvas = () => {
    const prediction = this.connection.prediction;
    const text = this.correctedText(prediction);
    if (text && this.readings[0]?.text !== text) this.keep('draw', this.withCorrections(prediction), undefined, text !== prediction?.text);
    // Kept aside: an undo of this clear brings the writing back, and its corrections with it.
    this.clearedCorrections = this.corrections;
    this.corrections = [];
    this.apply({ type: 'clear' });
  };

  /** Freezing the camera keeps the number it shows. */
  private freeze(prediction: PredictionMessage | null, shown: string): void {
    this.frozen = !this.frozen;
    if (this.frozen && shown && this.readings[0]?.text !== shown) this.keep('camera', prediction ? { ...prediction, text: shown } : null);
  }

  private alternatives(lines: PredictionMessage['lines']) {
    const key = this.picking!;
    const digit = lines.flatMap((l) => l.digits).find((d) => overlap(d.box, key) >= 0.8);
    if (!digit) return '';
    return html`<div class="alternatives" role="group" aria-label="Choose the digit">
      ${digit.alternatives.map((a) => html`<button @click=${() => this.correct(key, a.digit)}>${a.digit} <small>${Math.round(a.p * 100)} %</small></button>`)}
      ${[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
        .filter((n) => !digit.alternatives.some((a) => a.digit === n))
        .map((n) => html`<button class="other" @click=${() => this.correct(key, n)}>${n}</button>`)}
    </div>`;
  }

  private cameraView() {
    const prediction = this.camera.prediction;
    if (prediction && prediction.seq !== this.steadySeq) {
      this.steadySeq = prediction.seq;
      this.steady.push(prediction);
    }
    const shown = this.steady.text;
    return html` <div class="number" aria-label="Number read">${shown || html`<span class="placeholder">Point the camera at a handwritten number</span>`}</div>
      <div class="tools">
        <button aria-pressed=${this.frozen} @click=${() => this.freeze(prediction, shown)} ?disabled=${this.cameraState !== 'on'}>
          ${this.frozen ? 'Go on reading' : 'Freeze'}
        </button>
        <button @click=${() => this.keep('camera', prediction ? { ...prediction, text: shown } : null)} ?disabled=${!shown}>Keep this number</button>
      </div>
      <camera-view
        .prediction=${prediction}
        .refused=${this.camera.refusedFrame}
        ?frozen=${this.frozen}
        @camera-frame=${(e: CustomEvent<CameraFrameDetail>) => this.camera.sendFrame(e.detail.frame, e.detail.image)}
        @camera-state=${(e: CustomEvent<{ available: boolean }>) => {
          this.cameraState = e.detail.available ? 'on' : 'off';
        }}
      ></camera-view>`;
  }

  private board = new StrokeBoard(800, 300, LIMITS);
  private canvasSize = { width: 800, height: 300 };
  private readonly connection = new ConnectionController(this, DigitStreamApp.socketUrl(), 'canvas', () => this.canvasSize);

  static socketUrl(): string {
    const { protocol, host } = window.location;
    return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/ws`;
  }

  override render() {
    const prediction = this.connection.prediction;
    const lines = prediction?.lines ?? [];
    return html` <header>
        <h1>Digit Stream</h1>
        <nav aria-label="Mode">
          <button aria-pressed=${this.mode === 'draw'} @click=${() => this.setMode('draw')}>Draw</button>
          <button aria-pressed=${this.mode === 'camera'} @click=${() => this.setMode('camera')}>Camera</button>
          <button aria-pressed=${this.mode === 'upload'} @click=${() => this.setMode('upload')}>Upload</button>
        </nav>
        <span class="status ${this.noCamera ? 'incompatible' : this.activeConnection.status}" role="status"
          >${
            this.noCamera
              ? 'No camera'
              : this.activeConnection.status === 'open' && this.activeConnection.pending > 0
                ? `Catching up: ${this.activeConnection.pending} to send`
                : STATUS_TEXT[this.activeConnection.status]
          }</span
        >
        <button
          aria-expanded=${this.help}
          @click=${() => {
            this.help = !this.help;
          }}
        >
          Help
        </button>
      </header>
      <p class="visually-hidden" aria-live="polite">${this.announced}</p>
      <main>
        ${this.help ? html`<section class="help" aria-label="Help">${HELP[this.mode]}</section>` : ''}
        ${
          this.mode === 'upload'
            ? html`<image-upload .results=${this.uploads} @files-chosen=${this.upload} @digit-corrected=${this.correctUpload}></image-upload>`
            : this.mode === 'camera'
              ? this.cameraView()
              : this.drawing(prediction, lines)
        }
        <results-list
          .entries=${this.readings}
          @reading-removed=${(event: CustomEvent<{ index: number }>) => {
            this.readings = this.readings.filter((_, i) => i !== event.detail.index);
          }}
          @readings-cleared=${() => {
            this.readings = [];
          }}
        ></results-list>
      </main>`;
  }

  /** A line as read: a button per digit (to correct it), separators and spaces as text, unsure marks flagged. */
  private lineParts(line: NonNullable<DigitStreamApp['connection']['prediction']>['lines'][number]) {
    let index = 0;
    const parts = [...line.text].map((c) => {
      if (c === ' ') return html`<span class="gap"> </span>`;
      if (!/[0-9]/.test(c)) return html`<span class="separator">${c}</span>`;
      const d = line.digits[index++];
      if (!d) return html`<span class="separator">${c}</span>`;
      const key = d.box;
      const corrected = this.correctionFor(key);
      return html`<button
        class="digit ${d.uncertain && corrected === undefined ? 'uncertain' : ''} ${corrected !== undefined ? 'corrected' : ''} ${d.provisional ? 'provisional' : ''}"
        aria-label="${corrected ?? d.digit}, ${d.provisional ? 'still being written' : `${Math.round(d.confidence * 100)} % sure`}: choose another digit"
        @click=${() => {
          this.picking = this.picking && overlap(this.picking, key) >= 0.8 ? null : key;
        }}
      >
        ${corrected ?? d.digit}
      </button>`;
    });
    const unsure = (line.symbols ?? []).filter((m) => m.uncertain).length;
    return unsure
      ? [
          ...parts,
          html`<span
            class="unsure-mark"
            title="A mark not read as a digit or a separator: left out"
            aria-label="${unsure} mark${unsure > 1 ? 's' : ''} left out"
            >?</span
          >`,
        ]
      : parts;
  }

  private drawing(prediction: DigitStreamApp['connection']['prediction'], lines: NonNullable<DigitStreamApp['connection']['prediction']>['lines']) {
    return html`
      <div class="reading">
        <div class="number" aria-label="Number read">
          ${
            lines.length === 0
              ? html`<span class="placeholder">Write a number below</span>`
              : lines.map(
                  (line) => html`<span class="line" style=${styleMap({ fontSize: `${(1 / lines.length).toFixed(3)}em` })}>${this.lineParts(line)}</span>`,
                )
          }
        </div>
        ${this.picking ? this.alternatives(lines) : ''}
      </div>
      <!-- Tools above the canvas, in view at every size; errors float over the canvas's corner, so nothing pushes it down mid-stroke. -->
      <div class="tools">
        <button @click=${() => this.apply({ type: 'undo' })}>Undo</button>
        <button @click=${() => this.apply({ type: 'redo' })}>Redo</button>
        <button @click=${this.clearCanvas}>Clear</button>
        <button @click=${this.copy} ?disabled=${!prediction?.text}>Copy number</button>
        <button
          @click=${() => this.keep('draw', this.withCorrections(prediction), undefined, this.correctedText(prediction) !== prediction?.text)}
          ?disabled=${!prediction?.text}
        >
          Keep this number
        </button>
        <button @click=${() => this.speak(this.correctedText(prediction))} ?disabled=${!prediction?.text || !('speechSynthesis' in window)}>Read aloud</button>
        <button
          aria-pressed=${this.eraser}
          @click=${() => {
            this.eraser = !this.eraser;
          }}
        >
          Eraser
        </button>
        <span class="legend" role="group" aria-label="Box colours">
          <span><i style=${styleMap({ borderColor: BOX_COLOURS.sure })}></i>sure</span>
          <span><i style=${styleMap({ borderColor: BOX_COLOURS.lessSure })}></i>less sure</span>
          <span><i style=${styleMap({ borderColor: BOX_COLOURS.doubtful })}></i>doubtful</span>
        </span>
        ${this.connection.lastError ? html`<p class="error floating" role="alert">${this.connection.lastError.message}</p>` : ''}
      </div>
      <draw-canvas
        .strokes=${this.board.list().slice()}
        .prediction=${this.withCorrections(prediction)}
        ?erasing=${this.eraser}
        @canvas-size=${this.onCanvasSize}
        @stroke-begin=${this.onStroke}
        @stroke-points=${this.onStroke}
        @stroke-end=${this.onStroke}
      ></draw-canvas>
    `;
  }

  /** Uploads the chosen files in one request and shows each file's reading or error as it comes. */
  private upload = async (event: CustomEvent<File[]>) => {
    const files = event.detail;
    const fresh: UploadResult[] = files.map((file) => ({ name: file.name, preview: URL.createObjectURL(file), state: 'reading' }));
    this.uploads = [...fresh, ...this.uploads];
    const body = new FormData();
    files.forEach((file, i) => body.append(`image${i}`, file, file.name));
    let answers: { status: number; text?: string; width?: number; height?: number; digits?: UploadResult['digits']; error?: { message: string } }[] = [];
    let failure: string | undefined;
    try {
      const response = await fetch('/api/recognize', { method: 'POST', body });
      const json = (await response.json()) as { results?: typeof answers; error?: { message: string } };
      answers = json.results ?? [];
      failure = json.error?.message;
    } catch {
      failure = 'the server could not be reached';
    }
    const done = fresh.map((r, i): UploadResult => {
      const answer = answers[i];
      if (!answer) return { ...r, state: 'failed', error: failure ?? 'not read: too many files in one upload' };
      if (answer.status !== 200) return { ...r, state: 'failed', error: answer.error?.message ?? `not read (HTTP ${answer.status})` };
      return { ...r, state: 'done', text: answer.text, width: answer.width, height: answer.height, digits: answer.digits };
    });
    this.uploads = this.uploads.map((r) => done.find((d) => d.preview === r.preview) ?? r);
    for (const r of done) if (r.state === 'done' && r.text) this.keep('upload', { text: r.text, lines: [{ digits: r.digits ?? [] }] }, r.name);
  };

  /**
   * A digit of an upload picked by the person: the upload shows it, sure (the person read it), and
   * the number kept from that file is corrected too.
   */
  private correctUpload = (event: CustomEvent<DigitCorrection>) => {
    const { preview, index, digit } = event.detail;
    const upload = this.uploads.find((u) => u.preview === preview);
    if (!upload?.digits?.[index] || upload.text === undefined) return;
    const before = upload.text;
    const digits = upload.digits.map((d, i) => (i === index ? { ...d, digit, confidence: 1, uncertain: false } : d));
    // The text is the digits in reading order with line breaks between lines: swap the index-th digit.
    let seen = -1;
    const text = [...before].map((c) => (c === '\n' || ++seen !== index ? c : String(digit))).join('');
    this.uploads = this.uploads.map((u) => (u === upload ? { ...u, digits, text, corrected: true } : u));
    const confidence = Math.min(...digits.map((d) => d.confidence));
    this.readings = this.readings.map((r) =>
      r.source === 'upload' && r.file === upload.name && r.text === before ? { ...r, text, confidence, corrected: true } : r,
    );
  };

  private onCanvasSize = (event: CustomEvent<{ width: number; height: number }>) => {
    // The canvas's first size is the one the session is opened with; later resizes keep it so
    // that strokes already drawn keep their meaning.
    if (this.board.strokeCount === 0 && this.connection.status !== 'open') {
      this.canvasSize = event.detail;
      this.board = new StrokeBoard(event.detail.width, event.detail.height, LIMITS);
    }
    if (!this.canvasRestored) {
      this.canvasRestored = true;
      this.restoreCanvas();
    }
  };

  /** Points of the eraser's current sweep: it erases, it does not write. */
  private sweep: Point[] = [];

  private onStroke = (event: CustomEvent<StrokeEventDetail>) => {
    this.penDown = event.type !== 'stroke-end';
    if (!this.penDown) this.announceWhenSettled();
    const { stroke, points } = event.detail;
    if (this.eraser) {
      this.sweep = event.type === 'stroke-begin' ? [...points] : [...this.sweep, ...points];
      if (event.type === 'stroke-end') this.eraseTouched(this.sweep);
      return;
    }
    if (event.type === 'stroke-begin') this.apply({ type: 'stroke-begin', stroke, point: points[0] });
    else if (event.type === 'stroke-points') this.apply({ type: 'stroke-points', stroke, points });
    else {
      this.apply({ type: 'stroke-end', stroke });
      const drawn = this.board.list().find((s) => s.id === stroke);
      if (drawn && isScratchOut(drawn.points)) {
        // A scratch-out is a gesture, not ink: its own stroke is taken back (undone, so no later
        // undo brings the scribble back), then what it covered is erased as one undoable change.
        this.apply({ type: 'undo' });
        this.eraseTouched(drawn.points);
      }
    }
  };

  private eraseTouched(path: readonly Point[]): void {
    const touched = strokesTouched(path, this.board.list(), 12);
    if (touched.length > 0) this.apply({ type: 'erase', strokes: touched });
  }

  /** Applies a change to the local canvas first (so the ink shows at once), then sends it. */
  private apply(message: CanvasMessage): void {
    try {
      if (!this.board.apply(message)) return;
    } catch (error) {
      if (error instanceof BoardError) return;
      throw error;
    }
    // A new stroke ends the chance to undo a Clear with its corrections; an undo of one brings them back.
    if (message.type === 'stroke-begin') this.clearedCorrections = null;
    if (message.type === 'undo') {
      if (this.clearedCorrections && this.board.strokeCount > 0) this.corrections = this.clearedCorrections;
      this.clearedCorrections = null;
    }
    this.connection.send(message);
    this.requestUpdate();
    this.storeCanvasSoon();
  }

  /** Keeps the canvas in the browser a moment after it changes (a reload then brings it back). */
  private storeCanvasSoon(): void {
    clearTimeout(this.storeTimer);
    this.storeTimer = setTimeout(this.storeCanvas, STORE_CANVAS_AFTER_MS);
  }

  /** Keeps the canvas now: also when the page is being left, so the last change is not lost. */
  private storeCanvas = () => {
    clearTimeout(this.storeTimer);
    storeStrokes(this.board.list());
  };

  /** Writes the strokes kept before a reload onto the canvas again, as the pen once did. */
  private restoreCanvas(): void {
    for (const { id, points } of restoreStrokes()) {
      this.apply({ type: 'stroke-begin', stroke: id, point: points[0] });
      for (let i = 1; i < points.length; i += PROTOCOL_LIMITS.maxPointsPerMessage) {
        this.apply({ type: 'stroke-points', stroke: id, points: points.slice(i, i + PROTOCOL_LIMITS.maxPointsPerMessage) });
      }
      this.apply({ type: 'stroke-end', stroke: id });
    }
  }

  private copy = async () => {
    const text = this.correctedText(this.connection.prediction);
    if (text) await navigator.clipboard?.writeText(text);
  };
}

customElements.define('digit-stream-app', DigitStreamApp);

declare global {
  interface HTMLElementTagNameMap {
    'digit-stream-app': DigitStreamApp;
  }
}
