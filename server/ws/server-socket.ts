/**
 * The server's WebSocket: ws closes some connections itself (a message over maxPayload, a broken
 * frame, text that is not UTF-8) with a code and no reason; this fills in the protocol's reason so
 * that every close the server makes says why. It also bounds what waits to be sent to a client.
 */
import { WebSocket } from 'ws';
import { CloseReason } from '../../shared/protocol.js';

const LIBRARY_CLOSES: Record<number, string> = {
  [CloseReason.ProtocolError.code]: CloseReason.ProtocolError.reason,
  [CloseReason.InvalidPayload.code]: CloseReason.InvalidPayload.reason,
  [CloseReason.TooBig.code]: CloseReason.TooBig.reason,
};

export class ServerSocket extends WebSocket {
  /** Bytes that may wait to be sent before the client counts as not reading; set when the connection is accepted. */
  outboxMaxBytes = Number.POSITIVE_INFINITY;
  /** Why the server ended the connection, if it did: one of a fixed set of reasons, for logs and metrics. */
  endedBy: string | undefined;

  override close(code?: number, reason?: string | Buffer): void {
    if ((reason === undefined || reason.length === 0) && code !== undefined && LIBRARY_CLOSES[code]) {
      this.endedBy ??= LIBRARY_CLOSES[code];
      super.close(code, LIBRARY_CLOSES[code]);
      return;
    }
    super.close(code, reason);
  }

  /** Closes for a reason of the server's own. */
  closeFor(why: { code: number; reason: string }): void {
    this.endedBy ??= why.reason;
    this.close(why.code, why.reason);
  }

  /** Ends a connection that can no longer take a close frame (its peer stopped answering). */
  drop(why: string): void {
    this.endedBy ??= why;
    this.terminate();
  }

  /** Whether more may be sent: false once the client has left outboxMaxBytes unread (the caller then closes). */
  get reading(): boolean {
    return this.bufferedAmount <= this.outboxMaxBytes;
  }

  /**
   * Whether the client reads slower than it is sent to: predictions then wait (the newest is sent
   * once it catches up), leaving room below the bound for the replies that cannot wait.
   */
  get congested(): boolean {
    return this.bufferedAmount > this.outboxMaxBytes / 4;
  }
}
