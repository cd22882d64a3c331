/**
 * npm start: the Digit Stream server on its defaults (see server/config.ts for the environment
 * variables). Stops gracefully on SIGINT/SIGTERM: no new requests, work in flight finished.
 */
import { configFromEnvironment } from './config.js';
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
  maxQueue: config.queueLimit,
  modelDir: config.modelDir,
  decodeLimits: { ...DEFAULT_DECODE_LIMITS, maxInputPixels: config.imageMaxPixels },
});
const metrics = new Metrics({ pool });
const server = createHttpServer(config, pool, logger, metrics);
const sockets = attachWebSockets(server, pool, config, logger, metrics);
server.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.log('info', 'listening', { url: `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`, workers: pool.threads, model: config.modelDir });
});

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.log('info', 'stopping', { signal });
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  await sockets.close();
  await closed;
  await pool.close();
  logger.log('info', 'stopped');
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
