/**
 * npm start: the Digit Stream server on its defaults (see server/config.ts for the environment
 * variables). Stops gracefully on SIGINT/SIGTERM: no new requests, work in flight finished.
 */
import type { Server } from 'node:http';
import { configFromEnvironment } from './config.js';
import { createMetricsServer } from './http/metrics-server.js';
import { createHttpServer } from './http/server.js';
import { createLogger } from './log.js';
import { Metrics } from './metrics.js';
import { DEFAULT_DECODE_LIMITS } from './recognition/decode.js';
import { RecognitionPool } from './recognition/pool.js';
import { attachWebSockets } from './ws/server.js';

const logger = createLogger();
const config = configFromEnvironment();
const pool = await RecognitionPool.start({
  threads: config.workers,
  penThreads: config.penWorkers,
  maxQueue: config.queueLimit,
  modelDir: config.modelDir,
  penModelDir: config.penModelDir,
  decodeLimits: {
    upload: { ...DEFAULT_DECODE_LIMITS, maxInputPixels: config.imageMaxPixels },
    camera: { ...DEFAULT_DECODE_LIMITS, maxInputPixels: config.cameraMaxPixels },
  },
});
const metrics = new Metrics({ pool });
// The last resort once serving: every request path catches its own faults, so anything that
// reaches here is a bug; it is logged and counted, and the server goes on serving the others
// rather than dropping every session at once. (A failure to start still ends the process.)
process.on('uncaughtException', (error) => {
  logger.log('error', 'uncaught-exception', { message: error?.message, stack: error?.stack });
  metrics.errors.inc({ code: 'uncaught' });
});
process.on('unhandledRejection', (reason) => {
  logger.log('error', 'unhandled-rejection', { message: (reason as Error)?.message ?? String(reason), stack: (reason as Error)?.stack });
  metrics.errors.inc({ code: 'uncaught' });
});
const server = createHttpServer(config, pool, logger, metrics);
const sockets = attachWebSockets(server, pool, config, logger, metrics);
const metricsServer = createMetricsServer(metrics, logger);

/** Listens, or exits with a sentence saying which setting to change when the port is taken. */
function listen(target: Server, port: number, host: string, setting: string): Promise<number> {
  return new Promise((resolve) => {
    target.once('error', (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use (another Digit Stream?): choose another with ${setting}=...` : error.message;
      logger.log('error', 'listen-failed', { code: error.code, message: why });
      process.exit(1);
    });
    target.listen(port, host, () => {
      const address = target.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

if (!pool.engine.startsWith('onnxruntime')) logger.log('warn', 'inference-fallback', { inference: pool.engine });
const port = await listen(server, config.port, config.host, 'PORT');
const metricsPort = await listen(metricsServer, config.metricsPort, config.metricsHost, 'METRICS_PORT');
logger.log('info', 'listening', {
  url: `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`,
  metrics: `http://${config.metricsHost}:${metricsPort}/metrics`,
  workers: pool.threads,
  penWorkers: pool.penThreads,
  model: config.modelDir,
  penModel: config.penModelDir,
  inference: pool.engine,
});

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.log('info', 'stopping', { signal });
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  metricsServer.close();
  await sockets.close();
  await closed;
  await pool.close();
  logger.log('info', 'stopped');
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
