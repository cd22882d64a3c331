/** The HTTP side of the server: the web client, health, metrics, uploads; unknown paths get a JSON 404. */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import sirv from 'sirv';
import type { ServerConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { RecognitionPool } from '../recognition/pool.js';
import { sendJson } from './respond.js';
import { handleUpload } from './upload.js';

export function createHttpServer(config: ServerConfig, pool: RecognitionPool, logger: Logger, metrics: Metrics): Server {
  const client = existsSync(config.clientDir) ? sirv(config.clientDir, { etag: true, gzip: false }) : null;
  if (!client) logger.log('warn', 'no-client', { clientDir: config.clientDir, message: 'the web client is not built: npm run build' });
  return createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/healthz' && (request.method === 'GET' || request.method === 'HEAD')) {
      sendJson(response, 200, { status: 'ok', workers: pool.threads, queued: pool.queued });
    } else if (path === '/metrics' && request.method === 'GET') {
      void metrics.registry.metrics().then((text) => {
        response.writeHead(200, { 'content-type': metrics.registry.contentType });
        response.end(text);
      });
    } else if (path === '/api/recognize') {
      if (request.method !== 'POST') {
        response.setHeader('allow', 'POST');
        sendJson(response, 405, { error: { code: 'method-not-allowed', message: 'POST images to /api/recognize' } });
        return;
      }
      handleUpload(request, response, pool, config, logger, metrics);
    } else if (client && (request.method === 'GET' || request.method === 'HEAD')) {
      client(request, response, () => sendJson(response, 404, { error: { code: 'not-found', message: `nothing at ${path}` } }));
    } else {
      sendJson(response, 404, { error: { code: 'not-found', message: `nothing at ${path}` } });
    }
  });
}
