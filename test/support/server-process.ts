/** The real server (server/main.ts) in its own process on a free local port, for benchmarks and load tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  return port;
}

/** Servers this process started and has not seen end: ended with it, however it ends. */
const running = new Set<ChildProcess>();
let endsWithThisProcess = false;

function endServersAndRaise(signal: NodeJS.Signals): void {
  for (const child of running) child.kill('SIGTERM');
  // Then end as the signal would have: this listener was registered once, so Node's default action follows.
  process.kill(process.pid, signal);
}

/**
 * Whoever stops a benchmark or a measurement (Ctrl-C, `kill`) stops its servers too: a signal's
 * default action ends Node without 'exit' listeners, and an orphaned server keeps its port and
 * two workers busy, skewing the next run's figures.
 */
function endServersWithThisProcess(child: ChildProcess): void {
  if (!endsWithThisProcess) {
    endsWithThisProcess = true;
    process.once('exit', () => running.forEach((c) => c.kill('SIGTERM')));
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, endServersAndRaise);
  }
  running.add(child);
  child.once('exit', () => running.delete(child));
}

export interface ServerProcess {
  baseUrl: string;
  metricsUrl: string;
  /** The server's process id, to read its memory from /proc. */
  pid: number;
  /** Resolves with the exit code (or signal) when the process ends, whoever ended it. */
  exited: Promise<unknown>;
  /** The SQLite file its canvases are saved in. */
  canvasStore: string;
  /** Ends it at once with SIGKILL, as a crash would: no shutdown, nothing flushed. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `env` adds to the server's environment; `port` asks for a given port (a restart on the one the
 * clients know). Canvases are saved in a fresh temporary file unless CANVAS_STORE says where.
 */
export async function startServerProcess(env: Record<string, string> = {}, options: { port?: number } = {}): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const store = env.CANVAS_STORE ?? process.env.CANVAS_STORE ?? join(await mkdtemp(join(tmpdir(), 'digit-stream-store-')), 'canvases.sqlite');
  const metricsPort = await freePort();
  // Under the tsx CLI its loader is in execArgv already; under Vitest it has to be added.
  const loader = process.execArgv.some((a) => a.includes('tsx')) ? [] : ['--import', 'tsx'];
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, ...loader, 'server/main.ts'], {
    env: { ...process.env, PORT: String(port), METRICS_PORT: String(metricsPort), HOST: '127.0.0.1', LOG_LEVEL: 'warn', CANVAS_STORE: store, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = once(child, 'exit');
  endServersWithThisProcess(child);
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) break;
    } catch {
      if (attempt > 600) throw new Error('the server did not answer /healthz within a minute');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    baseUrl,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    pid: child.pid!,
    exited,
    canvasStore: store,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
