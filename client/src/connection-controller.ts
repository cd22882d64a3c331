import type { ReactiveController, ReactiveControllerHost } from 'lit';
import {
  CloseReason,
  encodeFrame,
  parseServerMessage,
  PROTOCOL_LIMITS,
  PROTOCOL_VERSION,
  type CanvasMessage,
  type PredictionMessage,
  type ServerMessage,
} from '../../shared/protocol.js';

export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'incompatible';

type Numbered = CanvasMessage & { seq: number };

/** Messages kept for replay after a reconnect; a canvas with more has been written on for hours. */
const MAX_LOG = 200_000;
const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 15_000;
/** The server's message rate when it does not say (ready.limits.messagesPerSecond). */
const DEFAULT_MESSAGES_PER_SECOND = 240;
/** A replay sends at most this share of the server's rate, leaving room for the pen. */
const REPLAY_SHARE = 0.6;
const PUMP_MS = 50;
/** After the server says it dropped messages, wait this long (its rate bucket refills) before resending. */
const RESEND_PAUSE_MS = 500;
/**
 * A moving pen's points wait this long to go out as one message: the server reads a moving pen at
 * most every 100 ms, so a message for each pointer event (60 a second) only costs both ends and the
 * network. A stroke's end, and any other message, sends what waits at once, so nothing waits
 * behind the pen.
 */
export const POINTS_BATCH_MS = 40;

/**
 * Owns the WebSocket to the server for one session: says hello, reconnects with backoff, resumes
 * a canvas session with its token and replays what the server had not acknowledged (or everything,
 * if the server no longer has the canvas), so strokes drawn while offline are not lost. Acquires
 * the socket in hostConnected (or `start`) and releases it in hostDisconnected (or `stop`).
 */
export class ConnectionController implements ReactiveController {
  status: ConnectionStatus = 'connecting';
  prediction: PredictionMessage | null = null;
  /** The last error the server reported, for the page to show. */
  lastError: { code: string; message: string } | null = null;
  /** Camera mode: the last frame the server refused (dropped for the rate, or unreadable), so the next is sent at once. */
  refusedFrame: { frame: number; code: string } | null = null;

  private socket: WebSocket | undefined;
  private seq = 0;
  private log: Numbered[] = [];
  /** The last `seq` written to the current socket: everything after it in the log is still to send. */
  private sentUpTo = 0;
  private pump: ReturnType<typeof setTimeout> | undefined;
  private batch: ReturnType<typeof setTimeout> | undefined;
  private messagesPerSecond = DEFAULT_MESSAGES_PER_SECOND;
  private resumeToken: string | undefined;
  private attempts = 0;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private ready = false;
  private stopped = true;

  /**
   * `mode` says what the session is: a canvas (whose size `canvasSize` gives at each hello) or a
   * camera. `autoStart: false` leaves the connection closed until `start()`.
   */
  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly url: string,
    private readonly mode: 'canvas' | 'camera',
    private readonly canvasSize: () => { width: number; height: number } = () => ({ width: 1, height: 1 }),
    private readonly autoStart = true,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    if (this.autoStart) this.start();
  }

  hostDisconnected(): void {
    this.stop();
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    clearTimeout(this.pump);
    clearTimeout(this.batch);
    this.pump = undefined;
    this.batch = undefined;
    this.socket?.close(CloseReason.Normal.code, CloseReason.Normal.reason);
    this.socket = undefined;
    this.ready = false;
  }

  get connected(): boolean {
    return this.ready;
  }

  /** Sends a camera frame if connected; frames are never kept for later: the next one is newer. */
  sendFrame(frame: number, image: Uint8Array): boolean {
    if (!this.ready || !this.socket) return false;
    this.socket.send(encodeFrame(frame, image));
    return true;
  }

  /** Messages written but not yet sent to the server: a replay still catching up (the pen's batch is not behind). */
  get pending(): number {
    return this.seq - this.sentUpTo - (this.batch ? 1 : 0);
  }

  /**
   * Sends a message if connected (pen points within POINTS_BATCH_MS, joined to the points of the
   * same stroke not sent yet), and keeps it to replay after a reconnect either way. Messages go
   * out in `seq` order, each once per connection, unless the server asks for them again.
   */
  send(message: CanvasMessage): void {
    const last = this.log.at(-1);
    if (
      message.type === 'stroke-points' &&
      last?.type === 'stroke-points' &&
      last.stroke === message.stroke &&
      last.seq > this.sentUpTo &&
      last.points.length + message.points.length <= PROTOCOL_LIMITS.maxPointsPerMessage
    ) {
      last.points = [...last.points, ...message.points];
      return;
    }
    const numbered = { ...message, seq: ++this.seq } as Numbered;
    this.log.push(numbered);
    if (this.log.length > MAX_LOG) this.log.shift();
    if (!this.ready || this.pump) return;
    if (message.type === 'stroke-points') this.batch ??= setTimeout(() => this.sendWaiting(), POINTS_BATCH_MS);
    else this.sendWaiting();
  }

  /** Sends what waits: at once if it is no more than the pen's batch and one message after it, else by the pump. */
  private sendWaiting(): void {
    clearTimeout(this.batch);
    this.batch = undefined;
    if (!this.ready || !this.socket || this.pump) return;
    const waiting = this.seq - this.sentUpTo;
    if (waiting > 2 || waiting > this.log.length) {
      this.startPump(0);
      return;
    }
    for (const entry of this.log.slice(this.log.length - waiting)) {
      this.socket.send(JSON.stringify(entry));
      this.sentUpTo = entry.seq;
    }
  }

  /**
   * Sends what the server has not taken, in order, at a share of its message rate: a replay of
   * minutes of writing never trips the rate limit (which would drop messages), and the pen's
   * new messages follow behind it.
   */
  private startPump(delayMs: number): void {
    if (this.pump) return;
    const perTick = Math.max(1, Math.floor((this.messagesPerSecond * REPLAY_SHARE * PUMP_MS) / 1000));
    const tick = () => {
      this.pump = undefined;
      if (!this.ready || !this.socket) return;
      const start = this.log.findIndex((entry) => entry.seq > this.sentUpTo);
      if (start === -1) {
        this.sentUpTo = this.seq;
        this.host.requestUpdate();
        return;
      }
      for (const entry of this.log.slice(start, start + perTick)) {
        this.socket.send(JSON.stringify(entry));
        this.sentUpTo = entry.seq;
      }
      this.pump = setTimeout(tick, PUMP_MS);
    };
    this.pump = setTimeout(tick, delayMs);
  }

  private update(changes: Partial<Pick<ConnectionController, 'status' | 'prediction' | 'lastError' | 'refusedFrame'>>): void {
    Object.assign(this, changes);
    this.host.requestUpdate();
  }

  private connect(): void {
    if (this.stopped) return;
    const socket = new WebSocket(this.url);
    this.socket = socket;
    this.ready = false;
    socket.onopen = () => {
      socket.send(
        JSON.stringify(
          this.mode === 'camera'
            ? { type: 'hello', version: PROTOCOL_VERSION, mode: 'camera' }
            : {
                type: 'hello',
                version: PROTOCOL_VERSION,
                mode: 'canvas',
                canvas: this.canvasSize(),
                // A fresh canvas gets the whole log, from its first message.
                firstSeq: this.log[0]?.seq ?? this.seq + 1,
                ...(this.resumeToken ? { resume: this.resumeToken } : {}),
              },
        ),
      );
    };
    socket.onmessage = (event) => {
      const parsed = parseServerMessage(String(event.data));
      if (!parsed.ok) {
        this.update({ lastError: { code: parsed.code, message: `the server sent something this page does not understand: ${parsed.message}` } });
        return;
      }
      this.receive(parsed.message);
    };
    socket.onclose = (event) => {
      if (socket !== this.socket) return;
      this.ready = false;
      clearTimeout(this.pump);
      this.pump = undefined;
      if (event.code === CloseReason.WrongVersion.code && event.reason === CloseReason.WrongVersion.reason) {
        this.update({ status: 'incompatible' });
        return;
      }
      if (this.stopped) return;
      const delay = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** this.attempts++) * (0.75 + Math.random() * 0.5);
      this.update({ status: 'reconnecting' });
      this.retry = setTimeout(() => this.connect(), delay);
    };
  }

  private receive(message: ServerMessage): void {
    switch (message.type) {
      case 'ready': {
        this.resumeToken = message.resumeToken;
        this.attempts = 0;
        this.messagesPerSecond = message.limits.messagesPerSecond ?? DEFAULT_MESSAGES_PER_SECOND;
        // A resumed canvas needs what came after ack; a fresh one needs everything.
        this.sentUpTo = message.resumed ? (message.ack ?? 0) : 0;
        this.ready = true;
        this.startPump(0);
        this.update({ status: 'open' });
        break;
      }
      case 'prediction':
        if (!this.prediction || message.seq > this.prediction.seq || message.seq === 1) this.update({ prediction: message });
        break;
      case 'error':
        if (message.resendFrom !== undefined) {
          // Dropped for the rate limit, or refused after a gap: send again from there, in a while.
          // Nothing is lost, so it is not shown as an error; the status says it is catching up.
          this.sentUpTo = Math.min(this.sentUpTo, message.resendFrom - 1);
          clearTimeout(this.pump);
          this.pump = undefined;
          this.startPump(RESEND_PAUSE_MS);
          this.host.requestUpdate();
          break;
        }
        if (message.frame !== undefined) {
          // A frame dropped for the rate says "slower", not "something is wrong": no error shown.
          this.update({
            refusedFrame: { frame: message.frame, code: message.code },
            ...(message.code === 'rate-limited' ? {} : { lastError: { code: message.code, message: message.message } }),
          });
          break;
        }
        this.update({ lastError: { code: message.code, message: message.message } });
        break;
    }
  }
}
