/** The real HTTP and WebSocket server in this process on a free port, over a given pool, for tests. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_CONFIG, type ServerConfig } from '../../server/config.js';
import { createMetricsServer } from '../../server/http/metrics-server.js';
import { createHttpServer } from '../../server/http/server.js';
import { silentLogger } from '../../server/log.js';
import { Metrics } from '../../server/metrics.js';
import type { RecognitionPool } from '../../server/recognition/pool.js';
import { attachWebSockets } from '../../server/ws/server.js';

export interface TestServer {
  base: string;
  wsUrl: string;
  /** GET it for Prometheus metrics (served on a port of their own). */
  metricsUrl: string;
  metrics: Metrics;
  server: Server;
  /** Ends every WebSocket connection, as a network failure would. */
  dropConnections(): void;
  close(): Promise<void>;
}

export async function startTestServer(pool: RecognitionPool, settings: Partial<ServerConfig> = {}): Promise<TestServer> {
  const config = { ...DEFAULT_CONFIG, ...settings };
  const metrics = new Metrics({ processMetrics: false, pool });
  const server = createHttpServer(config, pool, silentLogger, metrics);
  const sockets = attachWebSockets(server, pool, config, silentLogger, metrics);
  const metricsServer = createMetricsServer(metrics, silentLogger);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => metricsServer.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    wsUrl: `${base.replace(/^http/, 'ws')}/ws`,
    metricsUrl: `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics`,
    metrics,
    server,
    dropConnections: () => sockets.dropAll(),
    async close() {
      await sockets.close();
      await new Promise((resolve) => metricsServer.close(resolve));
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
