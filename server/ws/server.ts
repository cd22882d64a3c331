/**
 * WebSocket sessions on /ws: the upgrade, the hello handshake, limits (sessions per server,
 * message size, message rate), heartbeats and idle timeouts, and a graceful close.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { CloseReason, decodeFrame, ErrorCode, parseClientMessage, PROTOCOL_VERSION, type ServerMessage } from '../../shared/protocol.js';
import type { ServerConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { sendMessage } from './outbox.js';
import type { RecognitionPool } from '../recognition/pool.js';
import { CameraSession } from './camera-session.js';
import { CanvasSession, newCanvasState, type CanvasState } from './canvas-session.js';

export const WS_PATH = '/ws';

interface Connection {
  socket: WebSocket;
  id: string;
  session?: CanvasSession | CameraSession;
  /** The token that resumes this connection's canvas after it drops. */
  resumeToken?: string;
  alive: boolean;
  lastMessage: number;
  /** Token bucket for the message rate. */
  tokens: number;
  refilled: number;
  lastRateError: number;
  helloTimer: NodeJS.Timeout;
}

export interface WebSocketService {
  readonly sessions: number;
  /** Ends every connection at once, as a network failure would; canvases stay resumable. */
  dropAll(): void;
  /** Stops taking connections, lets readings in flight finish, closes every session with 1001. */
  close(): Promise<void>;
}

export function attachWebSockets(http: Server, pool: RecognitionPool, config: ServerConfig, logger: Logger, metrics: Metrics): WebSocketService {
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.wsMaxMessageBytes });
  const connections = new Set<Connection>();
  /** Canvases of dropped connections, by resume token, kept for config.resumeGraceMs. */
  const parked = new Map<string, { id: string; state: CanvasState; timer: NodeJS.Timeout }>();
  let closing = false;

  /**
   * The canvas a resume token names: parked after its connection dropped, or still held by a
   * connection the server has not yet seen drop (clients notice first), which is then ended.
   */
  function takeOver(token: string): { id: string; state: CanvasState } | undefined {
    const waiting = parked.get(token);
    if (waiting) {
      clearTimeout(waiting.timer);
      parked.delete(token);
      return waiting;
    }
    for (const other of connections) {
      if (other.resumeToken === token && other.session instanceof CanvasSession) {
        other.resumeToken = undefined;
        other.socket.terminate();
        return { id: other.id, state: other.session.state };
      }
    }
    return undefined;
  }

  function park(connection: Connection): void {
    if (!(connection.session instanceof CanvasSession) || !connection.resumeToken || closing) return;
    if (parked.size >= config.maxSessions) {
      const [oldest, entry] = parked.entries().next().value as [string, { timer: NodeJS.Timeout }];
      clearTimeout(entry.timer);
      parked.delete(oldest);
    }
    const token = connection.resumeToken;
    const timer = setTimeout(() => parked.delete(token), config.resumeGraceMs);
    timer.unref();
    parked.set(token, { id: connection.id, state: connection.session.state, timer });
  }

  const send = (socket: WebSocket, message: ServerMessage) => sendMessage(socket, message, metrics, 'canvas');
  const error = (connection: Connection, code: ErrorCode, message: string, seq?: number) =>
    send(connection.socket, { type: 'error', code, message, ...(seq !== undefined ? { seq } : {}) });

  function withinRate(connection: Connection): boolean {
    const now = Date.now();
    connection.tokens = Math.min(config.messagesPerSecond, connection.tokens + ((now - connection.refilled) * config.messagesPerSecond) / 1000);
    connection.refilled = now;
    if (connection.tokens >= 1) {
      connection.tokens -= 1;
      return true;
    }
    if (now - connection.lastRateError > 1000) {
      connection.lastRateError = now;
      error(connection, ErrorCode.RateLimited, `more than ${config.messagesPerSecond} messages a second: messages are being dropped`);
    }
    return false;
  }

  function onMessage(connection: Connection, data: RawData, isBinary: boolean): void {
    connection.lastMessage = Date.now();
    if (isBinary) {
      metrics.messages.inc({ type: 'frame' });
      // Camera frames have their own rate limit (frames per second) inside the camera session.
      if (!(connection.session instanceof CameraSession)) {
        if (withinRate(connection)) error(connection, ErrorCode.Unsupported, connection.session ? 'binary messages are camera frames: say hello in camera mode to send them' : 'say hello first');
        return;
      }
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      const frame = decodeFrame(bytes);
      if (!frame) {
        error(connection, ErrorCode.BadFrame, 'a frame is 4 bytes of frame number and then the image');
        return;
      }
      connection.session.frame(frame.frame, frame.image);
      return;
    }
    if (!withinRate(connection)) return;
    const parsed = parseClientMessage(data.toString());
    metrics.messages.inc({ type: parsed.ok ? parsed.message.type : 'invalid' });
    if (!parsed.ok) {
      error(connection, parsed.code, parsed.message, parsed.seq);
      return;
    }
    const message = parsed.message;
    if (message.type === 'hello') {
      if (connection.session) {
        error(connection, ErrorCode.HelloFirst, 'hello was already said on this connection', message.seq);
        return;
      }
      if (message.version !== PROTOCOL_VERSION) {
        error(connection, ErrorCode.WrongVersion, `this server speaks protocol version ${PROTOCOL_VERSION}, not ${message.version}`, message.seq);
        connection.socket.close(CloseReason.WrongVersion.code, CloseReason.WrongVersion.reason);
        return;
      }
      if (message.mode === 'canvas' && !message.canvas) {
        error(connection, ErrorCode.Invalid, 'canvas mode needs the canvas size: hello.canvas = {width, height}', message.seq);
        return;
      }
      clearTimeout(connection.helloTimer);
      const resumable = message.mode === 'canvas' && message.resume !== undefined ? takeOver(message.resume) : undefined;
      if (resumable) connection.id = resumable.id;
      connection.resumeToken = randomBytes(16).toString('hex');
      const limits = { maxStrokes: config.maxStrokes, maxPointsPerStroke: config.maxPointsPerStroke, maxHistory: 200 };
      connection.session = message.mode === 'camera'
        ? new CameraSession(connection.socket, pool, config.cameraFpsMax, logger, metrics, connection.id)
        : new CanvasSession(connection.socket, pool, resumable?.state ?? newCanvasState(message.canvas!, limits), logger, metrics, connection.id, config.liveReadMs);
      metrics.sessions.inc({ mode: message.mode });
      const ack = connection.session instanceof CanvasSession ? connection.session.state.lastSeq : undefined;
      send(connection.socket, {
        type: 'ready', version: PROTOCOL_VERSION, session: connection.id, resumeToken: connection.resumeToken, resumed: Boolean(resumable),
        ...(ack !== undefined ? { ack } : {}),
        limits: { maxStrokes: config.maxStrokes, maxPointsPerStroke: config.maxPointsPerStroke, maxMessageBytes: config.wsMaxMessageBytes },
      });
      if (resumable && connection.session instanceof CanvasSession) connection.session.refresh();
      logger.log('info', 'session-start', { session: connection.id, mode: message.mode, canvas: message.canvas, resumed: Boolean(resumable) });
      return;
    }
    if (!connection.session) {
      error(connection, ErrorCode.HelloFirst, 'say hello first: {"type": "hello", "version": 1, "mode": "canvas", "canvas": {...}}', message.seq);
      return;
    }
    if (connection.session instanceof CameraSession) {
      error(connection, ErrorCode.Unsupported, `${message.type} has no meaning in camera mode`, message.seq);
      return;
    }
    connection.session.handle(message);
  }

  function onConnection(socket: WebSocket, request: IncomingMessage): void {
    if (closing) {
      socket.close(CloseReason.GoingAway.code, CloseReason.GoingAway.reason);
      return;
    }
    if (connections.size >= config.maxSessions) {
      socket.close(CloseReason.ServerFull.code, CloseReason.ServerFull.reason);
      logger.log('warn', 'session-refused', { reason: 'server-full', sessions: connections.size });
      return;
    }
    const connection: Connection = {
      socket, id: randomUUID(), alive: true, lastMessage: Date.now(), tokens: config.messagesPerSecond, refilled: Date.now(), lastRateError: 0,
      helloTimer: setTimeout(() => socket.close(CloseReason.HelloTimeout.code, CloseReason.HelloTimeout.reason), config.helloTimeoutMs),
    };
    connections.add(connection);
    socket.on('message', (data, isBinary) => {
      try {
        onMessage(connection, data, isBinary);
      } catch (failure) {
        // A fault in one session ends that session only.
        logger.log('error', 'session-fault', { session: connection.id, message: (failure as Error).message });
        socket.close(CloseReason.Internal.code, CloseReason.Internal.reason);
      }
    });
    socket.on('pong', () => {
      connection.alive = true;
    });
    socket.on('error', (failure: Error & { code?: string }) => {
      // ws closes with 1009 itself when a message is over maxPayload.
      logger.log('warn', 'socket-error', { session: connection.id, code: failure.code, message: failure.message });
    });
    socket.on('close', (code) => {
      clearTimeout(connection.helloTimer);
      if (connection.session) metrics.sessions.dec({ mode: connection.session instanceof CameraSession ? 'camera' : 'canvas' });
      connection.session?.dispose();
      park(connection);
      connections.delete(connection);
      logger.log('info', 'session-end', { session: connection.id, code, remote: request.socket.remoteAddress });
    });
  }

  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== WS_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, request));
  });

  const heartbeat = setInterval(() => {
    const now = Date.now();
    for (const connection of connections) {
      if (!connection.alive) {
        connection.socket.terminate();
        continue;
      }
      if (now - connection.lastMessage > config.idleTimeoutMs) {
        connection.socket.close(CloseReason.IdleTimeout.code, CloseReason.IdleTimeout.reason);
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }, config.heartbeatMs);
  heartbeat.unref();

  return {
    get sessions() {
      return connections.size;
    },
    dropAll() {
      for (const connection of connections) connection.socket.terminate();
    },
    async close() {
      closing = true;
      for (const { timer } of parked.values()) clearTimeout(timer);
      parked.clear();
      clearInterval(heartbeat);
      await Promise.all([...connections].map(async (connection) => {
        await connection.session?.idle();
        connection.socket.close(CloseReason.GoingAway.code, CloseReason.GoingAway.reason);
      }));
      wss.close();
    },
  };
}
