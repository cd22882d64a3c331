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

  override close(code?: number, reason?: string | Buffer): void {
    super.close(code, reason === undefined || reason.length === 0 ? (code !== undefined ? LIBRARY_CLOSES[code] : undefined) : reason);
  }

  /** Whether more may be sent: false once the client has left outboxMaxBytes unread (the caller then closes). */
  get reading(): boolean {
    return this.bufferedAmount <= this.outboxMaxBytes;
  }
}
