/**
 * Prometheus metrics on a port of their own (METRICS_PORT, on loopback by default): what the
 * server counts about its sessions is for its operators, not for everyone who can reach the app.
 */
import { createServer, type Server } from 'node:http';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { requestPath } from './request-target.js';
import { sendJson } from './respond.js';

export function createMetricsServer(metrics: Metrics, logger: Logger): Server {
  return createServer((request, response) => {
    if (requestPath(request.url) !== '/metrics' || request.method !== 'GET') {
      sendJson(response, 404, { error: { code: 'not-found', message: 'GET /metrics' } });
      return;
    }
    metrics.registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': metrics.registry.contentType });
        response.end(text);
      },
      (failure: unknown) => {
        logger.log('error', 'metrics-failed', { message: (failure as Error)?.message });
        sendJson(response, 500, { error: { code: 'internal', message: 'metrics could not be collected' } });
      },
    );
  });
}
