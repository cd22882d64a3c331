/** The real HTTP and WebSocket server in this process on a free port, over a given pool, for tests. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_CONFIG, type ServerConfig } from '../../server/config.js';
import { createMetricsServer } from '../../server/http/metrics-server.js';
import { createHttpServer } from '../../server/http/server.js';
import { silentLogger } from '../../server/log.js';
import { Metrics } from '../../server/metrics.js';
import type { RecognitionPool } from '../../server/recognition/pool.js';
import { attachWebSockets, type WebSocketService } from '../../server/ws/server.js';

export interface TestServer {
  base: string;
  wsUrl: string;
  /** GET it for Prometheus metrics (served on a port of their own). */
  metricsUrl: string;
  metrics: Metrics;
  server: Server;
  /** Ends every WebSocket connection, as a network failure would. */
  dropConnections(): void;
  /** Stops serving, as a stopped process would: sessions closed, canvases forgotten, the port free. */
  stop(): Promise<void>;
  /** Serves again on the same port, with nothing of what it held before (a restart after stop). */
  start(): Promise<void>;
  close(): Promise<void>;
}

const listen = (server: Server, port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

export async function startTestServer(pool: RecognitionPool, settings: Partial<ServerConfig> = {}): Promise<TestServer> {
  // Saved canvases stay in this process unless a test says where to keep them.
  const config = { ...DEFAULT_CONFIG, canvasStorePath: ':memory:', ...settings };
  const metrics = new Metrics({ processMetrics: false, pool });
  const metricsServer = createMetricsServer(metrics, silentLogger);
  await listen(metricsServer, 0);
  let server: Server;
  let sockets: WebSocketService | null = null;
  let port = 0;
  const serve = async () => {
    server = createHttpServer(config, pool, silentLogger, metrics);
    sockets = attachWebSockets(server, pool, config, silentLogger, metrics);
    await listen(server, port);
    port = (server.address() as AddressInfo).port;
  };
  const stop = async () => {
    if (!sockets) return;
    await sockets.close();
    sockets = null;
    await new Promise((resolve) => server.close(resolve));
  };
  await serve();
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    wsUrl: `${base.replace(/^http/, 'ws')}/ws`,
    metricsUrl: `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics`,
    metrics,
    get server() {
      return server;
    },
    dropConnections: () => sockets?.dropAll(),
    stop,
    start: serve,
    async close() {
      await stop();
      await new Promise((resolve) => metricsServer.close(resolve));
    },
  };
}
