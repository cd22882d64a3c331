/**
 * Server settings: one documented defaults object, overridden by environment variables. Every
 * limit the server enforces is here.
 */
import { availableParallelism } from 'node:os';
import { DEFAULT_MODEL_DIR } from './recognition/classifier.js';

export interface ServerConfig {
  /** PORT: TCP port to listen on. */
  port: number;
  /** HOST: interface to listen on. */
  host: string;
  /** DIGIT_STREAM_MODEL: model folder. */
  modelDir: string;
  /** CLIENT_DIR: the built web client (npm run build) served at /. */
  clientDir: string;
  /** WORKERS: recognition worker threads. */
  workers: number;
  /** QUEUE_LIMIT: recognition tasks that may wait for a worker before new ones are refused (503). */
  queueLimit: number;
  /** UPLOAD_MAX_FILES: images in one POST /api/recognize. */
  uploadMaxFiles: number;
  /** UPLOAD_MAX_FILE_BYTES: size of one uploaded image. */
  uploadMaxFileBytes: number;
  /** IMAGE_MAX_PIXELS: images with more pixels are refused before decoding. */
  imageMaxPixels: number;
  /** SESSIONS_MAX: WebSocket sessions at once; more are closed with 1013 (try later). */
  maxSessions: number;
  /** WS_MAX_MESSAGE_BYTES: one WebSocket message; larger ones close the connection with 1009. */
  wsMaxMessageBytes: number;
  /** CAMERA_FPS_MAX: camera frames taken from one session per second; more are dropped. */
  cameraFpsMax: number;
  /** STROKES_MAX: strokes on one canvas. */
  maxStrokes: number;
  /** STROKE_POINTS_MAX: points in one stroke. */
  maxPointsPerStroke: number;
  /** MESSAGES_PER_SECOND: messages read from one session per second; more get `rate-limited`. */
  messagesPerSecond: number;
  /**
   * LIVE_READ_MS: while the pen moves, a canvas is read at most this often, and only when a worker
   * is free; a stroke end, undo, redo, erase or clear is read at once, queueing if need be.
   */
  liveReadMs: number;
  /** HELLO_TIMEOUT_MS: time a new connection has to say hello. */
  helloTimeoutMs: number;
  /** IDLE_TIMEOUT_MS: a session with no message for this long is closed. */
  idleTimeoutMs: number;
  /** HEARTBEAT_MS: ping interval; a connection that missed the last pong is dropped. */
  heartbeatMs: number;
  /** RESUME_GRACE_MS: how long the canvas of a dropped connection is kept for it to resume. */
  resumeGraceMs: number;
}

export const DEFAULT_CONFIG: ServerConfig = {
  port: 8080,
  host: '0.0.0.0',
  modelDir: DEFAULT_MODEL_DIR,
  clientDir: 'dist/client',
  workers: Math.max(1, availableParallelism()),
  queueLimit: 64,
  uploadMaxFiles: 20,
  uploadMaxFileBytes: 20 * 1024 * 1024,
  imageMaxPixels: 40_000_000,
  maxSessions: 500,
  wsMaxMessageBytes: 1024 * 1024,
  cameraFpsMax: 30,
  maxStrokes: 500,
  maxPointsPerStroke: 4000,
  messagesPerSecond: 240,
  liveReadMs: 100,
  helloTimeoutMs: 10_000,
  idleTimeoutMs: 15 * 60_000,
  heartbeatMs: 30_000,
  resumeGraceMs: 120_000,
};

const ENVIRONMENT: Record<keyof ServerConfig, string> = {
  port: 'PORT',
  host: 'HOST',
  modelDir: 'DIGIT_STREAM_MODEL',
  clientDir: 'CLIENT_DIR',
  workers: 'WORKERS',
  queueLimit: 'QUEUE_LIMIT',
  uploadMaxFiles: 'UPLOAD_MAX_FILES',
  uploadMaxFileBytes: 'UPLOAD_MAX_FILE_BYTES',
  imageMaxPixels: 'IMAGE_MAX_PIXELS',
  maxSessions: 'SESSIONS_MAX',
  wsMaxMessageBytes: 'WS_MAX_MESSAGE_BYTES',
  cameraFpsMax: 'CAMERA_FPS_MAX',
  maxStrokes: 'STROKES_MAX',
  maxPointsPerStroke: 'STROKE_POINTS_MAX',
  messagesPerSecond: 'MESSAGES_PER_SECOND',
  liveReadMs: 'LIVE_READ_MS',
  helloTimeoutMs: 'HELLO_TIMEOUT_MS',
  idleTimeoutMs: 'IDLE_TIMEOUT_MS',
  heartbeatMs: 'HEARTBEAT_MS',
  resumeGraceMs: 'RESUME_GRACE_MS',
};

/** The defaults with the environment's overrides; a malformed number is an error, not a silent default. */
export function configFromEnvironment(env: NodeJS.ProcessEnv = process.env, overrides: Partial<ServerConfig> = {}): ServerConfig {
  const config: ServerConfig = { ...DEFAULT_CONFIG };
  for (const key of Object.keys(ENVIRONMENT) as (keyof ServerConfig)[]) {
    const raw = env[ENVIRONMENT[key]];
    if (raw === undefined || raw === '') continue;
    if (typeof DEFAULT_CONFIG[key] === 'number') {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < (key === 'port' ? 0 : 1)) throw new Error(`${ENVIRONMENT[key]}=${raw}: expected a whole number`);
      (config as unknown as Record<string, number>)[key] = value;
    } else {
      (config as unknown as Record<string, string>)[key] = raw;
    }
  }
  return { ...config, ...overrides };
}
