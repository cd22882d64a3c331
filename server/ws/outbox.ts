/** Sends a server message on a session's socket, counting predictions and errors for /metrics. */
import type { WebSocket } from 'ws';
import type { ServerMessage } from '../../shared/protocol.js';
import type { Metrics, Mode } from '../metrics.js';

export function sendMessage(socket: WebSocket, message: ServerMessage, metrics: Metrics, mode: Mode): void {
  if (socket.readyState !== socket.OPEN) return;
  if (message.type === 'error') metrics.errors.inc({ code: message.code });
  else if (message.type === 'prediction') metrics.predictions.inc({ mode });
  socket.send(JSON.stringify(message));
}
