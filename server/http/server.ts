/**
 * The HTTP side of the server: the web client, health and uploads; unknown paths get a JSON 404.
 * Whatever a request holds, a fault while answering it ends that request (400 or 500) and nothing
 * else. Metrics are served apart (metrics-server.ts).
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import sirv from 'sirv';
import type { ServerConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { RecognitionPool } from '../recognition/pool.js';
import { requestPath } from './request-target.js';
import { sendJson } from './respond.js';
import { originAllowed, setSecurityHeaders } from './security.js';
import { handleUpload, refuseUpload, UploadAdmission } from './upload.js';

export const HttpErrorCode = {
  BadRequestTarget: 'bad-request-target',
  OriginNotAllowed: 'origin-not-allowed',
  NotFound: 'not-found',
  MethodNotAllowed: 'method-not-allowed',
  Internal: 'internal',
} as const;

export function createHttpServer(config: ServerConfig, pool: RecognitionPool, logger: Logger, metrics: Metrics): Server {
  const client = existsSync(config.clientDir) ? sirv(config.clientDir, { etag: true, gzip: false }) : null;
  if (!client) logger.log('warn', 'no-client', { clientDir: config.clientDir, message: 'the web client is not built: npm run build' });
  const uploads = new UploadAdmission(config);

  function route(request: IncomingMessage, response: ServerResponse): void {
    setSecurityHeaders(response, config);
    const path = requestPath(request.url);
    if (path === null) {
      sendJson(response, 400, { error: { code: HttpErrorCode.BadRequestTarget, message: 'the request target is not a path on this server' } });
      return;
    }
    const notFound = () => sendJson(response, 404, { error: { code: HttpErrorCode.NotFound, message: `nothing at ${path}` } });
    if (path === '/healthz' && (request.method === 'GET' || request.method === 'HEAD')) {
      sendJson(response, 200, { status: 'ok', workers: pool.threads, penWorkers: pool.penThreads, queued: pool.queued, inference: pool.engine });
    } else if (path === '/api/recognize') {
      if (request.method !== 'POST') {
        response.setHeader('allow', 'POST');
        sendJson(response, 405, { error: { code: HttpErrorCode.MethodNotAllowed, message: 'POST images to /api/recognize' } });
        return;
      }
      if (!originAllowed(request, config)) {
        refuseUpload(request, response, config, 403, HttpErrorCode.OriginNotAllowed, `pages from ${request.headers.origin} may not post here`);
        return;
      }
      handleUpload(request, response, pool, config, logger, metrics, uploads);
    } else if (client && (request.method === 'GET' || request.method === 'HEAD')) {
      client(request, response, notFound);
    } else {
      notFound();
    }
  }

  return createServer((request, response) => {
    try {
      route(request, response);
    } catch (failure) {
      logger.log('error', 'request-fault', { method: request.method, target: request.url?.slice(0, 200), message: (failure as Error)?.message });
      if (response.headersSent) response.destroy();
      else sendJson(response, 500, { error: { code: HttpErrorCode.Internal, message: 'the server failed to answer this request' } });
    }
  });
}
