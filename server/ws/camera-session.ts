/**
 * One webcam pointed at paper: frames arrive as binary messages, at most one is read at a time and
 * at most one waits, replaced by every newer frame (latest wins), so a camera faster than the
 * server never builds a queue and predictions follow the newest frame.
 */
import { ErrorCode, type ServerMessage } from '../../shared/protocol.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { sendMessage } from './outbox.js';
import type { ServerSocket } from './server-socket.js';
import { RecognitionError, RecognitionErrorCode } from '../recognition/errors.js';
import type { RecognitionPool } from '../recognition/pool.js';
import { LatestWins } from './latest-wins.js';

export class CameraSession {
  private readonly reader: LatestWins;
  private waiting: { frame: number; image: Uint8Array; arrived: number } | null = null;
  private dropped = 0;
  private predictions = 0;
  private windowStart = 0;
  private framesInWindow = 0;
  private lastRateError = 0;
  /** The writing's height in the last frame read: the next frame of the same scene can skip measuring it (ReadingHints). */
  private writingHeight = 0;

  constructor(
    private readonly socket: ServerSocket,
    private readonly pool: RecognitionPool,
    private readonly fpsMax: number,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    readonly id: string,
  ) {
    this.reader = new LatestWins(() => this.read());
  }

  send(message: ServerMessage): void {
    sendMessage(this.socket, message, this.metrics, 'camera');
  }

  /** A frame never read: replaced by a newer one, over the frame rate, or refused by busy workers. */
  private drop(): void {
    this.dropped++;
    this.metrics.droppedFrames.inc();
  }

  frame(frame: number, image: Uint8Array): void {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.framesInWindow = 0;
    }
    if (++this.framesInWindow > this.fpsMax) {
      this.drop();
      if (now - this.lastRateError > 1000) {
        this.lastRateError = now;
        this.send({ type: 'error', code: ErrorCode.RateLimited, message: `more than ${this.fpsMax} frames a second: frames are being dropped`, frame });
      }
      return;
    }
    if (this.waiting) this.drop();
    // Copied: the message buffer belongs to ws, and the pool moves what it is given to a worker.
    this.waiting = { frame, image: image.slice(), arrived: performance.now() };
    this.reader.request();
  }

  private async read(): Promise<void> {
    const next = this.waiting;
    if (!next) return;
    if (this.socket.congested) {
      // The client reads slower than it sends: skip this frame, the newest one is read when it catches up.
      return;
    }
    this.waiting = null;
    try {
      const { result, ms } = await this.pool.recognizeImage(next.image, 'camera', { writingHeight: this.writingHeight });
      this.writingHeight = result.writingHeight ?? 0;
      this.send({
        type: 'prediction',
        seq: ++this.predictions,
        text: result.text,
        lines: result.lines,
        ms: Math.round(ms * 10) / 10,
        frame: next.frame,
        dropped: this.dropped,
      });
      this.dropped = 0;
      this.metrics.recognitionSeconds.observe({ mode: 'camera' }, (performance.now() - next.arrived) / 1000);
    } catch (error) {
      const code = error instanceof RecognitionError ? error.code : RecognitionErrorCode.Internal;
      if (code === RecognitionErrorCode.Busy) {
        this.drop();
        return;
      }
      if (code === RecognitionErrorCode.Internal) this.logger.log('error', 'recognition-failed', { session: this.id, message: (error as Error).message });
      this.send({
        type: 'error',
        code: code === RecognitionErrorCode.Internal ? ErrorCode.Internal : (code as ErrorCode),
        message: (error as Error).message,
        frame: next.frame,
      });
    }
  }

  idle(): Promise<void> {
    return this.reader.idle();
  }

  dispose(): void {
    this.reader.stop();
    this.waiting = null;
  }
}
