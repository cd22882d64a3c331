/**
 * Sends a server message on a session's socket, counting predictions and errors for /metrics. A
 * client that has stopped reading gets nothing more: its connection is closed (not-reading), so
 * what waits for it never grows past the socket's outbox bound, error replies included.
 */
import { CloseReason, type ServerMessage } from '../../shared/protocol.js';
import type { Metrics, Mode } from '../metrics.js';
import type { ServerSocket } from './server-socket.js';

export function sendMessage(socket: ServerSocket, message: ServerMessage, metrics: Metrics, mode: Mode): void {
  if (socket.readyState !== socket.OPEN) return;
  if (!socket.reading) {
    socket.closeFor(CloseReason.NotReading);
    return;
  }
  if (message.type === 'error') metrics.errors.inc({ code: message.code });
  else if (message.type === 'prediction') metrics.predictions.inc({ mode });
  socket.send(JSON.stringify(message));
}
