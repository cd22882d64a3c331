/**
 * WebSocket sessions on /ws: the upgrade (path and origin checked), the hello handshake, limits
 * (sessions per server and per address, message size, message and ping rate, unread replies),
 * heartbeats and idle timeouts, and a graceful close. Every close the server makes carries a code
 * and reason from CloseReason and is logged.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData } from 'ws';
import { CloseReason, decodeFrame, ErrorCode, parseClientMessage, PROTOCOL_VERSION, type ServerMessage } from '../../shared/protocol.js';
import type { ServerConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { requestPath } from '../http/request-target.js';
import { originAllowed } from '../http/security.js';
import { sendMessage } from './outbox.js';
import type { RecognitionPool } from '../recognition/pool.js';
import { ServerSocket } from './server-socket.js';
import { CameraSession } from './camera-session.js';
import { CanvasSession, newCanvasState, type CanvasState } from './canvas-session.js';
import { StrokeBoard } from '../../shared/stroke-board.js';
import { CanvasStore } from '../store/canvas-store.js';

export const WS_PATH = '/ws';

interface Connection {
  socket: ServerSocket;
  id: string;
  address: string;
  session?: CanvasSession | CameraSession;
  /** The token that resumes this connection's canvas after it drops. */
  resumeToken?: string;
  /** The payload of the last heartbeat ping, until its pong comes back; only that pong proves the client alive. */
  awaitingPong: Buffer | null;
  lastMessage: number;
  /** Token bucket for the message rate (pings included). */
  tokens: number;
  refilled: number;
  lastRateError: number;
  /** Messages dropped over the rate in the current second, and when that second began. */
  droppedInWindow: number;
  windowStart: number;
  helloTimer: NodeJS.Timeout;
}

/** Messages over the rate within one second, as a multiple of the rate, past which the connection is closed as a flood. */
const FLOOD_FACTOR = 4;

export interface WebSocketService {
  readonly sessions: number;
  /** Ends every connection at once, as a network failure would; canvases stay resumable. */
  dropAll(): void;
  /** Stops taking connections, lets readings in flight finish, closes every session with 1001. */
  close(): Promise<void>;
}

export function attachWebSockets(http: Server, pool: RecognitionPool, config: ServerConfig, logger: Logger, metrics: Metrics): WebSocketService {
  // Pings are answered by hand (autoPong off) so that they count against the message rate: ws
  // would answer a ping burst from a client that never reads until it gave up without a reason.
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.wsMaxMessageBytes, autoPong: false, WebSocket: ServerSocket });
  const connections = new Set<Connection>();
  /** Open connections per client address. */
  const perAddress = new Map<string, number>();
  /** Canvases of dropped connections, by resume token, kept for config.resumeGraceMs. */
  const parked = new Map<string, { id: string; state: CanvasState; timer: NodeJS.Timeout }>();
  let closing = false;
  const limits = {
    maxStrokes: config.maxStrokes,
    maxPointsPerStroke: config.maxPointsPerStroke,
    maxPointsPerCanvas: config.maxPointsPerCanvas,
    maxHistory: 200,
  };
  /** Canvases saved on disk, resumable after a restart; none when CANVAS_STORE is empty. */
  const store = config.canvasStorePath
    ? new CanvasStore({ path: config.canvasStorePath, keepMs: config.canvasStoreKeepMs, maxCanvases: config.canvasStoreMax })
    : null;
  let storeOpen = store !== null;
  /** Saves pending a moment after a change, per connection. */
  const saveTimers = new Map<Connection, NodeJS.Timeout>();
  /** A changed canvas is saved this long after its change (changes meanwhile go in the same save). */
  const SAVE_AFTER_MS = 500;

  /** Saves a connection's canvas under its resume token; a failure is logged and the session goes on. */
  function save(connection: Connection): void {
    clearTimeout(saveTimers.get(connection));
    saveTimers.delete(connection);
    if (!store || !storeOpen || !(connection.session instanceof CanvasSession) || !connection.resumeToken) return;
    const { board, lastSeq } = connection.session.state;
    try {
      store.save(connection.resumeToken, { session: connection.id, width: board.width, height: board.height, lastSeq, strokes: board.exportStrokes() });
    } catch (failure) {
      logger.log('error', 'canvas-save-failed', { session: connection.id, message: (failure as Error)?.message });
    }
  }

  function saveSoon(connection: Connection): void {
    if (!store || saveTimers.has(connection)) return;
    const timer = setTimeout(() => save(connection), SAVE_AFTER_MS);
    timer.unref();
    saveTimers.set(connection, timer);
  }

  /** A canvas saved before a restart, as a session's state. */
  function restore(token: string): { id: string; state: CanvasState } | undefined {
    try {
      const saved = store?.load(token);
      if (!saved) return undefined;
      return {
        id: saved.session,
        state: { board: StrokeBoard.fromStrokes(saved.width, saved.height, limits, saved.strokes), lastSeq: saved.lastSeq, predictions: 0 },
      };
    } catch (failure) {
      logger.log('error', 'canvas-restore-failed', { message: (failure as Error)?.message });
      return undefined;
    }
  }

  /**
   * The canvas a resume token names: parked after its connection dropped, or still held by a
   * connection the server has not yet seen drop (clients notice first), which is then ended.
   */
  function takeOver(token: string): { id: string; state: CanvasState } | undefined {
    const waiting = parked.get(token);
    if (waiting) {
      clearTimeout(waiting.timer);
      parked.delete(token);
      metrics.resumes.inc({ from: 'parked' });
      return waiting;
    }
    for (const other of connections) {
      if (other.resumeToken === token && other.session instanceof CanvasSession) {
        other.resumeToken = undefined;
        other.socket.drop('resumed-elsewhere');
        metrics.resumes.inc({ from: 'live' });
        return { id: other.id, state: other.session.state };
      }
    }
    // Not in this process: saved before a restart.
    const saved = restore(token);
    if (saved) metrics.resumes.inc({ from: 'store' });
    return saved;
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

  /** Closes a connection for a reason of the server's own, and says so in the log. */
  function closeFor(connection: Connection, why: { code: number; reason: string }, fields: Record<string, unknown> = {}): void {
    // Once: a flood goes on arriving while the close handshake runs, and must not flood the log too.
    if (connection.socket.readyState !== connection.socket.OPEN) return;
    logger.log('warn', 'session-closed', { session: connection.id, remote: connection.address, code: why.code, reason: why.reason, ...fields });
    connection.socket.closeFor(why);
  }

  const send = (socket: ServerSocket, message: ServerMessage) => sendMessage(socket, message, metrics, 'canvas');
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
    if (now - connection.windowStart >= 1000) {
      connection.windowStart = now;
      connection.droppedInWindow = 0;
    }
    if (++connection.droppedInWindow > FLOOD_FACTOR * config.messagesPerSecond) {
      closeFor(connection, CloseReason.Flooding, { perSecond: config.messagesPerSecond });
      return false;
    }
    if (now - connection.lastRateError > 1000) {
      connection.lastRateError = now;
      const resendFrom = connection.session instanceof CanvasSession ? connection.session.resendFrom : undefined;
      send(connection.socket, {
        type: 'error',
        code: ErrorCode.RateLimited,
        message: `more than ${config.messagesPerSecond} messages a second: messages are being dropped${resendFrom !== undefined ? `; resend from ${resendFrom}` : ''}`,
        ...(resendFrom !== undefined ? { resendFrom } : {}),
      });
    }
    return false;
  }

  function onMessage(connection: Connection, data: RawData, isBinary: boolean): void {
    connection.lastMessage = Date.now();
    if (isBinary) {
      metrics.messages.inc({ type: 'frame' });
      // Camera frames have their own rate limit (frames per second) inside the camera session.
      if (!(connection.session instanceof CameraSession)) {
        if (withinRate(connection))
          error(
            connection,
            ErrorCode.Unsupported,
            connection.session ? 'binary messages are camera frames: say hello in camera mode to send them' : 'say hello first',
          );
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
      if (parsed.seq !== undefined && connection.session instanceof CanvasSession) connection.session.refused(parsed.seq);
      return;
    }
    const message = parsed.message;
    if (message.type === 'hello') {
      if (connection.session) {
        error(connection, ErrorCode.HelloFirst, 'hello was already said on this connection', message.seq);
        if (message.seq !== undefined && connection.session instanceof CanvasSession) connection.session.refused(message.seq);
        return;
      }
      if (message.version !== PROTOCOL_VERSION) {
        error(connection, ErrorCode.WrongVersion, `this server speaks protocol version ${PROTOCOL_VERSION}, not ${message.version}`, message.seq);
        closeFor(connection, CloseReason.WrongVersion, { version: message.version });
        return;
      }
      if (message.mode === 'canvas' && !message.canvas) {
        error(connection, ErrorCode.Invalid, 'canvas mode needs the canvas size: hello.canvas = {width, height}', message.seq);
        return;
      }
      clearTimeout(connection.helloTimer);
      const resumable = message.mode === 'canvas' && message.resume !== undefined ? takeOver(message.resume) : undefined;
      if (resumable) connection.id = resumable.id;
      // A token resumes once: the canvas goes on under the new one (saved under it a moment later).
      if (resumable && message.resume !== undefined) store?.remove(message.resume);
      connection.resumeToken = randomBytes(16).toString('hex');
      connection.session =
        message.mode === 'camera'
          ? new CameraSession(connection.socket, pool, config.cameraFpsMax, logger, metrics, connection.id)
          : new CanvasSession(
              connection.socket,
              pool,
              resumable?.state ?? newCanvasState(message.canvas!, limits, message.firstSeq),
              logger,
              metrics,
              connection.id,
              { liveReadMs: config.liveReadMs, pauseReadMs: config.pauseReadMs },
              () => saveSoon(connection),
            );
      if (resumable) saveSoon(connection);
      metrics.sessions.inc({ mode: message.mode });
      const ack = connection.session instanceof CanvasSession ? connection.session.state.lastSeq : undefined;
      send(connection.socket, {
        type: 'ready',
        version: PROTOCOL_VERSION,
        session: connection.id,
        resumeToken: connection.resumeToken,
        resumed: Boolean(resumable),
        ...(ack !== undefined ? { ack } : {}),
        limits: {
          maxStrokes: config.maxStrokes,
          maxPointsPerStroke: config.maxPointsPerStroke,
          maxPointsPerCanvas: config.maxPointsPerCanvas,
          maxMessageBytes: config.wsMaxMessageBytes,
          messagesPerSecond: config.messagesPerSecond,
        },
      });
      // A numbered hello takes its place in the order of numbered messages, like any other.
      if (message.seq !== undefined && connection.session instanceof CanvasSession) connection.session.refused(message.seq);
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

  function onConnection(socket: ServerSocket, request: IncomingMessage): void {
    const address = request.socket.remoteAddress ?? 'unknown';
    const refuse = (why: { code: number; reason: string }, fields: Record<string, unknown>) => {
      logger.log('warn', 'session-refused', { remote: address, code: why.code, reason: why.reason, ...fields });
      metrics.closes.inc({ reason: why.reason });
      socket.closeFor(why);
    };
    if (closing) {
      refuse(CloseReason.GoingAway, {});
      return;
    }
    if (connections.size >= config.maxSessions) {
      refuse(CloseReason.ServerFull, { sessions: connections.size });
      return;
    }
    const fromAddress = perAddress.get(address) ?? 0;
    if (fromAddress >= config.sessionsPerAddressMax) {
      refuse(CloseReason.AddressFull, { fromAddress });
      return;
    }
    perAddress.set(address, fromAddress + 1);
    socket.outboxMaxBytes = config.outboxMaxBytes;
    const now = Date.now();
    const connection: Connection = {
      socket,
      id: randomUUID(),
      address,
      awaitingPong: null,
      lastMessage: now,
      tokens: config.messagesPerSecond,
      refilled: now,
      lastRateError: 0,
      droppedInWindow: 0,
      windowStart: now,
      helloTimer: setTimeout(() => closeFor(connection, CloseReason.HelloTimeout), config.helloTimeoutMs),
    };
    connections.add(connection);
    socket.on('message', (data, isBinary) => {
      try {
        onMessage(connection, data, isBinary);
      } catch (failure) {
        // A fault in one session ends that session only.
        closeFor(connection, CloseReason.Internal, { message: (failure as Error)?.message });
      }
    });
    socket.on('ping', (data) => {
      connection.lastMessage = Date.now();
      if (withinRate(connection) && socket.reading) socket.pong(data);
    });
    socket.on('pong', (data) => {
      // Only the answer to our own ping counts: unsolicited pongs prove nothing.
      if (connection.awaitingPong && data.equals(connection.awaitingPong)) connection.awaitingPong = null;
    });
    socket.on('error', (failure: Error & { code?: string }) => {
      // ws closes with 1009 itself when a message is over maxPayload.
      logger.log('warn', 'socket-error', { session: connection.id, code: failure.code, message: failure.message });
    });
    socket.on('close', (code, reason) => {
      clearTimeout(connection.helloTimer);
      if (connection.session) metrics.sessions.dec({ mode: connection.session instanceof CameraSession ? 'camera' : 'canvas' });
      connection.session?.dispose();
      save(connection);
      park(connection);
      connections.delete(connection);
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
      // The client's own reason is logged, never used as a metric label (that would let clients mint series).
      const why = socket.endedBy ?? (code === 1006 ? 'connection-lost' : 'client-closed');
      metrics.closes.inc({ reason: why });
      logger.log('info', 'session-end', { session: connection.id, code, reason: reason.toString().slice(0, 123), endedBy: why, remote: address });
    });
  }

  /** Answers an upgrade that is refused with a plain HTTP response, and ends the socket. */
  function refuseUpgrade(socket: Duplex, status: string, request: IncomingMessage, why: string): void {
    logger.log('warn', 'upgrade-refused', {
      status,
      why,
      target: request.url?.slice(0, 200),
      origin: request.headers.origin,
      remote: request.socket.remoteAddress,
    });
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  }

  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      const path = requestPath(request.url);
      if (path === null) refuseUpgrade(socket, '400 Bad Request', request, 'bad-request-target');
      else if (path !== WS_PATH) refuseUpgrade(socket, '404 Not Found', request, 'not-found');
      else if (!originAllowed(request, config)) refuseUpgrade(socket, '403 Forbidden', request, 'origin-not-allowed');
      else wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, request));
    } catch (failure) {
      logger.log('error', 'upgrade-fault', { target: request.url?.slice(0, 200), message: (failure as Error)?.message });
      socket.destroy();
    }
  });

  const heartbeat = setInterval(() => {
    const now = Date.now();
    for (const connection of connections) {
      if (connection.awaitingPong) {
        // No close frame can reach a peer that does not answer pings.
        logger.log('info', 'heartbeat-missed', { session: connection.id, remote: connection.address });
        connection.socket.drop('heartbeat-missed');
        continue;
      }
      if (now - connection.lastMessage > config.idleTimeoutMs) {
        closeFor(connection, CloseReason.IdleTimeout);
        continue;
      }
      connection.awaitingPong = randomBytes(8);
      connection.socket.ping(connection.awaitingPong);
    }
  }, config.heartbeatMs);
  heartbeat.unref();

  return {
    get sessions() {
      return connections.size;
    },
    dropAll() {
      for (const connection of connections) connection.socket.drop('dropped-by-server');
    },
    async close() {
      closing = true;
      for (const { timer } of parked.values()) clearTimeout(timer);
      parked.clear();
      clearInterval(heartbeat);
      await Promise.all(
        [...connections].map(async (connection) => {
          await connection.session?.idle();
          save(connection);
          connection.socket.closeFor(CloseReason.GoingAway);
        }),
      );
      wss.close();
      for (const timer of saveTimers.values()) clearTimeout(timer);
      storeOpen = false;
      store?.close();
    },
  };
}
