/**
 * One person writing on a canvas: applies their stroke messages to a StrokeBoard and pushes a
 * prediction after every change, latest wins. While the pen moves the canvas is read at most every
 * `liveReadMs` and only by a worker with nothing else to do (a pen sends ~60 messages a second;
 * reading each would spend the workers on frames no one sees at 100 writers); a stroke end, undo,
 * redo, erase or clear is read at once, queueing for a worker if need be. Readings are made as
 * while writing (StrokeSet.writing); when one says a pause would read differently, the canvas is
 * read once more after `pauseReadMs` without new input.
 */
import { ErrorCode, type CanvasMessage, type PredictionMessage, type ServerMessage } from '../../shared/protocol.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { sendMessage } from './outbox.js';
import type { ServerSocket } from './server-socket.js';
import { RecognitionError, RecognitionErrorCode } from '../recognition/errors.js';
import type { RecognitionPool } from '../recognition/pool.js';
import { BoardError, StrokeBoard, type BoardLimits } from '../../shared/stroke-board.js';
import { LatestWins } from './latest-wins.js';

/** Wait before trying again when workers are busy or the client is slow. */
const RETRY_MS = 50;

/** What outlives a connection: the canvas and how far the client's numbered messages got. */
export interface CanvasState {
  board: StrokeBoard;
  lastSeq: number | undefined;
  predictions: number;
}

/** A fresh canvas; `firstSeq` (from hello) is the first numbered message it will take. */
export function newCanvasState(canvas: { width: number; height: number }, limits: BoardLimits, firstSeq?: number): CanvasState {
  return { board: new StrokeBoard(canvas.width, canvas.height, limits), lastSeq: firstSeq === undefined ? undefined : firstSeq - 1, predictions: 0 };
}

export class CanvasSession {
  private readonly reader: LatestWins;
  private retry: NodeJS.Timeout | undefined;
  /** When the oldest change not yet read arrived: the start of its latency. */
  private changedAt: number | undefined;
  /** A change not yet read that the person waits to see (anything but ink still being drawn). */
  private urgent = false;
  /** The groups of strokes the last reading read as one digit each: kept while new ink does not reach them. */
  private settled: string[][] | undefined;
  private lastReadAt = -Infinity;
  /** The resend point last reported in an out-of-order error, so a gap is reported once. */
  private gapReported: number | undefined;
  private liveTimer: NodeJS.Timeout | undefined;
  private pauseTimer: NodeJS.Timeout | undefined;
  /** The next reading is the one after a pause: nothing new came since the last. */
  private paused = false;

  constructor(
    private readonly socket: ServerSocket,
    private readonly pool: RecognitionPool,
    readonly state: CanvasState,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    readonly id: string,
    private readonly timing: { liveReadMs: number; pauseReadMs: number },
    /** Called after every change to the canvas (to save it, a moment later). */
    private readonly changed: () => void = () => {},
  ) {
    this.reader = new LatestWins(() => this.read());
  }

  private get board(): StrokeBoard {
    return this.state.board;
  }

  /** Reads the canvas as it is now (after a resume). */
  refresh(): void {
    this.urgent = true;
    this.reader.request();
  }

  send(message: ServerMessage): void {
    sendMessage(this.socket, message, this.metrics, 'canvas');
  }

  /** The client `seq` a resend must start from: the first numbered message not yet taken. */
  get resendFrom(): number | undefined {
    return this.state.lastSeq === undefined ? undefined : this.state.lastSeq + 1;
  }

  /**
   * Whether a numbered message is the next one. Numbered messages are taken in order, each once:
   * one already taken (a replay after a resume) is ignored; one past a gap (a message before it was
   * dropped, for the rate limit) is refused, once per gap with an `out-of-order` error that says
   * where to resend from, so client and server never disagree in silence.
   */
  private takeInOrder(seq: number | undefined): boolean {
    const expected = this.resendFrom;
    if (seq === undefined || expected === undefined || seq === expected) {
      if (seq !== undefined) this.state.lastSeq = seq;
      return true;
    }
    if (seq > expected && this.gapReported !== expected) {
      this.gapReported = expected;
      this.send({
        type: 'error',
        code: ErrorCode.OutOfOrder,
        message: `message ${seq} came before ${expected}: resend from ${expected}`,
        seq,
        resendFrom: expected,
      });
    }
    return false;
  }

  /** A numbered message answered before it reached the canvas (hello, or one that did not fit the protocol): taken, changing nothing. */
  refused(seq: number): void {
    this.takeInOrder(seq);
  }

  /** Applies one message; a message that breaks a rule gets an error and changes nothing. */
  handle(message: CanvasMessage): void {
    if (!this.takeInOrder(message.seq)) return;
    try {
      this.board.apply(message);
    } catch (error) {
      if (!(error instanceof BoardError)) throw error;
      this.send({ type: 'error', code: error.code, message: error.message, ...(message.seq !== undefined ? { seq: message.seq } : {}) });
      return;
    }
    this.changedAt ??= performance.now();
    clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    this.paused = false;
    this.changed();
    if (message.type !== 'stroke-begin' && message.type !== 'stroke-points') this.urgent = true;
    this.reader.request();
  }

  private async read(): Promise<void> {
    if (this.socket.congested) {
      // A slow client: hold the prediction back rather than buffer without bound; the newest is sent once it catches up.
      this.later();
      return;
    }
    const urgent = this.urgent;
    const sinceLastRead = performance.now() - this.lastReadAt;
    if (!urgent && sinceLastRead < this.timing.liveReadMs) {
      this.liveTimer ??= setTimeout(() => {
        this.liveTimer = undefined;
        this.reader.request();
      }, this.timing.liveReadMs - sinceLastRead);
      return;
    }
    clearTimeout(this.liveTimer);
    this.liveTimer = undefined;
    this.urgent = false;
    this.lastReadAt = performance.now();
    const ack = this.state.lastSeq;
    const changedAt = this.changedAt;
    this.changedAt = undefined;
    const packed = this.board.snapshot();
    let prediction: PredictionMessage;
    if (packed.length === 0) {
      prediction = { type: 'prediction', seq: ++this.state.predictions, text: '', lines: [], ms: 0 };
    } else {
      try {
        const open = this.board.openPositions();
        const settled = this.settled;
        const paused = this.paused;
        const { result, ms } = await this.pool.recognizeStrokes(
          {
            width: this.board.width,
            height: this.board.height,
            packed,
            ...(open.length ? { open } : {}),
            ...(settled ? { settled } : {}),
            ...(paused ? {} : { writing: true }),
          },
          urgent ? 'urgent' : 'live',
        );
        this.settled = result.groups;
        // Only if nothing came meanwhile (which cleared `paused` and any timer): then this is the canvas as it stands.
        if (result.waitsForPause && !paused && this.changedAt === undefined && open.length === 0) this.readAfterPause();
        prediction = { type: 'prediction', seq: ++this.state.predictions, text: result.text, lines: result.lines, ms: Math.round(ms * 10) / 10 };
      } catch (error) {
        const code = error instanceof RecognitionError ? error.code : RecognitionErrorCode.Internal;
        if (code === RecognitionErrorCode.Busy) {
          this.changedAt ??= changedAt;
          this.urgent ||= urgent;
          this.later();
          return;
        }
        this.logger.log('error', 'recognition-failed', { session: this.id, code, message: (error as Error).message });
        this.send({ type: 'error', code: ErrorCode.Internal, message: 'reading the canvas failed; the next change will be read again' });
        return;
      }
    }
    if (ack !== undefined) prediction.ack = ack;
    this.send(prediction);
    if (changedAt !== undefined) this.metrics.recognitionSeconds.observe({ mode: 'canvas' }, (performance.now() - changedAt) / 1000);
  }

  private readAfterPause(): void {
    clearTimeout(this.pauseTimer);
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = undefined;
      this.paused = true;
      this.urgent = true;
      this.reader.request();
    }, this.timing.pauseReadMs);
  }

  private later(): void {
    clearTimeout(this.retry);
    this.retry = setTimeout(() => this.reader.request(), RETRY_MS);
  }

  /** Resolves when the reading in flight has been answered. */
  idle(): Promise<void> {
    return this.reader.idle();
  }

  dispose(): void {
    clearTimeout(this.retry);
    clearTimeout(this.liveTimer);
    clearTimeout(this.pauseTimer);
    this.reader.stop();
  }
}
