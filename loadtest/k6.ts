/**
 * What every load-test command shares: k6 built (loadtest/install-k6.sh), the test data generated,
 * and one k6 run of loadtest/digit-stream.js against a server, its summary saved as JSON.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export const SCENARIOS = ['smoke', 'canvas', 'camera', 'upload', 'idle'] as const;
export type Scenario = (typeof SCENARIOS)[number];
export const RESULTS_DIR = join('loadtest', 'results');

/** Builds k6 if needed and generates the test data if missing; exits the process when either fails. */
export async function prepareK6(): Promise<void> {
  const install = spawnSync('bash', [join('loadtest', 'install-k6.sh')], { stdio: 'inherit' });
  if (install.status !== 0) process.exit(install.status ?? 1);
  if (!existsSync(join('loadtest', 'data', 'numbers.json'))) {
    const generate = spawnSync(process.execPath, [...process.execArgv, join('loadtest', 'generate-data.ts')], { stdio: 'inherit' });
    if (generate.status !== 0) process.exit(generate.status ?? 1);
  }
  await mkdir(RESULTS_DIR, { recursive: true });
}

/**
 * Server settings for load tests: sessions, uploads and queue beyond what the load will reach, so
 * that capacity, not a limit, shows; every virtual user comes from the one loopback address.
 */
export const LOAD_TEST_SERVER_ENV = {
  SESSIONS_MAX: '20000',
  SESSIONS_PER_ADDRESS_MAX: '20000',
  QUEUE_LIMIT: '256',
  UPLOADS_MAX: '256',
  UPLOADS_PER_ADDRESS_MAX: '256',
};

export interface K6Run {
  /** k6's exit code: 0, or 99 when a threshold failed. */
  code: number;
  resultsFile: string;
}

/**
 * Runs one scenario. `sizes` become k6 environment variables (VUS, DURATION, RATE, HOLD);
 * `quiet` keeps k6's own summary off the screen (the caller prints its own).
 */
export async function runK6(scenario: Scenario, baseUrl: string, sizes: Record<string, string>, label: string = scenario, quiet = false): Promise<K6Run> {
  const resultsFile = join(RESULTS_DIR, `${label}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const env: Record<string, string> = { SCENARIO: scenario, BASE_URL: baseUrl, RESULTS_FILE: resultsFile, ...sizes };
  const k6 = spawn(
    join('.tools', 'bin', 'k6'),
    ['run', '--quiet', '--no-color', ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), join('loadtest', 'digit-stream.js')],
    {
      stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'],
    },
  );
  const [code] = (await once(k6, 'exit')) as [number | null];
  return { code: code ?? 1, resultsFile };
}
