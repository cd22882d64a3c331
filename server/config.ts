/**
 * Server settings: one documented defaults object, overridden by environment variables. Every
 * limit the server enforces is here.
 */
import { availableParallelism } from 'node:os';
import { DEFAULT_MODEL_DIR, DEFAULT_PEN_MODEL_DIR } from './recognition/classifier.js';

export interface ServerConfig {
  /** PORT: TCP port to listen on. */
  port: number;
  /** HOST: interface to listen on. */
  host: string;
  /** DIGIT_STREAM_MODEL: model folder (camera frames and uploads). */
  modelDir: string;
  /** DIGIT_STREAM_PEN_MODEL: model folder for pen strokes. */
  penModelDir: string;
  /** CLIENT_DIR: the built web client (npm run build) served at /. */
  clientDir: string;
  /** WORKERS: recognition worker threads. */
  workers: number;
  /** QUEUE_LIMIT: recognition tasks that may wait for a worker before new ones are refused (503). */
  queueLimit: number;
  /** METRICS_PORT: port of the Prometheus /metrics endpoint, apart from the app's port (0: any free port). */
  metricsPort: number;
  /** METRICS_HOST: interface /metrics listens on; loopback by default, so only this machine scrapes it. */
  metricsHost: string;
  /**
   * ALLOWED_ORIGINS: comma-separated origins (`https://example.org`) whose pages may open sessions
   * and post uploads, besides the page's own origin; `*` allows any. Requests with no Origin header
   * (scripts, k6, curl) are always allowed: the check guards people's browsers against other sites.
   */
  allowedOrigins: string;
  /** HSTS_MAX_AGE: seconds of Strict-Transport-Security to send when serving behind TLS; 0 sends none. */
  hstsMaxAge: number;
  /** WORKERS_PEN: worker threads that read only pen strokes, so image work never delays a pen reading (0: pen readings share the image workers). */
  penWorkers: number;
  /** UPLOAD_MAX_FILES: images in one POST /api/recognize. */
  uploadMaxFiles: number;
  /** UPLOAD_MAX_FILE_BYTES: size of one uploaded image. */
  uploadMaxFileBytes: number;
  /** UPLOAD_MAX_REQUEST_BYTES: one POST /api/recognize, all its files together. */
  uploadMaxRequestBytes: number;
  /** UPLOADS_MAX: upload requests read at once; more get 503 `busy`. */
  uploadsMax: number;
  /** UPLOADS_PER_ADDRESS_MAX: upload requests read at once from one client address; more get 429. */
  uploadsPerAddressMax: number;
  /** UPLOAD_TIMEOUT_MS: time an upload's body has to arrive in full; slower ones get 408. */
  uploadTimeoutMs: number;
  /** IMAGE_MAX_PIXELS: uploaded images with more pixels are refused before decoding. */
  imageMaxPixels: number;
  /** CAMERA_MAX_PIXELS: camera frames with more pixels are refused before decoding. */
  cameraMaxPixels: number;
  /** SESSIONS_MAX: WebSocket sessions at once; more are closed with 1013 (try later). */
  maxSessions: number;
  /** SESSIONS_PER_ADDRESS_MAX: WebSocket connections at once from one client address; more are closed with 1013. */
  sessionsPerAddressMax: number;
  /** WS_MAX_MESSAGE_BYTES: one WebSocket message; larger ones close the connection with 1009. */
  wsMaxMessageBytes: number;
  /** CAMERA_FPS_MAX: camera frames taken from one session per second; more are dropped. */
  cameraFpsMax: number;
  /** STROKES_MAX: strokes on one canvas. */
  maxStrokes: number;
  /** STROKE_POINTS_MAX: points in one stroke. */
  maxPointsPerStroke: number;
  /** CANVAS_POINTS_MAX: points one canvas holds in all, its undo history included. */
  maxPointsPerCanvas: number;
  /** WS_OUTBOX_MAX_BYTES: bytes waiting to be sent to a client that does not read; past it the connection is closed. */
  outboxMaxBytes: number;
  /** MESSAGES_PER_SECOND: messages read from one session per second; more get `rate-limited`. */
  messagesPerSecond: number;
  /**
   * LIVE_READ_MS: while the pen moves, a canvas is read at most this often, and only when a worker
   * is free; a stroke end, undo, redo, erase or clear is read at once, queueing if need be.
   */
  liveReadMs: number;
  /**
   * PAUSE_READ_MS: a canvas is read again once the pen has rested this long, when that reading
   * would differ: what only the whole number tells (a date's form) waits for a pause, so that a
   * number half written never shows the date it is not.
   */
  pauseReadMs: number;
  /** HELLO_TIMEOUT_MS: time a new connection has to say hello. */
  helloTimeoutMs: number;
  /** IDLE_TIMEOUT_MS: a session with no message for this long is closed. */
  idleTimeoutMs: number;
  /** HEARTBEAT_MS: ping interval; a connection that missed the last pong is dropped. */
  heartbeatMs: number;
  /** RESUME_GRACE_MS: how long the canvas of a dropped connection is kept in memory for it to resume. */
  resumeGraceMs: number;
  /**
   * CANVAS_STORE: the SQLite file where canvases are saved so they can be resumed after a restart
   * (':memory:' keeps them in this process only).
   */
  canvasStorePath: string;
  /** CANVAS_STORE_KEEP_MS: a saved canvas can be resumed this long after it was last saved. */
  canvasStoreKeepMs: number;
  /** CANVAS_STORE_MAX: canvases saved at most; the least recently saved are forgotten first. */
  canvasStoreMax: number;
}

export const DEFAULT_CONFIG: ServerConfig = {
  port: 8080,
  host: '0.0.0.0',
  modelDir: DEFAULT_MODEL_DIR,
  penModelDir: DEFAULT_PEN_MODEL_DIR,
  clientDir: 'dist/client',
  workers: Math.max(1, availableParallelism()),
  penWorkers: 1,
  queueLimit: 64,
  metricsPort: 9464,
  metricsHost: '127.0.0.1',
  allowedOrigins: '',
  hstsMaxAge: 0,
  uploadMaxFiles: 20,
  uploadMaxFileBytes: 20 * 1024 * 1024,
  uploadMaxRequestBytes: 50 * 1024 * 1024,
  uploadsMax: 8,
  uploadsPerAddressMax: 2,
  uploadTimeoutMs: 60_000,
  imageMaxPixels: 24_000_000,
  cameraMaxPixels: 2_100_000,
  maxSessions: 500,
  sessionsPerAddressMax: 32,
  wsMaxMessageBytes: 1024 * 1024,
  cameraFpsMax: 30,
  maxStrokes: 500,
  maxPointsPerStroke: 4000,
  maxPointsPerCanvas: 40_000,
  outboxMaxBytes: 1024 * 1024,
  messagesPerSecond: 240,
  liveReadMs: 100,
  pauseReadMs: 600,
  helloTimeoutMs: 10_000,
  idleTimeoutMs: 15 * 60_000,
  heartbeatMs: 30_000,
  resumeGraceMs: 120_000,
  canvasStorePath: 'data/canvases.sqlite',
  canvasStoreKeepMs: 24 * 3600_000,
  canvasStoreMax: 5000,
};

const ENVIRONMENT: Record<keyof ServerConfig, string> = {
  port: 'PORT',
  host: 'HOST',
  modelDir: 'DIGIT_STREAM_MODEL',
  penModelDir: 'DIGIT_STREAM_PEN_MODEL',
  clientDir: 'CLIENT_DIR',
  workers: 'WORKERS',
  penWorkers: 'WORKERS_PEN',
  queueLimit: 'QUEUE_LIMIT',
  metricsPort: 'METRICS_PORT',
  metricsHost: 'METRICS_HOST',
  allowedOrigins: 'ALLOWED_ORIGINS',
  hstsMaxAge: 'HSTS_MAX_AGE',
  uploadMaxFiles: 'UPLOAD_MAX_FILES',
  uploadMaxFileBytes: 'UPLOAD_MAX_FILE_BYTES',
  uploadMaxRequestBytes: 'UPLOAD_MAX_REQUEST_BYTES',
  uploadsMax: 'UPLOADS_MAX',
  uploadsPerAddressMax: 'UPLOADS_PER_ADDRESS_MAX',
  uploadTimeoutMs: 'UPLOAD_TIMEOUT_MS',
  imageMaxPixels: 'IMAGE_MAX_PIXELS',
  cameraMaxPixels: 'CAMERA_MAX_PIXELS',
  maxSessions: 'SESSIONS_MAX',
  sessionsPerAddressMax: 'SESSIONS_PER_ADDRESS_MAX',
  wsMaxMessageBytes: 'WS_MAX_MESSAGE_BYTES',
  cameraFpsMax: 'CAMERA_FPS_MAX',
  maxStrokes: 'STROKES_MAX',
  maxPointsPerStroke: 'STROKE_POINTS_MAX',
  maxPointsPerCanvas: 'CANVAS_POINTS_MAX',
  outboxMaxBytes: 'WS_OUTBOX_MAX_BYTES',
  messagesPerSecond: 'MESSAGES_PER_SECOND',
  liveReadMs: 'LIVE_READ_MS',
  pauseReadMs: 'PAUSE_READ_MS',
  helloTimeoutMs: 'HELLO_TIMEOUT_MS',
  idleTimeoutMs: 'IDLE_TIMEOUT_MS',
  heartbeatMs: 'HEARTBEAT_MS',
  resumeGraceMs: 'RESUME_GRACE_MS',
  canvasStorePath: 'CANVAS_STORE',
  canvasStoreKeepMs: 'CANVAS_STORE_KEEP_MS',
  canvasStoreMax: 'CANVAS_STORE_MAX',
};

/** Numbers that may be 0: a port (any free one) and settings where 0 means off. */
const ZERO_ALLOWED = new Set<keyof ServerConfig>(['port', 'metricsPort', 'hstsMaxAge', 'penWorkers']);

/** The defaults with the environment's overrides; a malformed number is an error, not a silent default. */
export function configFromEnvironment(env: NodeJS.ProcessEnv = process.env, overrides: Partial<ServerConfig> = {}): ServerConfig {
  const config: ServerConfig = { ...DEFAULT_CONFIG };
  for (const key of Object.keys(ENVIRONMENT) as (keyof ServerConfig)[]) {
    const raw = env[ENVIRONMENT[key]];
    if (raw === undefined || raw === '') continue;
    if (typeof DEFAULT_CONFIG[key] === 'number') {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < (ZERO_ALLOWED.has(key) ? 0 : 1)) throw new Error(`${ENVIRONMENT[key]}=${raw}: expected a whole number`);
      (config as unknown as Record<string, number>)[key] = value;
    } else {
      (config as unknown as Record<string, string>)[key] = raw;
    }
  }
  return { ...config, ...overrides };
}
