/**
 * npm run loadtest -- [smoke|canvas|camera|upload|idle] [--vus N] [--duration 60s] [--rate N] [--hold S]
 * Builds k6 if needed, generates the test data, starts the server, runs the scenario (smoke by
 * default), prints k6's summary and saves it as JSON under loadtest/results/. Exits with k6's code
 * (99 when a threshold fails).
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCli } from '../server/ml/cli-args.js';
import { startServerProcess } from '../test/support/server-process.js';

const SCENARIOS = ['smoke', 'canvas', 'camera', 'upload', 'idle'];
const USAGE = `Usage: npm run loadtest -- [${SCENARIOS.join('|')}] [--vus N] [--duration 60s] [--rate N] [--hold S]`;
const { values, positionals } = parseCli({
  vus: { type: 'string' }, duration: { type: 'string' }, rate: { type: 'string' }, hold: { type: 'string' }, help: { type: 'boolean' },
}, USAGE);
const scenario = positionals[0] ?? 'smoke';
if (values.help || !SCENARIOS.includes(scenario)) {
  console.log(USAGE);
  process.exit(values.help ? 0 : 2);
}

const install = spawnSync('bash', [join('loadtest', 'install-k6.sh')], { stdio: 'inherit' });
if (install.status !== 0) process.exit(install.status ?? 1);
if (!existsSync(join('loadtest', 'data', 'numbers.json'))) {
  const generate = spawnSync(process.execPath, [...process.execArgv, join('loadtest', 'generate-data.ts')], { stdio: 'inherit' });
  if (generate.status !== 0) process.exit(generate.status ?? 1);
}
await mkdir(join('loadtest', 'results'), { recursive: true });
const resultsFile = join('loadtest', 'results', `${scenario}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);

const server = await startServerProcess({ SESSIONS_MAX: '5000', QUEUE_LIMIT: '256' });
const env: Record<string, string> = { SCENARIO: scenario, BASE_URL: server.baseUrl, RESULTS_FILE: resultsFile };
if (values.vus) env.VUS = values.vus;
if (values.duration) env.DURATION = values.duration;
if (values.rate) env.RATE = values.rate;
if (values.hold) env.HOLD = values.hold;
const k6 = spawn(join('.tools', 'bin', 'k6'), ['run', '--quiet', '--no-color', ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), join('loadtest', 'digit-stream.js')], { stdio: 'inherit' });
const [code] = (await once(k6, 'exit')) as [number | null];
await server.stop();
console.log(`summary saved as ${resultsFile}`);
process.exit(code ?? 1);
